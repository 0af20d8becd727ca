"""Type references (``[Product!]!``) as small immutable values.

Subgraph schemas are merged before any of them is a complete GraphQL schema, so the composer
keeps type references as plain data instead of graphql-core type objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, parse_type


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A named type, or a list/non-null wrapper around ``of``."""

    kind: str
    """``"named"``, ``"list"`` or ``"non_null"``."""
    name: str = ""
    of: TypeRef | None = None

    def __str__(self) -> str:
        if self.kind == "named":
            return self.name
        assert self.of is not None
        if self.kind == "list":
            return f"[{self.of}]"
        return f"{self.of}!"

    @property
    def named(self) -> str:
        ref: TypeRef = self
        while ref.of is not None:
            ref = ref.of
        return ref.name

    @property
    def is_non_null(self) -> bool:
        return self.kind == "non_null"

    @property
    def nullable(self) -> TypeRef:
        if self.kind == "non_null":
            assert self.of is not None
            return self.of
        return self

    def is_list_like(self) -> bool:
        return self.nullable.kind == "list"

    def renamed(self, mapping: Callable[[str], str]) -> TypeRef:
        if self.kind == "named":
            return TypeRef("named", mapping(self.name))
        assert self.of is not None
        return TypeRef(self.kind, of=self.of.renamed(mapping))


def named(name: str) -> TypeRef:
    return TypeRef("named", name)


def from_node(node: TypeNode) -> TypeRef:
    if isinstance(node, NonNullTypeNode):
        return TypeRef("non_null", of=from_node(node.type))
    if isinstance(node, ListTypeNode):
        return TypeRef("list", of=from_node(node.type))
    assert isinstance(node, NamedTypeNode)
    return TypeRef("named", node.name.value)


def parse_ref(text: str) -> TypeRef:
    return from_node(parse_type(text))


def is_strict_subtype(
    supertype: TypeRef,
    subtype: TypeRef,
    is_direct_subtype: Callable[[str, str], bool],
) -> bool:
    """Whether ``subtype`` is a strict subtype of ``supertype`` for output-field merging.

    Allowed rules (Apollo's defaults): a non-null version of a type, an implementation or union
    member of an abstract type, and those rules through list wrappers.
    ``is_direct_subtype(abstract, member)`` answers for named types.
    """
    if subtype.kind == "non_null":
        assert subtype.of is not None
        inner = subtype.of
        if supertype.kind == "non_null":
            assert supertype.of is not None
            return is_strict_subtype(supertype.of, inner, is_direct_subtype)
        return inner == supertype or is_strict_subtype(supertype, inner, is_direct_subtype)
    if supertype.kind == "non_null":
        return False
    if subtype.kind == "list" and supertype.kind == "list":
        assert subtype.of is not None
        assert supertype.of is not None
        return is_strict_subtype(supertype.of, subtype.of, is_direct_subtype)
    if subtype.kind == "named" and supertype.kind == "named":
        return subtype.name != supertype.name and is_direct_subtype(supertype.name, subtype.name)
    return False
