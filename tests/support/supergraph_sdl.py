"""Supergraph SDL builders for the reader's tests: the link/join preamble of each version."""

from __future__ import annotations

LINK = """
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
"""

_EVERYWHERE = """
  | FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM
  | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"""

INACCESSIBLE = "directive @inaccessible on" + _EVERYWHERE + "\n"

TAG = "directive @tag(name: String!) repeatable on SCHEMA" + _EVERYWHERE + "\n"

_AUTH_PLACES = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
AUTH = f"""
directive @authenticated on {_AUTH_PLACES}
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {_AUTH_PLACES}
scalar requiresScopes__Scope
directive @policy(policies: [[policy__Policy!]!]!) on {_AUTH_PLACES}
scalar policy__Policy
"""

AUTH_LINKS = (
    '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)'
    ' @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)'
    ' @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)'
)


def join_definitions(version: str, prefix: str = "join") -> str:
    """The join spec's directives and types as Apollo composition writes them for ``version``."""
    minor = int(version.split(".")[1])
    graph_arg = "graph: join__Graph" if minor >= 3 else "graph: join__Graph!"
    type_args = "graph: join__Graph!, key: join__FieldSet"
    if minor >= 2:
        type_args += ", extension: Boolean! = false, resolvable: Boolean! = true"
    if minor >= 3:
        type_args += ", isInterfaceObject: Boolean! = false"
    field_args = f"{graph_arg}, requires: join__FieldSet, provides: join__FieldSet"
    if minor >= 2:
        field_args += ", type: String, external: Boolean, override: String, usedOverridden: Boolean"
    if minor >= 4:
        field_args += ", overrideLabel: String"
    if minor >= 5:
        field_args += ", contextArguments: [join__ContextArgument!]"
    lines = [
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "scalar join__FieldSet",
    ]
    if minor == 1:
        lines += [
            f"directive @join__type({type_args}) repeatable on OBJECT | INTERFACE",
            f"directive @join__field({field_args}) on FIELD_DEFINITION",
            "directive @join__owner(graph: join__Graph!) on OBJECT | INTERFACE",
        ]
    else:
        lines += [
            f"directive @join__type({type_args}) repeatable on OBJECT | INTERFACE | UNION"
            " | ENUM | INPUT_OBJECT | SCALAR",
            f"directive @join__field({field_args}) repeatable on FIELD_DEFINITION"
            " | INPUT_FIELD_DEFINITION",
            "directive @join__implements(graph: join__Graph!, interface: String!)"
            " repeatable on OBJECT | INTERFACE",
        ]
    if minor >= 3:
        lines += [
            "directive @join__unionMember(graph: join__Graph!, member: String!)"
            " repeatable on UNION",
            "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        ]
    if minor >= 4:
        lines += [
            "directive @join__directive(graphs: [join__Graph!], name: String!,"
            " args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE"
            " | FIELD_DEFINITION",
            "scalar join__DirectiveArguments",
        ]
    if minor >= 5:
        lines += [
            "scalar join__FieldValue",
            "input join__ContextArgument { name: String! type: String! context: String!"
            " selection: join__FieldValue! }",
        ]
    return "\n".join(lines).replace("join__", f"{prefix}__") + "\n"


GRAPHS = """
enum join__Graph {
  INVENTORY @join__graph(name: "inventory", url: "http://inventory:4003/graphql")
  PRODUCTS @join__graph(name: "products", url: "http://products:4002/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://reviews:4004/graphql")
}
"""


def supergraph(
    body: str,
    *,
    version: str = "0.5",
    links: str = "",
    definitions: str = "",
    root: str = "query: Query",
) -> str:
    """A complete supergraph: schema with `@link`s, preamble, three graphs, then ``body``."""
    return (
        f'schema @link(url: "https://specs.apollo.dev/link/v1.0")'
        f' @link(url: "https://specs.apollo.dev/join/v{version}", for: EXECUTION) {links}'
        f" {{ {root} }}\n" + LINK + join_definitions(version) + definitions + GRAPHS + body
    )
