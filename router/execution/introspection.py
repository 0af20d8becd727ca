"""Introspection (``__schema``, ``__type``) answered by graphql-core from the API schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
)

from ..operation.normalize import NormalizedOperation
from ..operation.normalize.model import SelectionSet

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def introspection_document(
    operation: NormalizedOperation, selection: SelectionSet
) -> tuple[DocumentNode, frozenset[str]] | None:
    """A document with only the operation's introspection root fields, and their keys."""
    fields = [f for f in selection.by_type[operation.root_type] if f.name in INTROSPECTION_FIELDS]
    if not fields:
        return None
    definition = OperationDefinitionNode(
        operation=OperationType.QUERY,
        variable_definitions=operation.definition.variable_definitions,
        directives=(),
        selection_set=SelectionSetNode(selections=tuple(node for f in fields for node in f.nodes)),
    )
    fragments = tuple(
        d for d in operation.document.definitions if isinstance(d, FragmentDefinitionNode)
    )
    document = DocumentNode(definitions=(definition, *fragments))
    return document, frozenset(f.response_key for f in fields)


def run_introspection(
    schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = execute_sync(schema, document, variable_values=dict(variables or {}))
    errors = [e.formatted for e in result.errors or ()]
    for error in errors:
        error.setdefault("extensions", {}).setdefault("code", "INTROSPECTION_ERROR")
    return dict(result.data or {}), [dict(e) for e in errors]
