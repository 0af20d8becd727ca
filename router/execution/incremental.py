"""Incremental delivery (`@defer`): which part of the response each payload carries.

The planner leaves the whole client selection in one `SelectionSet` whose fields are tagged
with the deferred fragment they belong to (`Field.defer`). Here that selection is split once
per plan: the *primary* selection (untagged fields) and, per deferred fragment, the fields of
that fragment together with the ancestors leading to them. Each is compiled for `projection`.

At run time the primary payload is ``{"data": ..., "hasNext": true}``; a deferred fragment
is projected from the merged data (root down, so null propagation and error paths work as for
any response) and cut at its path: one item ``{"data", "path", "label"?, "errors"?}`` per
object found there, as Apollo Router sends them (deferSpec=20220824). A subgraph error of the
fragment's own fetches goes with the item whose path it falls under (else the first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema

from ..planning.nodes import DeferNode, DeferredNode
from ..planning.normalize.model import Defer, Field, SelectionSet, defers_in
from .projection import ObjectPlan, compile_selection

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
    data_keys: Mapping[int, str],
) -> IncrementalPlan:
    """Compile the primary selection and each deferred fragment's (once per plan)."""
    by_id = {d.id: d for d in defers_in(selection)}
    parts = []
    for node in plan_node.deferred:
        keys = dict(data_keys)
        restricted = restrict(selection, by_id[node.id], keys)
        parts.append(DeferredPart(node, compile_selection(schema, restricted, frozenset(), keys)))
    keys = dict(data_keys)
    primary = compile_selection(schema, restrict(selection, None, keys), frozenset(), keys)
    return IncrementalPlan(primary, tuple(parts))


def restrict(
    selection: SelectionSet, defer: Defer | None, data_keys: dict[int, str]
) -> SelectionSet:
    """The fields delivered with ``defer`` (None: the primary part), with the ancestors that
    lead to them; ``data_keys`` gains the internal aliases of the copies made."""
    by_type = {
        runtime: _fields(fields, defer, data_keys) for runtime, fields in selection.by_type.items()
    }
    common = _fields(selection.common, defer, data_keys) if selection.common is not None else None
    return SelectionSet(selection.type_name, selection.abstract, by_type, common)


def _fields(
    fields: Sequence[Field], defer: Defer | None, data_keys: dict[int, str]
) -> tuple[Field, ...]:
    kept: list[Field] = []
    for f in fields:
        if f.selection is None:
            if f.defer is defer:
                kept.append(f)
            continue
        sub = restrict(f.selection, defer, data_keys)
        if f.defer is not defer and not _selects(sub):
            continue
        copy = dataclasses.replace(f, selection=sub)
        if id(f) in data_keys:
            data_keys[id(copy)] = data_keys[id(f)]
        kept.append(copy)
    return tuple(kept)


def _selects(selection: SelectionSet) -> bool:
    return any(selection.by_type.values()) or bool(selection.common)


def items(data: Any, path: Sequence[str]) -> Iterator[tuple[list[str | int], dict[str, Any]]]:
    """The objects at ``path`` (``@``: every list item) with their concrete paths."""

    def walk(value: Any, at: int, concrete: list[str | int]) -> Iterator[Any]:
        if value is None:
            return
        if at == len(path):
            if isinstance(value, dict):
                yield list(concrete), value
            return
        segment = path[at]
        if segment == LIST_ITEMS:
            if isinstance(value, list):
                for index, item in enumerate(value):
                    concrete.append(index)
                    yield from walk(item, at + 1, concrete)
                    concrete.pop()
        elif isinstance(value, dict):
            concrete.append(segment)
            yield from walk(value.get(segment), at + 1, concrete)
            concrete.pop()

    yield from walk(data, 0, [])


def incremental_items(
    node: DeferredNode, data: dict[str, Any] | None, errors: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``incremental`` entries of one deferred fragment: its data cut at its path, its
    errors with the entry their path falls under (else the first; an entry of its own, with
    ``data: null``, when the fragment's position is not in the response at all)."""
    found = [
        (at, value)
        for at, value in items(data, node.path)
        if value  # a fragment whose type condition does not apply here selects nothing
    ]
    entries: list[dict[str, Any]] = []
    for at, value in found:
        entry: dict[str, Any] = {"data": value, "path": at}
        if node.label is not None:
            entry["label"] = node.label
        entries.append(entry)
    for error in errors:
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
                entry = {"data": None, "path": prefix}
                if node.label is not None:
                    entry["label"] = node.label
                entries.append(entry)
            target = entries[0]
        target.setdefault("errors", []).append(error)
    return entries
