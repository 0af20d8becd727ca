"""Representations for `_entities` fetches, built from merged data by a fetch's `requires`."""

from __future__ import annotations

from typing import Any

from ..planning.nodes import RequiresField, RequiresFragment, RequiresItem

TYPENAME = "__typename"


class MissingKey(Exception):
    """A key field is null or missing: the object cannot be sent."""


def representation(
    obj: dict[str, Any], fragments: tuple[RequiresFragment, ...]
) -> dict[str, Any] | None:
    """The representation of ``obj``; None when no fragment applies to its type.

    Raises `MissingKey` when a key field is null or absent."""
    typename = obj.get(TYPENAME)
    for fragment in fragments:
        if typename in fragment.matches:
            result: dict[str, Any] = {TYPENAME: fragment.typename or typename}
            _fill(obj, fragment.fields, result)
            return result
    return None


def _fill(obj: dict[str, Any], items: tuple[RequiresItem, ...], out: dict[str, Any]) -> None:
    for item in items:
        if isinstance(item, RequiresField):
            if item.name == TYPENAME:
                out[TYPENAME] = obj.get(TYPENAME)
                continue
            value = obj.get(item.data_key)
            if value is None:
                if item.key:
                    raise MissingKey(item.name)
                out[item.name] = None
            elif item.selection is None:
                out[item.name] = value
            else:
                out[item.name] = _nested(value, item)
        elif obj.get(TYPENAME) in item.matches:
            _fill(obj, item.fields, out)


def _nested(value: Any, item: RequiresField) -> Any:
    if isinstance(value, list):
        return [None if v is None else _nested(v, item) for v in value]
    if not isinstance(value, dict):
        return value
    assert item.selection is not None
    out: dict[str, Any] = {}
    _fill(value, item.selection, out)
    return out
