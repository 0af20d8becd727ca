"""Reading directive applications off schema elements, under their names in this schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from graphql.execution.values import get_argument_values

from .errors import SupergraphError
from .links import (
    AUTHENTICATED_IDENTITY,
    CONTEXT_IDENTITY,
    INACCESSIBLE_IDENTITY,
    JOIN_IDENTITY,
    POLICY_IDENTITY,
    REQUIRES_SCOPES_IDENTITY,
    Links,
)


def element_nodes(element: Any) -> list[Any]:
    """The AST nodes of a schema element: its definition, then its extensions."""
    nodes = [element.ast_node] if getattr(element, "ast_node", None) is not None else []
    nodes.extend(getattr(element, "extension_ast_nodes", None) or ())
    return nodes


def node_has_directive(node: Any, directive_name: str | None) -> bool:
    if directive_name is None or node is None:
        return False
    return any(d.name.value == directive_name for d in getattr(node, "directives", None) or ())


def has_directive(element: Any, directive_name: str | None) -> bool:
    """Whether a schema element (definition or extension) carries the directive."""
    return any(node_has_directive(node, directive_name) for node in element_nodes(element))


def applications(
    schema: GraphQLSchema, element: Any, directive_name: str | None, where: str
) -> list[dict[str, Any]]:
    """Argument values (defaults applied) of each application of a directive on an element."""
    if directive_name is None:
        return []
    definition = schema.get_directive(directive_name)
    found: list[dict[str, Any]] = []
    for node in element_nodes(element):
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value != directive_name:
                continue
            if definition is None:
                raise SupergraphError(f"@{directive_name} is used on {where} but not defined")
            try:
                found.append(get_argument_values(definition, directive))
            except GraphQLError as error:
                raise SupergraphError(f"@{directive_name} on {where}: {error.message}") from error
    return found


@dataclass(frozen=True, slots=True)
class DirectiveNames:
    """The schema names of every directive the reader looks at (after `as:`/imports)."""

    graph_enum: str
    graph: str
    type: str
    field: str
    implements: str
    union_member: str
    enum_value: str
    directive: str
    owner: str
    inaccessible: str | None
    authenticated: str | None
    requires_scopes: str | None
    policy: str | None
    context: str | None = None
    """`@context(name:)` of the context spec (types whose descendants read a context)."""

    @classmethod
    def from_links(cls, links: Links) -> DirectiveNames:
        join = links.by_identity(JOIN_IDENTITY)
        if join is None:
            raise SupergraphError(
                "not a supergraph: it does not @link the join spec "
                "(https://specs.apollo.dev/join/v0.x)"
            )

        def root(identity: str, name: str) -> str | None:
            link = links.by_identity(identity)
            return link.directive_name(name) if link else None

        return cls(
            graph_enum=join.type_name("Graph"),
            graph=join.directive_name("graph"),
            type=join.directive_name("type"),
            field=join.directive_name("field"),
            implements=join.directive_name("implements"),
            union_member=join.directive_name("unionMember"),
            enum_value=join.directive_name("enumValue"),
            directive=join.directive_name("directive"),
            owner=join.directive_name("owner"),
            inaccessible=root(INACCESSIBLE_IDENTITY, "inaccessible"),
            authenticated=root(AUTHENTICATED_IDENTITY, "authenticated"),
            requires_scopes=root(REQUIRES_SCOPES_IDENTITY, "requiresScopes"),
            policy=root(POLICY_IDENTITY, "policy"),
            context=root(CONTEXT_IDENTITY, "context"),
        )
