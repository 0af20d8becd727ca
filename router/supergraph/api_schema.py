"""The client-facing API schema: the supergraph without its machinery and hidden elements.

Like Apollo's `toAPISchema`: every element of a linked feature (link, join, tag, inaccessible,
authorization, composed custom directives...) is removed, then every `@inaccessible` element.
Before removing, the `@inaccessible` applications are checked as the inaccessible spec asks, so
that a bad supergraph fails here with a message naming the elements rather than later with an
obscure validation error. Descriptions, `@deprecated`, `@specifiedBy` and directives that belong
to no linked feature (e.g. executable directives every subgraph declares) are kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLDeferDirective,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    print_schema,
    specified_directives,
    specified_scalar_types,
    validate_schema,
)

from .directives import has_directive, node_has_directive
from .errors import SupergraphError
from .inaccessible import check_inaccessible
from .links import INACCESSIBLE_IDENTITY, Links
from .model import Supergraph

_BUILTIN_DIRECTIVES = frozenset(d.name for d in specified_directives)


def _named(node: TypeNode) -> str:
    while isinstance(node, ListTypeNode | NonNullTypeNode):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


class _Pruner:
    """Rewrites the supergraph document into the API schema's document."""

    def __init__(self, schema: GraphQLSchema, links: Links, inaccessible: str | None) -> None:
        self.links = links
        self.inaccessible = inaccessible
        self.removed_types = {
            name
            for name, named in schema.type_map.items()
            if not name.startswith("__")
            and name not in specified_scalar_types
            and (links.owns_type(name) or has_directive(named, inaccessible))
        }

    def drop_directive(self, name: str) -> bool:
        return name not in _BUILTIN_DIRECTIVES and self.links.owns_directive(name)

    def directives(
        self, nodes: Sequence[ConstDirectiveNode] | None
    ) -> tuple[ConstDirectiveNode, ...]:
        return tuple(d for d in nodes or () if not self.drop_directive(d.name.value))

    def keep(self, node: Any) -> bool:
        """An element stays unless hidden or typed with a removed (feature or hidden) type."""
        return (
            not node_has_directive(node, self.inaccessible)
            and _named(node.type) not in self.removed_types
        )

    def input_values(
        self, nodes: Sequence[InputValueDefinitionNode] | None
    ) -> tuple[InputValueDefinitionNode, ...]:
        return tuple(
            dataclasses.replace(node, directives=self.directives(node.directives))
            for node in nodes or ()
            if self.keep(node)
        )

    def fields(
        self, nodes: Sequence[FieldDefinitionNode] | None
    ) -> tuple[FieldDefinitionNode, ...]:
        return tuple(
            dataclasses.replace(
                node,
                directives=self.directives(node.directives),
                arguments=self.input_values(node.arguments),
            )
            for node in nodes or ()
            if self.keep(node)
        )

    def named_types(self, nodes: Sequence[NamedTypeNode] | None) -> tuple[NamedTypeNode, ...]:
        return tuple(n for n in nodes or () if n.name.value not in self.removed_types)

    def definition(self, node: DefinitionNode) -> DefinitionNode | None:
        if isinstance(node, DirectiveDefinitionNode):
            if self.drop_directive(node.name.value):
                return None
            return dataclasses.replace(node, arguments=self.input_values(node.arguments))
        if isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            operation_types = tuple(
                op
                for op in node.operation_types or ()
                if op.type.name.value not in self.removed_types
            )
            directives = self.directives(node.directives)
            if isinstance(node, SchemaExtensionNode) and not (operation_types or directives):
                return None
            return dataclasses.replace(node, directives=directives, operation_types=operation_types)
        if not isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            return node
        if node.name.value in self.removed_types:
            return None
        changes: dict[str, Any] = {"directives": self.directives(node.directives)}
        if isinstance(
            node,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode,
        ):
            changes["interfaces"] = self.named_types(node.interfaces)
            changes["fields"] = self.fields(node.fields)
        elif isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
            changes["fields"] = self.input_values(node.fields)
        elif isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            changes["types"] = self.named_types(node.types)
        elif isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            changes["values"] = tuple(
                dataclasses.replace(value, directives=self.directives(value.directives))
                for value in node.values or ()
                if not node_has_directive(value, self.inaccessible)
            )
        return dataclasses.replace(node, **changes)

    def document(self, document: DocumentNode) -> DocumentNode:
        definitions = [self.definition(node) for node in document.definitions]
        return dataclasses.replace(
            document, definitions=tuple(d for d in definitions if d is not None)
        )


def build_api_schema(document: DocumentNode, schema: GraphQLSchema, links: Links) -> GraphQLSchema:
    """The API schema of a supergraph (its document and the schema built from it)."""
    inaccessible_link = links.by_identity(INACCESSIBLE_IDENTITY)
    inaccessible = inaccessible_link.directive_name("inaccessible") if inaccessible_link else None
    if inaccessible is not None:
        errors = check_inaccessible(schema, links, inaccessible)
        if errors:
            raise SupergraphError(
                "invalid @inaccessible usage, the API schema cannot be built:\n- "
                + "\n- ".join(errors)
            )
    api_document = _Pruner(schema, links, inaccessible).document(document)
    try:  # the supergraph document was validated already; pruning keeps it well-formed
        api_schema = build_ast_schema(api_document, assume_valid_sdl=True)
    except (TypeError, ValueError) as error:
        raise SupergraphError(f"the API schema is invalid: {error}") from error
    if api_schema.get_directive("defer") is None:
        # Incremental delivery is the router's own: clients may send `@defer` (validated by
        # graphql-core's defer rules) whatever the subgraphs declare.
        kwargs = api_schema.to_kwargs()
        kwargs["directives"] = (*api_schema.directives, GraphQLDeferDirective)
        api_schema = GraphQLSchema(**kwargs)
    problems = validate_schema(api_schema)
    if problems:
        raise SupergraphError(
            "the API schema is invalid:\n- " + "\n- ".join(p.message for p in problems)
        )
    return api_schema


def print_api_schema(supergraph: Supergraph) -> str:
    """The API schema as SDL, as clients see it through introspection."""
    return print_schema(supergraph.api_schema)
