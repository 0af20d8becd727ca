"""Mutable selection trees that fetch groups fill while planning, printed once at the end."""

from __future__ import annotations

from ..operation.normalize.model import TYPENAME


class SelField:
    __slots__ = ("arguments", "name", "response_key", "sel")

    def __init__(self, response_key: str, name: str, arguments: str, composite: bool) -> None:
        self.response_key = response_key
        self.name = name
        self.arguments = arguments
        self.sel: SelNode | None = SelNode() if composite else None


Shape = tuple[str, str, str, str]
"""(subgraph type of the field, parent type, field name, printed arguments)."""


class _Scope:
    """Response keys used in one selection set and its fragments (they share a namespace)."""

    __slots__ = ("aliases", "counter", "keys")

    def __init__(self) -> None:
        self.keys: dict[str, Shape] = {}
        self.aliases: dict[tuple[str, Shape], str] = {}
        self.counter = 0


class SelNode:
    """One selection set of a subgraph operation: fields by response key, then fragments."""

    __slots__ = ("fields", "fragments", "scope")

    def __init__(self, scope: _Scope | None = None) -> None:
        self.fields: dict[str, SelField] = {}
        self.fragments: dict[str, SelNode] = {}
        self.scope = scope if scope is not None else _Scope()

    def claim(self, response_key: str, shape: Shape) -> str:
        """The response key to use for a field of ``shape``: ``response_key`` unless another
        field of a different shape uses it in this selection set (then an internal alias)."""
        scope = self.scope
        known = scope.aliases.get((response_key, shape))
        if known is not None:
            return known
        taken = scope.keys.get(response_key)
        if taken is None:
            scope.keys[response_key] = shape
        elif taken[0] != shape[0] or (taken[1] == shape[1] and taken[2:] != shape[2:]):
            # Another result type, or another field of the same type, already uses the key.
            scope.counter += 1
            alias = f"{response_key}__alias_{scope.counter}"
            scope.keys[alias] = shape
            scope.aliases[(response_key, shape)] = alias
            return alias
        scope.aliases[(response_key, shape)] = response_key
        return response_key

    def field(
        self, response_key: str, name: str, arguments: str = "", composite: bool = False
    ) -> SelField:
        existing = self.fields.get(response_key)
        if existing is None:
            existing = SelField(response_key, name, arguments, composite)
            self.fields[response_key] = existing
        return existing

    def typename(self) -> None:
        if TYPENAME not in self.fields:
            self.fields[TYPENAME] = SelField(TYPENAME, TYPENAME, "", False)

    def fragment(self, type_condition: str) -> SelNode:
        existing = self.fragments.get(type_condition)
        if existing is None:
            existing = SelNode(self.scope)
            self.fragments[type_condition] = existing
        return existing

    @property
    def empty(self) -> bool:
        return not self.fields and not any(not f.empty for f in self.fragments.values())

    def print(self, out: list[str]) -> None:
        """Append ``{ ... }``; an empty set prints ``{ __typename }`` to stay valid GraphQL."""
        out.append("{")
        wrote = False
        for field in self.fields.values():
            out.append(" ")
            if field.response_key != field.name:
                out.append(field.response_key)
                out.append(": ")
            out.append(field.name)
            out.append(field.arguments)
            if field.sel is not None:
                out.append(" ")
                field.sel.print(out)
            wrote = True
        for condition, fragment in self.fragments.items():
            if fragment.empty:
                continue
            out.append(" ... on ")
            out.append(condition)
            out.append(" ")
            fragment.print(out)
            wrote = True
        if not wrote:
            out.append(" " + TYPENAME)
        out.append(" }")
