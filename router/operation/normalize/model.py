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


@dataclass(frozen=True, slots=True)
class DeferDirective:
    """``@defer(label:, if:)`` on a fragment, as written: ``condition`` names the variable that
    turns it on (None: always on; a literal ``if: false`` never gets here, it is inlined)."""

    label: str | None
    condition: str | None


@dataclass(frozen=True, slots=True, eq=False)
class Defer:
    """One deferred fragment at one position of the response (a fragment spread used at two
    positions is two defers): what the planner splits off and the executor delivers as one
    incremental payload per object found at ``path``."""

    id: int
    """Numbered in document order, from 0, per expanded operation."""
    label: str | None
    path: tuple[str, ...]
    """Response keys from the root to the fragment's position, ``@`` for list items."""
    parent: Defer | None
    """The deferred fragment this one is nested in (delivered first), if any."""

    def within(self, other: Defer | None) -> bool:
        """True when this fragment is ``other`` or nested in it (None: the primary part)."""
        if other is None:
            return True
        current: Defer | None = self
        while current is not None:
            if current is other:
                return True
            current = current.parent
        return False


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
    defer: DeferDirective | None = None


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
    defer: Defer | None = None
    """The innermost deferred fragment this field is delivered with (None: the primary
    part). A field also selected outside that fragment belongs to the primary part."""
    removed: bool = False
    """A field authorization removed, put back for projection only (never fetched: always
    null, whatever the merged data holds under its key; `router/security/nulls.py`)."""

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


def defers_in(selection: SelectionSet) -> list[Defer]:
    """Every deferred fragment of an expanded selection, by ``id`` (outer ones first)."""
    found: dict[int, Defer] = {}
    seen: set[int] = set()
    stack = [selection]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for fields in (*current.by_type.values(), current.common or ()):
            for f in fields:
                defer = f.defer
                while defer is not None and defer.id not in found:
                    found[defer.id] = defer
                    defer = defer.parent
                if f.selection is not None:
                    stack.append(f.selection)
    return [found[i] for i in sorted(found)]
