"""Supergraph reading: the typed model the planner uses, and the client-facing API schema."""

from .api_schema import print_api_schema
from .cost import CostDirectives, ListSize
from .errors import SupergraphError
from .model import (
    ArgumentDef,
    AuthRequirements,
    FieldDef,
    FieldInGraph,
    JoinDirective,
    Key,
    Subgraph,
    Supergraph,
    TypeDef,
    TypeInGraph,
    TypeKind,
)
from .reader import load_supergraph, read_supergraph

__all__ = [
    "ArgumentDef",
    "AuthRequirements",
    "CostDirectives",
    "FieldDef",
    "FieldInGraph",
    "JoinDirective",
    "Key",
    "ListSize",
    "Subgraph",
    "Supergraph",
    "SupergraphError",
    "TypeDef",
    "TypeInGraph",
    "TypeKind",
    "load_supergraph",
    "print_api_schema",
    "read_supergraph",
]
