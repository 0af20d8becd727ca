"""Representations for `_entities` fetches, built from merged data by a fetch's `requires`.

Most fragments are flat (key and ``@requires`` fields without sub-selections or nested type
conditions): for those the fields are read from a tuple of ``(name, data_key, key)`` worked
out once per fragment, with no per-field type checks (measured in ``bench/README.md``).
"""

from __future__ import annotations

from typing import Any

from ..planning.nodes import RequiresField, RequiresFragment, RequiresItem

TYPENAME = "__typename"


class MissingKey(Exception):
    """A key field is null or missing: the object cannot be sent."""


Flat = tuple[tuple[str, str, bool], ...]
"""A flat fragment's fields: (name in the representation, key in the merged data, is a key)."""

_FLAT: dict[int, tuple[RequiresFragment, Flat | None]] = {}
"""id(fragment) → (the fragment, kept alive so the id is not reused; its flat fields or None
when it is not flat). Fragments belong to cached plans: the table stays as small as they are."""


def _flat(fragment: RequiresFragment) -> Flat | None:
    found = _FLAT.get(id(fragment))
    if found is not None and found[0] is fragment:
        return found[1]
    fields: Flat = tuple(
        (item.name, item.data_key, item.key)
        for item in fragment.fields
        if isinstance(item, RequiresField)
    )
    nested = len(fields) != len(fragment.fields) or any(
        isinstance(item, RequiresField) and (item.selection is not None or item.name == TYPENAME)
        for item in fragment.fields
    )
    flat = None if nested else fields
    if len(_FLAT) > 10_000:  # plans come and go with supergraph reloads
        _FLAT.clear()
    _FLAT[id(fragment)] = (fragment, flat)
    return flat


def representation(
    obj: dict[str, Any], fragments: tuple[RequiresFragment, ...]
) -> dict[str, Any] | None:
    """The representation of ``obj``; None when no fragment applies to its type.

    Raises `MissingKey` when a key field is null or absent."""
    typename = obj.get(TYPENAME)
    for fragment in fragments:
        if typename in fragment.matches:
            result: dict[str, Any] = {TYPENAME: fragment.typename or typename}
            flat = _flat(fragment)
            if flat is None:
                _fill(obj, fragment.fields, result)
                return result
            for name, data_key, key in flat:
                value = obj.get(data_key)
                if value is None and key:
                    raise MissingKey(name)
                result[name] = value
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
