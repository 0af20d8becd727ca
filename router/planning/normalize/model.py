"""Normalized operations as plain frozen data.

Two stages, each cached: `RawSelection` trees keep fragment structure and `@skip`/`@include`
conditions (independent of variable values); `SelectionSet`/`Field` are the result for one set
of condition values: conditions applied, fields merged by response key and expanded per
possible runtime type. Planner and projection both read the second form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import FieldNode

TYPENAME = "__typename"


@dataclass(frozen=True, slots=True)
class Condition:
    """``@include(if: $variable)`` (passes when true) or ``@skip(if: $variable)`` (when false)."""

    variable: str
    passes_when: bool


Conditions = tuple[Condition, ...]
"""All must pass."""


@dataclass(frozen=True, slots=True, eq=False)
class RawField:
    response_key: str
    name: str
    node: FieldNode
    conditions: Conditions
    selections: tuple[RawSelection, ...]


@dataclass(frozen=True, slots=True, eq=False)
class RawFragment:
    """An inline fragment, or a fragment spread already inlined."""

    type_condition: str | None
    conditions: Conditions
    selections: tuple[RawSelection, ...]


RawSelection = RawField | RawFragment


@dataclass(frozen=True, slots=True, eq=False)
class Field:
    """One client field at one position, all its occurrences merged."""

    response_key: str
    name: str
    parent_type: str
    """The concrete runtime type (or, in `SelectionSet.common`, the abstract type)."""
    type_name: str
    """Named type of the field's result."""
    arguments: str
    """Printed argument list with parentheses, or ``""``."""
    variables: frozenset[str]
    """Variables used by the arguments."""
    selection: SelectionSet | None
    nodes: tuple[FieldNode, ...]
    """The client's AST nodes (used to run introspection fields with graphql-core)."""

    @property
    def is_typename(self) -> bool:
        return self.name == TYPENAME


@dataclass(frozen=True, slots=True, eq=False)
class SelectionSet:
    """The client's selection at one position whose static type is ``type_name``."""

    type_name: str
    abstract: bool
    by_type: Mapping[str, tuple[Field, ...]]
    """Possible runtime type → fields collected for it, in response order."""
    common: tuple[Field, ...] | None
    """For abstract types whose selection does not depend on the runtime type: the fields
    declared on the abstract type itself. For object types: the same as ``by_type``'s entry."""
