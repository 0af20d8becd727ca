"""Federation 1 subgraphs (no ``@link``; ``extend type``) compose as Apollo upgrades them."""

from __future__ import annotations

from router.composition import compose
from router.supergraph import read_supergraph
from tests.support.compose_cases import link, subgraphs

ACCOUNTS = """
type User @key(fields: "id") { id: ID! name: String }
extend type Query { me: User }
"""
REVIEWS = """
type Review { body: String author: User }
extend type User @key(fields: "id") { id: ID! @external reviews: [Review] }
extend type Query { reviews: [Review] }
"""


def test_extension_keys_are_not_external_and_types_are_not_extensions() -> None:
    result = compose(subgraphs(("accounts", ACCOUNTS), ("reviews", REVIEWS)))
    assert result.errors == ()
    assert result.supergraph_sdl is not None
    sg = read_supergraph(result.supergraph_sdl)
    user = sg.types["User"]
    assert not user.graphs["REVIEWS"].extension
    assert not user.fields["id"].graphs["REVIEWS"].external
    assert set(user.fields["reviews"].graphs) == {"REVIEWS"}
    assert "https://specs.apollo.dev/join/v0.3" in result.supergraph_sdl


def test_value_types_in_several_subgraphs_become_shareable() -> None:
    shared = "type Money { amount: Int }"
    result = compose(
        subgraphs(
            ("a", shared + " type Query { a: Money }"),
            ("b", shared + " type Query { b: Money }"),
        )
    )
    assert result.errors == ()


def test_fields_resolved_by_several_fed1_subgraphs_become_shareable() -> None:
    result = compose(
        subgraphs(
            ("a", 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }'),
            ("b", 'extend type P @key(fields: "id") { id: ID! @external name: String }'),
        )
    )
    assert result.errors == ()


def test_unused_externals_are_dropped() -> None:
    result = compose(
        subgraphs(
            ("a", 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }'),
            (
                "b",
                'extend type P @key(fields: "id") { id: ID! @external name: String @external '
                "x: Int }",
            ),
        )
    )
    assert result.supergraph_sdl is not None
    sg = read_supergraph(result.supergraph_sdl)
    assert set(sg.types["P"].fields["name"].graphs) == {"A"}


def test_fed1_and_fed2_subgraphs_compose_together() -> None:
    result = compose(
        subgraphs(
            ("legacy", 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }'),
            ("modern", link(7, "key") + 'type P @key(fields: "id") { id: ID! price: Int }'),
        )
    )
    assert result.errors == ()


def test_extension_without_base_anywhere() -> None:
    result = compose(
        subgraphs(
            (
                "a",
                'extend type P @key(fields: "id") { id: ID! @external x: Int } type Query { a: '
                "Int }",
            )
        )
    )
    assert [e.code for e in result.errors] == ["EXTENSION_WITH_NO_BASE"]


def test_fed2_directives_are_unknown_in_fed1() -> None:
    result = compose(subgraphs(("a", "type Query { a: Int @shareable }")))
    assert [e.code for e in result.errors] == ["INVALID_GRAPHQL"]
    assert "federation 1 schema" in result.errors[0].message
