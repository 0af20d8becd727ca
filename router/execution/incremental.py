"""Incremental delivery (`@defer`): which part of the response each payload carries.

The planner leaves the whole client selection in one `SelectionSet` whose fields are tagged
with the deferred fragment they belong to (`Field.defer`). Here that selection is split once
per plan: the *primary* selection (untagged fields) and, per deferred fragment, the fields of
that fragment together with the ancestors leading to them. Each is compiled for `projection`.

At run time the primary payload is ``{"data": ..., "hasNext": true}``; a deferred fragment
is projected from the merged data at each object found at its path: one item
``{"data", "path", "label"?, "errors"?}`` per object, as Apollo Router sends them
(deferSpec=20220824). Null propagation stops at the fragment (its item's ``data`` is null),
never taking back data an earlier payload delivered. A subgraph error of the fragment's own
fetches goes with the item whose path it falls under (else the first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema

from ..operation.normalize.model import Defer, Field, SelectionSet, defers_in
from ..planning.nodes import DeferNode, DeferredNode, ResponseAlias
from .projection import ObjectPlan, Projector, compile_selection

LIST_ITEMS = "@"


@dataclass(frozen=True, slots=True)
class DeferredPart:
    """One deferred fragment: its sub-plan and what its payload projects."""

    node: DeferredNode
    projection: ObjectPlan


@dataclass(frozen=True, slots=True)
class IncrementalPlan:
    """A plan with `@defer`, split for incremental delivery."""

    primary: ObjectPlan
    parts: tuple[DeferredPart, ...]
    """By fragment id (`DeferredNode.id` is the index)."""


def incremental_plan(
    schema: GraphQLSchema,
    selection: SelectionSet,
    plan_node: DeferNode,
    aliases: Sequence[ResponseAlias],
) -> IncrementalPlan:
    """Compile the primary selection and each deferred fragment's (once per plan);
    ``aliases``: the plan's internal aliases (`router.planning.response_aliases`), which name
    positions from the root, so each part (compiled from the root too) reads them alike."""
    by_id = {d.id: d for d in defers_in(selection)}
    parts = []
    for node in plan_node.deferred:
        restricted = restrict(selection, by_id[node.id])
        parts.append(
            DeferredPart(node, compile_selection(schema, restricted, frozenset(), aliases))
        )
    primary = compile_selection(schema, restrict(selection, None), frozenset(), aliases)
    return IncrementalPlan(primary, tuple(parts))


def restrict(selection: SelectionSet, defer: Defer | None) -> SelectionSet:
    """The fields delivered with ``defer`` (None: the primary part), with the ancestors that
    lead to them."""
    by_type = {runtime: _fields(fields, defer) for runtime, fields in selection.by_type.items()}
    common = _fields(selection.common, defer) if selection.common is not None else None
    return SelectionSet(selection.type_name, selection.abstract, by_type, common)


def _fields(fields: Sequence[Field], defer: Defer | None) -> tuple[Field, ...]:
    kept: list[Field] = []
    for f in fields:
        if f.selection is None:
            if f.defer is defer:
                kept.append(f)
            continue
        sub = restrict(f.selection, defer)
        if f.defer is not defer and not _selects(sub):
            continue
        kept.append(dataclasses.replace(f, selection=sub))
    return tuple(kept)


def _selects(selection: SelectionSet) -> bool:
    return any(selection.by_type.values()) or bool(selection.common)


def positions(
    data: Any, plan: ObjectPlan, path: Sequence[str]
) -> Iterator[tuple[list[str | int], dict[str, Any], ObjectPlan]]:
    """The objects of the merged data at the response path ``path`` (``@``: every list
    item), with their concrete response paths and the plan that projects them."""

    def walk(
        value: Any, current: ObjectPlan, at: int, concrete: list[str | int]
    ) -> Iterator[tuple[list[str | int], dict[str, Any], ObjectPlan]]:
        if value is None:
            return
        if at == len(path):
            if isinstance(value, dict):
                yield list(concrete), value, current
            return
        segment = path[at]
        if segment == LIST_ITEMS:
            if isinstance(value, list):
                for index, item in enumerate(value):
                    concrete.append(index)
                    yield from walk(item, current, at + 1, concrete)
                    concrete.pop()
            return
        if not isinstance(value, dict):
            return
        rows = current.entries
        if current.abstract:
            typename = value.get("__typename")
            if isinstance(typename, str):
                rows = current.by_type.get(typename, current.entries)
        for key, data_key, _kind, _non_null, _listy, entry in rows:
            if key == segment and entry.sub is not None:
                concrete.append(segment)
                yield from walk(value.get(data_key), entry.sub, at + 1, concrete)
                concrete.pop()
                return

    yield from walk(data, plan, 0, [])


def incremental_items(
    part: DeferredPart,
    projector: Projector,
    data: dict[str, Any],
    fetch_errors: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The ``incremental`` entries of one deferred fragment: one per object at its path
    (``data: null`` when a non-null field of the fragment is null), errors with the entry
    their path falls under (else the first; an entry of its own, with ``data: null``, when
    the fragment's position is not in the response at all)."""
    node = part.node
    entries: list[dict[str, Any]] = []
    for at, obj, plan in positions(data, part.projection, node.path):
        value = projector.project_object(obj, plan, at)
        if value == {}:
            continue  # a fragment whose type condition does not apply to this object
        entries.append(_entry(node, at, value))
    for error in [*fetch_errors, *projector.errors]:
        path = error.get("path")
        target = None
        if isinstance(path, list):
            for entry in entries:
                if path[: len(entry["path"])] == entry["path"]:
                    target = entry
                    break
        if target is None:
            if not entries:
                prefix: list[str | int] = []
                for segment in node.path:
                    if segment == LIST_ITEMS:
                        break
                    prefix.append(segment)
                entries.append(_entry(node, prefix, None))
            target = entries[0]
        target.setdefault("errors", []).append(error)
    return entries


def _entry(node: DeferredNode, path: list[str | int], data: Any) -> dict[str, Any]:
    """Keys in Apollo Router's order: ``label``, ``path``, ``data`` (then ``errors``)."""
    entry: dict[str, Any] = {}
    if node.label is not None:
        entry["label"] = node.label
    entry["path"] = path
    entry["data"] = data
    return entry
