"""The satisfiability check: every API field must be reachable through some subgraph path."""

from __future__ import annotations

from router.composition import CompositionError, compose
from tests.support.compose_cases import KEY_7, link, subgraphs


def unsatisfiable(*pairs: tuple[str, str]) -> list[CompositionError]:
    result = compose(subgraphs(*pairs))
    assert result.supergraph_sdl is None
    assert {e.code for e in result.errors} == {"SATISFIABILITY_ERROR"}, [
        str(e) for e in result.errors
    ]
    return list(result.errors)


def satisfiable(*pairs: tuple[str, str]) -> None:
    result = compose(subgraphs(*pairs))
    assert result.errors == (), [str(e) for e in result.errors]


def test_unresolvable_key_leaves_fields_unreachable() -> None:
    (error,) = unsatisfiable(
        ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }'),
        ("b", KEY_7 + 'type P @key(fields: "id", resolvable: false) { id: ID! price: Int }'),
    )
    assert error.coordinates == ("P.price",)
    assert error.subgraphs == ("a",)
    assert "{\n  p {\n    price\n  }\n}" in error.message
    assert 'none of the @key defined on type "P" in subgraph "b" are resolvable' in error.message


def test_key_fields_the_current_subgraph_cannot_provide() -> None:
    found = unsatisfiable(
        ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! } type Query { p: P }'),
        ("b", KEY_7 + 'type P @key(fields: "upc") { upc: ID! price: Int }'),
    )
    assert sorted(c for e in found for c in e.coordinates) == ["P.price", "P.upc"]
    assert 'the key field(s) cannot be resolved from subgraph "a"' in found[0].message


def test_value_types_cannot_jump() -> None:
    (error,) = unsatisfiable(
        ("a", link(7, "shareable") + "type V @shareable { x: Int } type Query { a: V }"),
        ("b", link(7, "shareable") + "type V @shareable { x: Int y: Int } type Query { b: V }"),
    )
    assert error.coordinates == ("V.y",)
    assert 'type "V" has no @key defined in subgraph "b"' in error.message


def test_requires_needs_a_reachable_source() -> None:
    found = unsatisfiable(
        ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! } type Query { p: P }'),
        (
            "b",
            link(7, "key", "external", "requires")
            + 'type P @key(fields: "id") { id: ID! w: Int @external s: Int @requires(fields: '
            '"w") }',
        ),
        ("c", KEY_7 + 'type P @key(fields: "id", resolvable: false) { id: ID! w: Int }'),
    )
    assert sorted(c for e in found for c in e.coordinates) == ["P.s", "P.w"]
    assert any('cannot satisfy @require conditions on field "P.s"' in e.message for e in found)


def test_provides_only_helps_below_its_field() -> None:
    (error,) = unsatisfiable(
        (
            "a",
            link(7, "key", "external", "provides")
            + """
            type R { p: P @provides(fields: "name") q: P }
            type P @key(fields: "id") { id: ID! name: String @external }
            type Query { r: R }
            """,
        ),
        (
            "b",
            link(7, "key", "shareable")
            + 'type P @key(fields: "id", resolvable: false) { id: ID! name: String @shareable }',
        ),
    )
    assert "r {\n    q {\n      name" in error.message


def test_reachable_through_several_jumps() -> None:
    satisfiable(
        ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! } type Query { p: P }'),
        ("b", KEY_7 + 'type P @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! }'),
        ("c", KEY_7 + 'type P @key(fields: "sku") { sku: String! price: Int }'),
    )


def test_requires_met_from_another_subgraph() -> None:
    satisfiable(
        ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! w: Int } type Query { p: P }'),
        (
            "b",
            link(7, "key", "external", "requires")
            + 'type P @key(fields: "id") { id: ID! w: Int @external s: Int @requires(fields: '
            '"w") }',
        ),
    )


def test_interface_fields_fetched_per_implementation() -> None:
    satisfiable(
        (
            "a",
            KEY_7
            + """
            interface I { id: ID! }
            type X implements I @key(fields: "id") { id: ID! }
            type Query { i: I }
            """,
        ),
        (
            "b",
            KEY_7
            + """
            interface I { id: ID! n: Int }
            type X implements I @key(fields: "id") { id: ID! n: Int }
            """,
        ),
    )


def test_interface_object_fields_reach_implementations() -> None:
    satisfiable(
        (
            "a",
            link(3, "key")
            + """
            interface M @key(fields: "id") { id: ID! }
            type B implements M @key(fields: "id") { id: ID! }
            type Query { b: B }
            """,
        ),
        (
            "c",
            link(3, "key", "interfaceObject")
            + 'type M @key(fields: "id") @interfaceObject { id: ID! r: Int }',
        ),
    )


def test_inaccessible_fields_are_not_checked() -> None:
    satisfiable(
        (
            "a",
            link(7, "key", "inaccessible")
            + 'type P @key(fields: "id") { id: ID! } type Query { p: P }',
        ),
        (
            "b",
            link(7, "key", "inaccessible")
            + 'type P @key(fields: "id", resolvable: false) { id: ID! price: Int @inaccessible }',
        ),
    )


def test_check_can_be_skipped() -> None:
    sources = subgraphs(
        ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! } type Query { p: P }'),
        ("b", KEY_7 + 'type P @key(fields: "id", resolvable: false) { id: ID! price: Int }'),
    )
    assert compose(sources, run_satisfiability=False).supergraph_sdl is not None
