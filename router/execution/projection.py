"""Projection: shape the merged data to the client's selection, with null propagation.

`compile_selection` turns a normalized `SelectionSet` into nested tuples once per plan; the
per-request `project` is a tight loop over them. It drops what the client did not ask for
(keys, ``__typename``s, internal aliases), resolves type conditions by ``__typename``, nulls
enum values the API schema does not know, and applies GraphQL's null propagation: a null in a
non-null position nulls the nearest nullable ancestor (or ``data``), with an error unless one
already explains it.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
)

from ..operation.normalize.model import Field, SelectionSet
from ..planning.nodes import ENTITY_PATH_LIST, ResponseAlias
from .data import Path

LEAF = 0
ENUM = 1
COMPOSITE = 2
TYPENAME = 3
PRESET = 4
"""A root field answered before projection (introspection): copied as is."""

RESPONSE_VALIDATION_FAILED = "RESPONSE_VALIDATION_FAILED"
NEVER_FETCHED = "!removed"
"""Not a GraphQL name: no merged data holds it, so a field reading it is always null."""

AliasMap = Mapping[tuple[tuple[str, ...], str, str], str]
"""(path, parent type, response key) → the key the plan fetched the field under."""


class _Invalid:
    """A null reached a non-null position: the parent must become null."""


INVALID = _Invalid()


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    data_key: str
    """Where the value is in the merged data (differs from ``key`` for internal aliases)."""
    kind: int
    nullable: tuple[bool, ...]
    """Nullability of the value, then of each list level's items."""
    sub: ObjectPlan | None
    enum_values: frozenset[str] | None
    coordinate: str
    """``Type.field`` for error messages."""


Row = tuple[str, str, int, bool, bool, Entry]
"""An entry unpacked for the hot loop: key, data key, kind, non-null, is a list, entry."""


def _rows(entries: tuple[Entry, ...]) -> tuple[Row, ...]:
    return tuple(
        (e.key, e.data_key, e.kind, not e.nullable[0], len(e.nullable) > 1, e) for e in entries
    )


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    type_name: str
    abstract: bool
    entries: tuple[Row, ...]
    """For object types; for abstract ones, the entries for an unknown runtime type."""
    by_type: Mapping[str, tuple[Row, ...]]


def compile_selection(
    schema: GraphQLSchema,
    selection: SelectionSet,
    preset: frozenset[str] = frozenset(),
    aliases: Sequence[ResponseAlias] = (),
) -> ObjectPlan:
    """``preset``: root response keys whose values are already computed (introspection);
    ``aliases``: the plan's client fields fetched under an internal alias
    (`router.planning.response_aliases`)."""
    keys = {(a.path, a.type_condition, a.response_key): a.alias for a in aliases}
    return _compile(schema, selection, preset, keys, ())


def _compile(
    schema: GraphQLSchema,
    selection: SelectionSet,
    preset: frozenset[str],
    keys: AliasMap,
    path: tuple[str, ...],
) -> ObjectPlan:
    # A field the planner placed on the abstract type (one selection for every runtime
    # type) carries the abstract type in its alias: the runtime types' entries look there too.
    abstract = selection.type_name if selection.abstract else None
    by_type = {
        runtime: _rows(tuple(_entry(schema, f, preset, keys, path, abstract) for f in fields))
        for runtime, fields in selection.by_type.items()
    }
    if not selection.abstract:
        return ObjectPlan(selection.type_name, False, by_type[selection.type_name], by_type)
    fallback: tuple[Row, ...] = ()
    if selection.common is not None:
        fallback = _rows(
            tuple(_entry(schema, f, frozenset(), keys, path) for f in selection.common)
        )
    return ObjectPlan(selection.type_name, True, fallback, by_type)


def _entry(
    schema: GraphQLSchema,
    f: Field,
    preset: frozenset[str],
    keys: AliasMap,
    path: tuple[str, ...],
    abstract: str | None = None,
) -> Entry:
    """``path``: where objects of ``f``'s parent are in the merged data, as plans write it;
    ``abstract``: the abstract type selected on, when ``f`` is a runtime type's field."""
    coordinate = f"{f.parent_type}.{f.name}"
    key = f.response_key
    if key in preset:
        return Entry(key, key, PRESET, (True,), None, None, coordinate)
    if f.is_typename:
        return Entry(key, key, TYPENAME, (False,), None, None, coordinate)
    parent = schema.get_type(f.parent_type)
    assert isinstance(parent, GraphQLObjectType) or hasattr(parent, "fields")
    field_type: GraphQLOutputType = parent.fields[f.name].type  # type: ignore[union-attr]
    nullable: list[bool] = []
    current: Any = field_type
    while True:
        if isinstance(current, GraphQLNonNull):
            nullable.append(False)
            current = current.of_type
        else:
            nullable.append(True)
        if isinstance(current, GraphQLList):
            current = current.of_type
            continue
        break
    enum_values: frozenset[str] | None = None
    kind = LEAF
    sub: ObjectPlan | None = None
    data_key = key
    if f.removed:
        data_key = NEVER_FETCHED
    elif keys:
        data_key = keys.get((path, f.parent_type, key)) or keys.get(
            (path, abstract or "", key), key
        )
    if isinstance(current, GraphQLEnumType):
        kind = ENUM
        enum_values = frozenset(current.values)
    elif f.selection is not None:
        kind = COMPOSITE
        child_path = (*path, data_key, *([ENTITY_PATH_LIST] * (len(nullable) - 1)))
        sub = _compile(schema, f.selection, frozenset(), keys, child_path)
    return Entry(key, data_key, kind, tuple(nullable), sub, enum_values, coordinate)


Explains = Callable[[Sequence[str | int]], bool]
"""Whether a null at a response path is already explained elsewhere (authorization removed it)."""


class Projector:
    """One request's projection: collects the errors it adds."""

    __slots__ = ("api_types", "errors", "explained", "explains", "preset")

    def __init__(
        self,
        explained: list[Path],
        preset: Mapping[str, Any] | None = None,
        explains: Explains | None = None,
        api_types: Container[str] | None = None,
    ) -> None:
        """``api_types``: the names of the client schema's types; an object whose
        ``__typename`` is not one of them (an `@inaccessible` type) projects to null."""
        self.api_types = api_types
        self.errors: list[dict[str, Any]] = []
        self.explained = explained
        self.preset = preset or {}
        self.explains = explains

    def project_root(self, data: dict[str, Any], plan: ObjectPlan) -> dict[str, Any] | None:
        result = self._object(data, plan, plan.entries, plan.type_name, [])
        return None if result is INVALID else result  # type: ignore[return-value]

    def project_object(
        self, obj: dict[str, Any], plan: ObjectPlan, path: list[str | int]
    ) -> dict[str, Any] | None:
        """One object at ``path`` (a deferred fragment's position): null when a non-null
        field in it is null (the propagation stops at the fragment, as Apollo's does)."""
        rows = plan.entries
        typename = plan.type_name
        if plan.abstract:
            found = obj.get("__typename")
            if isinstance(found, str):
                typename = found
                rows = plan.by_type.get(found, plan.entries)
        result = self._object(obj, plan, rows, typename, list(path))
        return None if result is INVALID else result  # type: ignore[return-value]

    def _object(
        self,
        obj: dict[str, Any],
        plan: ObjectPlan,
        rows: tuple[Row, ...],
        typename: str,
        path: list[str | int],
    ) -> dict[str, Any] | _Invalid:
        out: dict[str, Any] = {}
        for key, data_key, kind, non_null, listy, entry in rows:
            if kind == LEAF and not listy:
                value = obj.get(data_key)
                if value is None and non_null:
                    path.append(key)
                    self._null_error(entry, path)
                    path.pop()
                    return INVALID
                out[key] = value
                continue
            if kind == TYPENAME:
                out[key] = typename
                continue
            if kind == PRESET:
                out[key] = self.preset.get(key)
                continue
            value = obj.get(data_key)
            if value is None:
                if non_null:
                    path.append(key)
                    self._null_error(entry, path)
                    path.pop()
                    return INVALID
                out[key] = None
                continue
            if listy:
                path.append(key)
                result = self._list(value, entry, 1, path)
                path.pop()
            elif kind == COMPOSITE:
                path.append(key)
                sub = entry.sub
                if sub is not None and not sub.abstract and isinstance(value, dict):
                    # The common case inline: a concrete object (one call less per object).
                    result = self._object(value, sub, sub.entries, sub.type_name, path)
                else:
                    result = self._composite(value, entry, path)
                path.pop()
            else:
                result = self._enum(value, entry, path, key)
            if result is INVALID or result is None:
                if non_null:
                    if result is None:
                        path.append(key)
                        self._null_error(entry, path)
                        path.pop()
                    return INVALID
                result = None
            out[key] = result
        return out

    def _composite(self, value: Any, entry: Entry, path: list[str | int]) -> Any:
        if not isinstance(value, dict):
            self._invalid_value(entry, path)
            return None
        plan = entry.sub
        assert plan is not None
        if not plan.abstract:
            return self._object(value, plan, plan.entries, plan.type_name, path)
        typename = value.get("__typename")
        entries = plan.by_type.get(typename) if isinstance(typename, str) else None
        if entries is None:
            if (
                isinstance(typename, str)
                and self.api_types is not None
                and typename not in self.api_types
            ):
                # A type the client's schema does not have (`@inaccessible`): the object
                # never reaches the client, not even its `__typename`.
                return None
            if plan.entries and typename not in plan.by_type:
                entries = plan.entries
                if not isinstance(typename, str):
                    typename = plan.type_name
            else:
                self._invalid_value(entry, path)
                return None
        return self._object(value, plan, entries, typename, path)  # type: ignore[arg-type]

    def _list(self, value: Any, entry: Entry, level: int, path: list[str | int]) -> Any:
        if not isinstance(value, list):
            self._invalid_value(entry, path)
            return None
        item_nullable = entry.nullable[level]
        deeper = level + 1 < len(entry.nullable)
        kind = entry.kind
        if kind == LEAF and not deeper and item_nullable:
            return list(value)  # nothing to check in a list of nullable scalars
        sub = entry.sub
        concrete = sub is not None and not sub.abstract
        obj_ = self._object
        out: list[Any] = []
        for index, item in enumerate(value):
            if item is None:
                result: Any = None
            else:
                path.append(index)
                if deeper:
                    result = self._list(item, entry, level + 1, path)
                elif concrete and isinstance(item, dict):
                    # A list of concrete objects (the common case): no `_composite` call.
                    assert sub is not None
                    result = obj_(item, sub, sub.entries, sub.type_name, path)
                elif kind == COMPOSITE:
                    result = self._composite(item, entry, path)
                elif kind == ENUM:
                    path.pop()
                    result = self._enum(item, entry, path, index)
                    path.append(index)
                else:
                    result = item
                path.pop()
            if result is INVALID or result is None:
                if not item_nullable:
                    if result is None:
                        path.append(index)
                        self._null_error(entry, path)
                        path.pop()
                    return INVALID
                result = None
            out.append(result)
        return out

    def _enum(self, value: Any, entry: Entry, path: list[str | int], key: str | int) -> Any:
        assert entry.enum_values is not None
        if isinstance(value, str) and value in entry.enum_values:
            return value
        path.append(key)
        self.errors.append(
            {
                "message": f"Invalid value found for field {entry.coordinate}",
                "path": list(path),
                "extensions": {"code": RESPONSE_VALIDATION_FAILED},
            }
        )
        path.pop()
        return None

    def _invalid_value(self, entry: Entry, path: list[str | int]) -> None:
        self.errors.append(
            {
                "message": f"Invalid value found for field {entry.coordinate}",
                "path": list(path),
                "extensions": {"code": RESPONSE_VALIDATION_FAILED},
            }
        )

    def _null_error(self, entry: Entry, path: list[str | int]) -> None:
        if self._is_explained(path):
            return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {entry.coordinate}.",
                "path": list(path),
                "extensions": {"code": RESPONSE_VALIDATION_FAILED},
            }
        )
        self.explained.append(tuple(path))

    def _is_explained(self, path: list[str | int]) -> bool:
        if self.explains is not None and self.explains(path):
            return True
        current = tuple(path)
        size = len(current)
        for known in self.explained:
            n = len(known)
            if n <= size:
                if current[:n] == known:
                    return True
            elif known[:size] == current:
                return True
        return False
