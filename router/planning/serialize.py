"""Query plans as bytes, so that router replicas can share them (``query_planning.cache.redis``).

A plan is frozen data (`router.planning.nodes`); `encode_plan` writes it as JSON (orjson)
with each node tagged by its class name, and `decode_plan` builds the same nodes back:
``decode_plan(encode_plan(plan, ...)) == plan``, ``body_prefix`` bytes included. Tuples are
JSON arrays (every sequence in a plan is a tuple), frozensets are ``{"$set": [...]}`` and
bytes ``{"$bytes": "..."}`` (a body prefix is UTF-8 JSON text).

A plan is all there is to share: the client fields fetched under an internal alias are part
of it (`ResponseAlias`, named by position in the response, not by object identity), so the
replica that takes a plan compiles the same projection from its own expansion of the
operation.

``FORMAT`` is part of every shared plan's key: a router that writes plans differently never
reads an older one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from . import nodes
from .nodes import QueryPlan

FORMAT = "2"
"""2: internal aliases inside the plan (format 1 carried data keys beside it)."""

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


def encode_plan(plan: QueryPlan) -> bytes:
    """``plan`` as bytes."""
    return orjson.dumps({"format": FORMAT, "plan": _to_json(plan)})


def decode_plan(data: bytes) -> QueryPlan:
    """The plan; raises `PlanDecodeError` for anything but a plan this router writes."""
    try:
        document = orjson.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise PlanDecodeError("not a plan of this format")
        plan = _from_json(document["plan"])
    except PlanDecodeError:
        raise
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as error:
        raise PlanDecodeError(f"not a readable plan: {error}") from error
    if not isinstance(plan, QueryPlan):
        raise PlanDecodeError("the document holds no query plan")
    return plan
