"""Query plans as bytes, so that router replicas can share them (``query_planning.cache.redis``).

A plan is frozen data (`router.planning.nodes`); `encode_plan` writes it as JSON (orjson)
with each node tagged by its class name, and `decode_plan` builds the same nodes back:
``decode_plan(encode_plan(plan, ...)) == plan``, ``body_prefix`` bytes included. Tuples are
JSON arrays (every sequence in a plan is a tuple), frozensets are ``{"$set": [...]}`` and
bytes ``{"$bytes": "..."}`` (a body prefix is UTF-8 JSON text).

A plan comes with its *data keys*: the client fields (of the operation's expanded selection)
that the planner fetched under an internal alias. The planner names them by object identity,
which means nothing in another process; they travel by position instead, the index of the
field in `selection_fields` order, a walk that is the same wherever the same operation is
expanded against the same supergraph (the key of a shared plan names both).

``FORMAT`` is part of every shared plan's key: a router that writes plans differently never
reads an older one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import orjson

from . import nodes
from .nodes import QueryPlan
from .normalize.model import Field, SelectionSet

FORMAT = "1"

_NODES: dict[str, type[Any]] = {
    name: value
    for name, value in vars(nodes).items()
    if isinstance(value, type)
    and dataclasses.is_dataclass(value)
    and value.__module__ == nodes.__name__
}
"""Every frozen dataclass of `router.planning.nodes`, by class name (a node added there is
covered without a change here; the scenario round-trip test checks every plan kind)."""
_TAG = "$node"


class PlanDecodeError(ValueError):
    """The bytes are not a plan this router writes."""


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if name not in _NODES:
            raise TypeError(f"{name} is not a plan node")
        encoded: dict[str, Any] = {_TAG: name}
        for item in dataclasses.fields(value):
            encoded[item.name] = _to_json(getattr(value, item.name))
        return encoded
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, frozenset):
        return {"$set": sorted(value)}
    if isinstance(value, bytes):
        return {"$bytes": value.decode("utf-8")}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} cannot be part of a shared plan")


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_from_json(item) for item in value)
    if isinstance(value, dict):
        if "$set" in value:
            return frozenset(value["$set"])
        if "$bytes" in value:
            return str(value["$bytes"]).encode("utf-8")
        name = value.get(_TAG)
        cls = _NODES.get(name) if isinstance(name, str) else None
        if cls is None:
            raise PlanDecodeError(f"unknown plan node {name!r}")
        return cls(**{key: _from_json(item) for key, item in value.items() if key != _TAG})
    return value


def selection_fields(selection: SelectionSet) -> list[Field]:
    """Every field of ``selection`` once, in a fixed order (depth first; the shared ``common``
    fields of a position before its per-type ones)."""
    ordered: list[Field] = []
    seen: set[int] = set()
    stack: list[SelectionSet] = [selection]
    while stack:
        current = stack.pop()
        groups = [current.common or ()] + [current.by_type[name] for name in current.by_type]
        below: list[SelectionSet] = []
        for group in groups:
            for item in group:
                if id(item) in seen:
                    continue
                seen.add(id(item))
                ordered.append(item)
                if item.selection is not None:
                    below.append(item.selection)
        stack.extend(reversed(below))
    return ordered


def encode_plan(plan: QueryPlan, data_keys: Mapping[int, str], selection: SelectionSet) -> bytes:
    """``plan`` and its data keys (by field identity in ``selection``) as bytes."""
    position = {id(item): index for index, item in enumerate(selection_fields(selection))}
    keys = {str(position[field_id]): key for field_id, key in data_keys.items()}
    return orjson.dumps({"format": FORMAT, "plan": _to_json(plan), "data_keys": keys})


def decode_plan(data: bytes, selection: SelectionSet) -> tuple[QueryPlan, dict[int, str]]:
    """The plan and its data keys (by field identity in this process's ``selection``, the
    same operation expanded here); raises `PlanDecodeError` for anything else."""
    try:
        document = orjson.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise PlanDecodeError("not a plan of this format")
        plan = _from_json(document["plan"])
        fields = selection_fields(selection)
        keys = {id(fields[int(index)]): str(key) for index, key in document["data_keys"].items()}
    except PlanDecodeError:
        raise
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as error:
        raise PlanDecodeError(f"not a readable plan: {error}") from error
    if not isinstance(plan, QueryPlan):
        raise PlanDecodeError("the document holds no query plan")
    return plan, keys
