"""`@link` handling: renamed features and imports, and refusal of unknown SECURITY/EXECUTION."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import print_schema

from router.supergraph import SupergraphError, read_supergraph
from tests.support.supergraph_sdl import (
    AUTH,
    AUTH_LINKS,
    INACCESSIBLE,
    LINK,
    join_definitions,
    supergraph,
)

SIMPLE = """
type Query @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  product: Product @join__field(graph: PRODUCTS)
}
type Product @join__type(graph: PRODUCTS, key: "id") @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  name: String @join__field(graph: PRODUCTS)
  rating: Int @join__field(graph: REVIEWS)
}
"""

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def test_renamed_join_and_link() -> None:
    """`as:` renames every element of a feature, including the link spec itself."""
    sdl = (
        'schema @mylink(url: "https://specs.apollo.dev/link/v1.0", as: "mylink")'
        ' @mylink(url: "https://specs.apollo.dev/join/v0.3", as: "myjoin", for: EXECUTION)'
        " { query: Query }\n"
        + LINK.replace("@link(", "@mylink(").replace("link__", "mylink__")
        + join_definitions("0.3", prefix="myjoin")
        + """
enum myjoin__Graph {
  PRODUCTS @myjoin__graph(name: "products", url: "http://p")
  REVIEWS @myjoin__graph(name: "reviews", url: "http://r")
}
"""
        + SIMPLE.replace("@join__", "@myjoin__")
    )
    sg = read_supergraph(sdl)
    assert set(sg.subgraphs) == {"PRODUCTS", "REVIEWS"}
    assert [k.fields for k in sg.type("Product").graphs["REVIEWS"].keys] == ["id"]
    assert set(sg.field("Product", "rating").graphs) == {"REVIEWS"}
    api = print_schema(sg.api_schema)
    assert "myjoin" not in api
    assert "mylink" not in api


def test_join_not_renamed_while_another_feature_is() -> None:
    """A directive literally named like the default is not the feature's once renamed."""
    sdl = supergraph(
        SIMPLE.replace("name: String", "name: String @private"),
        links='@link(url: "https://specs.apollo.dev/inaccessible/v0.2", as: "private",'
        " for: SECURITY)",
        definitions=INACCESSIBLE.replace("@inaccessible", "@private"),
    )
    sg = read_supergraph(sdl)
    assert sg.field("Product", "name").inaccessible
    assert "name" not in sg.api_schema.type_map["Product"].fields


def test_imported_and_aliased_feature_directives() -> None:
    body = SIMPLE.replace("name: String", "name: String @hidden @mustLogin").replace(
        "rating: Int", 'rating: Int @needs(scopes: [["read"], ["admin", "x"]])'
    )
    definitions = (
        INACCESSIBLE.replace("@inaccessible", "@hidden")
        + "directive @mustLogin on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n"
        + "directive @needs(scopes: [[Scope!]!]!) on FIELD_DEFINITION | OBJECT\n"
        + "scalar Scope\n"
    )
    links = (
        '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY,'
        ' import: [{name: "@inaccessible", as: "@hidden"}])'
        ' @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY,'
        ' import: [{name: "@authenticated", as: "@mustLogin"}])'
        ' @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY,'
        ' import: [{name: "@requiresScopes", as: "@needs"}, "Scope"])'
    )
    sg = read_supergraph(supergraph(body, links=links, definitions=definitions))
    name = sg.field("Product", "name")
    assert name.inaccessible
    assert name.auth.authenticated
    rating = sg.field("Product", "rating")
    assert rating.auth.scopes == (("read",), ("admin", "x"))
    assert not rating.auth.authenticated
    api = print_schema(sg.api_schema)
    for gone in ("hidden", "mustLogin", "needs", "Scope", "name: String"):
        assert gone not in api


def test_authorization_directives_on_types_and_fields() -> None:
    body = """
type Query @join__type(graph: PRODUCTS) {
  me: Account @join__field(graph: PRODUCTS) @authenticated
  open: String @join__field(graph: PRODUCTS)
}
type Account @join__type(graph: PRODUCTS) @requiresScopes(scopes: [["profile"]])
  @policy(policies: [["owner"], ["support", "audit"]]) {
  email: String @policy(policies: [["self"]])
}
"""
    sg = read_supergraph(supergraph(body, links=AUTH_LINKS, definitions=AUTH))
    assert sg.field("Query", "me").auth.authenticated
    assert sg.field("Query", "open").auth.empty
    account = sg.type("Account")
    assert account.auth.scopes == (("profile",),)
    assert account.auth.policies == (("owner",), ("support", "audit"))
    assert not account.auth.authenticated
    assert sg.field("Account", "email").auth.policies == (("self",),)
    assert "@policy" not in print_schema(sg.api_schema)


@pytest.mark.parametrize("purpose", ["SECURITY", "EXECUTION"])
def test_unknown_feature_for_security_or_execution_is_refused(purpose: str) -> None:
    url = "https://specs.example.com/magic/v1.0"
    sdl = supergraph(
        SIMPLE,
        links=f'@link(url: "{url}", for: {purpose})',
        definitions="directive @magic on FIELD_DEFINITION\n",
    )
    with pytest.raises(SupergraphError) as caught:
        read_supergraph(sdl)
    assert url in str(caught.value)
    assert purpose in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://specs.apollo.dev/context/v0.2",
        "https://specs.apollo.dev/connect/v0.1",
        "https://specs.apollo.dev/join/v0.9",
        "https://specs.apollo.dev/authenticated/v0.7",
    ],
)
def test_unimplemented_apollo_features_and_versions_are_refused(url: str) -> None:
    sdl = supergraph(SIMPLE, links=f'@link(url: "{url}", for: SECURITY)')
    with pytest.raises(SupergraphError, match=re.escape(url)):
        read_supergraph(sdl)


def test_context_feature_is_read_and_hidden_from_clients() -> None:
    """`context/v0.1` (`@context`, `join__field(contextArguments:)`) is implemented: the
    holder types and the arguments filled from a context are read; clients see neither."""
    sdl = (SCENARIOS / "68_context_from_ancestor" / "supergraph.graphql").read_text()
    sg = read_supergraph(sdl)
    assert sg.type("Store").contexts == frozenset({"shop__store"})
    (in_shop,) = sg.field("Product", "price").graphs.values()
    (argument,) = in_shop.context_arguments
    assert (argument.name, argument.type, argument.context) == ("currency", "String", "shop__store")
    api = print_schema(sg.api_schema)
    assert "context" not in api
    assert "price: String!" in api


def test_unknown_feature_without_purpose_is_accepted_and_hidden() -> None:
    sdl = supergraph(
        SIMPLE.replace("rating: Int", "rating: Int @cost(weight: 3) @listSize(assumedSize: 2)"),
        links='@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"])'
        ' @link(url: "https://specs.apollo.dev/tag/v0.3")',
        definitions="directive @cost(weight: Int!) on FIELD_DEFINITION\n"
        "directive @listSize(assumedSize: Int) on FIELD_DEFINITION\n",
    )
    sg = read_supergraph(sdl)
    api = print_schema(sg.api_schema)
    assert "cost" not in api
    assert "listSize" not in api
    assert "rating: Int" in api


def test_missing_link_or_join_is_not_a_supergraph() -> None:
    with pytest.raises(SupergraphError, match="no @link"):
        read_supergraph("type Query { a: Int }")
    no_join = (
        'schema @link(url: "https://specs.apollo.dev/link/v1.0") { query: Query }\n'
        + LINK
        + "type Query { a: Int }"
    )
    with pytest.raises(SupergraphError, match="join spec"):
        read_supergraph(no_join)


def test_bad_import_is_reported() -> None:
    sdl = supergraph(
        SIMPLE,
        links='@link(url: "https://specs.apollo.dev/tag/v0.3", import: [{name: "@tag", as: "T"}])',
    )
    with pytest.raises(SupergraphError, match="imported as a directive"):
        read_supergraph(sdl)


FED1 = """
schema
  @core(feature: "https://specs.apollo.dev/core/v0.1")
  @core(feature: "https://specs.apollo.dev/join/v0.1")
{ query: Query }

directive @core(feature: String!) repeatable on SCHEMA
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet)
  on FIELD_DEFINITION
directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT | INTERFACE
directive @join__owner(graph: join__Graph!) on OBJECT | INTERFACE
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
scalar join__FieldSet

enum join__Graph {
  ACCOUNTS @join__graph(name: "accounts", url: "http://accounts:4001/graphql")
  REVIEWS @join__graph(name: "reviews", url: "http://reviews:4002/graphql")
}

type Query {
  me: User @join__field(graph: ACCOUNTS)
  shared: String
}

type User @join__owner(graph: ACCOUNTS) @join__type(graph: ACCOUNTS, key: "id")
  @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  name: String
  reviews: [Review] @join__field(graph: REVIEWS)
}

type Review { body: String }
"""


def test_federation_1_supergraph_with_core_and_owner() -> None:
    sg = read_supergraph(FED1)
    assert sg.join_version == (0, 1)
    assert set(sg.subgraphs) == {"ACCOUNTS", "REVIEWS"}
    # Owned type: fields without @join__field live in the owner only...
    assert set(sg.field("User", "name").graphs) == {"ACCOUNTS"}
    assert set(sg.field("User", "reviews").graphs) == {"REVIEWS"}
    # ...except key fields, which the extending graph resolves too.
    assert set(sg.field("User", "id").graphs) == {"ACCOUNTS", "REVIEWS"}
    # Value types and root types without join__type: every graph.
    assert set(sg.field("Review", "body").graphs) == {"ACCOUNTS", "REVIEWS"}
    assert set(sg.field("Query", "shared").graphs) == {"ACCOUNTS", "REVIEWS"}
    api = print_schema(sg.api_schema)
    assert "core" not in api
    assert "join__" not in api


def test_fed1_unknown_security_feature_through_core_is_refused() -> None:
    sdl = (
        FED1.replace(
            '@core(feature: "https://specs.apollo.dev/join/v0.1")',
            '@core(feature: "https://specs.apollo.dev/join/v0.1")'
            ' @core(feature: "https://example.com/secret/v0.1", for: SECURITY)',
        )
        .replace(
            "directive @core(feature: String!)",
            "enum core__Purpose { SECURITY EXECUTION }\n"
            "directive @core(feature: String!, as: String, for: core__Purpose)",
        )
        .replace("core/v0.1", "core/v0.2")
    )
    with pytest.raises(SupergraphError, match=re.escape("https://example.com/secret/v0.1")):
        read_supergraph(sdl)
