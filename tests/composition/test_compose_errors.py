"""Each composition error: its Apollo code, the subgraphs and schema coordinates it concerns."""

from __future__ import annotations

import pytest

from router.composition import CompositionError, compose
from tests.support.compose_cases import link, subgraphs


def errors(*pairs: tuple[str, str]) -> list[CompositionError]:
    result = compose(subgraphs(*pairs))
    assert result.supergraph_sdl is None
    assert result.errors
    return list(result.errors)


def only(code: str, *pairs: tuple[str, str]) -> CompositionError:
    found = errors(*pairs)
    assert [e.code for e in found] == [code], [str(e) for e in found]
    return found[0]


KEY = link(7, "key")


def test_invalid_graphql_syntax() -> None:
    error = only("INVALID_GRAPHQL", ("a", KEY + "type Query { a: }"))
    assert error.subgraphs == ("a",)
    assert error.message.startswith("[a] Syntax Error")


def test_invalid_graphql_unknown_type_and_directive() -> None:
    found = errors(("a", KEY + "type Query { a: Nope b: Int @shareable }"))
    assert {e.code for e in found} == {"INVALID_GRAPHQL"}
    text = " ".join(e.message for e in found)
    assert "Unknown type Nope" in text
    assert 'add "@shareable" to the `import` argument' in text


def test_invalid_graphql_bad_interface_implementation() -> None:
    error = only(
        "INVALID_GRAPHQL",
        (
            "a",
            KEY + "interface I { a: Int! } type T implements I { a: String } type Query { t: T }",
        ),
    )
    assert "I.a" in error.message


def test_directive_definition_invalid() -> None:
    found = errors(
        (
            "a",
            link(7, "key") + "directive @key(fields: String!, x: Int) on OBJECT | SCALAR\n"
            'type P @key(fields: "id") { id: ID } type Query { p: P }',
        ),
    )
    assert [e.code for e in found] == ["DIRECTIVE_DEFINITION_INVALID"] * 2
    assert 'unknown/unsupported argument "x"' in found[0].message


def test_unknown_federation_version() -> None:
    only(
        "UNKNOWN_FEDERATION_LINK_VERSION",
        (
            "a",
            'extend schema @link(url: "https://specs.apollo.dev/federation/v2.99")\ntype Query '
            "{ a: Int }",
        ),
    )


def test_invalid_field_sharing() -> None:
    error = only(
        "INVALID_FIELD_SHARING",
        ("a", KEY + 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }'),
        ("b", KEY + 'type P @key(fields: "id") { id: ID! name: String }'),
    )
    assert error.coordinates == ("P.name",)
    assert error.subgraphs == ("a", "b")
    assert "defined as non-shareable in all of them" in error.message


def test_key_fields_select_invalid_type() -> None:
    error = only(
        "KEY_FIELDS_SELECT_INVALID_TYPE",
        (
            "a",
            KEY
            + """
         union U = T
         type T { id: ID! }
         type P @key(fields: "u { ... on T { id } }") { u: U }
         type Query { p: P }""",
        ),
    )
    assert error.subgraphs == ("a",)
    assert error.coordinates == ("P",)
    assert 'field "P.u" is a Union type' in error.message


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ("nope", "KEY_INVALID_FIELDS"),
        ("id {", "KEY_INVALID_FIELDS"),
        ("withArgs", "KEY_FIELDS_HAS_ARGS"),
        ("id @skip(if: true)", "KEY_DIRECTIVE_IN_FIELDS_ARG"),
    ],
)
def test_invalid_key_fields(fields: str, code: str) -> None:
    only(
        code,
        (
            "a",
            KEY + f'type P @key(fields: "{fields}") {{ id: ID withArgs(x: Int): Int }} type Query '
            f"{{ p: P }}",
        ),
    )


def test_external_missing_on_base() -> None:
    error = only(
        "EXTERNAL_MISSING_ON_BASE",
        (
            "a",
            link(7, "key", "external", "provides")
            + """
         type P @key(fields: "id") { id: ID! name: String @external }
         type R { p: P @provides(fields: "name") }
         type Query { r: R }""",
        ),
        ("b", KEY + 'type P @key(fields: "id") { id: ID! }'),
    )
    assert error.coordinates == ("P.name",)


def test_external_unused() -> None:
    error = only(
        "EXTERNAL_UNUSED",
        (
            "a",
            link(7, "key", "external")
            + 'type P @key(fields: "id") { id: ID! x: Int @external } type Query { p: P }',
        ),
    )
    assert error.coordinates == ("P.x",)


def test_external_type_mismatch() -> None:
    error = only(
        "EXTERNAL_TYPE_MISMATCH",
        (
            "a",
            link(7, "key", "external", "requires")
            + """
         type P @key(fields: "id") { id: ID! w: String @external x: Int @requires(fields: "w") }
         type Query { p: P }""",
        ),
        ("b", KEY + 'type P @key(fields: "id") { id: ID! w: Int }'),
    )
    assert error.coordinates == ("P.w",)


def test_requires_must_select_external_fields() -> None:
    only(
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        (
            "a",
            link(7, "key", "requires")
            + 'type P @key(fields: "id") { id: ID! w: Int x: Int @requires(fields: "w") } type '
            "Query { p: P }",
        ),
    )


def test_provides_on_non_object_field() -> None:
    only(
        "PROVIDES_ON_NON_OBJECT_FIELD",
        (
            "a",
            link(7, "key", "provides")
            + 'type P @key(fields: "id") { id: ID! n: Int @provides(fields: "x") } type Query '
            "{ p: P }",
        ),
    )


def test_field_type_mismatch() -> None:
    error = only(
        "FIELD_TYPE_MISMATCH",
        ("a", link(7, "shareable") + "type Query { x: Int @shareable }"),
        ("b", link(7, "shareable") + "type Query { x: [Int] @shareable }"),
    )
    assert error.coordinates == ("Query.x",)
    assert error.subgraphs == ("a", "b")
    assert 'type "Int" in subgraph "a" but type "[Int]" in subgraph "b"' in error.message


def test_argument_type_mismatch() -> None:
    only(
        "FIELD_ARGUMENT_TYPE_MISMATCH",
        ("a", link(7, "shareable") + "type Query { x(a: Int): Int @shareable }"),
        ("b", link(7, "shareable") + "type Query { x(a: String): Int @shareable }"),
    )


def test_argument_default_mismatch() -> None:
    error = only(
        "FIELD_ARGUMENT_DEFAULT_MISMATCH",
        ("a", link(7, "shareable") + "type Query { x(a: Int = 1): Int @shareable }"),
        ("b", link(7, "shareable") + "type Query { x(a: Int = 2): Int @shareable }"),
    )
    assert error.coordinates == ("Query.x(a:)",)


def test_required_argument_missing_in_some_subgraph() -> None:
    error = only(
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
        ("a", link(7, "shareable") + "type Query { x(a: Int!): Int @shareable }"),
        ("b", link(7, "shareable") + "type Query { x: Int @shareable }"),
    )
    assert error.coordinates == ("Query.x(a:)",)


def test_required_input_field_missing_in_some_subgraph() -> None:
    error = only(
        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
        ("a", link(7) + "input I { a: Int! b: Int } type Query { q(i: I): Int }"),
        ("b", link(7) + "input I { b: Int } type Query { r(i: I): Int }"),
    )
    assert error.coordinates == ("I.a",)


def test_empty_merged_input_type() -> None:
    only(
        "EMPTY_MERGED_INPUT_TYPE",
        ("a", link(7) + "input I { a: Int } type Query { q(i: I): Int }"),
        ("b", link(7) + "input I { b: Int } type Query { r(i: I): Int }"),
    )


def test_enum_value_mismatch() -> None:
    error = only(
        "ENUM_VALUE_MISMATCH",
        ("a", link(7) + "enum E { A B } type Query { e(x: E): E }"),
        ("b", link(7) + "enum E { A } type Query { f: E }"),
    )
    assert error.coordinates == ("E", "E.B")


def test_empty_merged_enum() -> None:
    only(
        "EMPTY_MERGED_ENUM_TYPE",
        ("a", link(7) + "enum E { A } type Query { q(e: E): Int }"),
        ("b", link(7) + "enum E { B } type Query { r(e: E): Int }"),
    )


def test_type_kind_mismatch() -> None:
    error = only(
        "TYPE_KIND_MISMATCH",
        ("a", link(7) + "type T { a: Int } type Query { t: T }"),
        ("b", link(7) + "input T { a: Int } type Query { u(t: T): Int }"),
    )
    assert 'Object Type in subgraph "a" but Input Object Type in subgraph "b"' in error.message


def test_extension_with_no_base() -> None:
    error = only(
        "EXTENSION_WITH_NO_BASE",
        ("a", KEY + 'extend type P @key(fields: "id") { id: ID! } type Query { a: Int }'),
    )
    assert error.coordinates == ("P",)


def test_no_queries() -> None:
    only("NO_QUERIES", ("a", KEY + 'type P @key(fields: "id") { id: ID! }'))


def test_interface_field_no_implementation() -> None:
    error = only(
        "INTERFACE_FIELD_NO_IMPLEM",
        (
            "a",
            link(7) + "interface I { a: Int } type T implements I { a: Int } type Query { i: I }",
        ),
        ("b", link(7) + "interface I { a: Int b: Int } type Query { j: I }"),
    )
    assert error.coordinates == ("I.b", "T.b")


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ('x: Int @override(from: "a")', "OVERRIDE_FROM_SELF_ERROR"),
        ('x: Int @override(from: "b", label: "1bad")', "OVERRIDE_LABEL_INVALID"),
    ],
)
def test_override_errors(field: str, code: str) -> None:
    found = errors(
        (
            "a",
            link(7, "key", "override")
            + f'type P @key(fields: "id") {{ id: ID! {field} }} type Query {{ p: P }}',
        ),
        ("b", KEY + 'type P @key(fields: "id") { id: ID! x: Int }'),
    )
    assert code in [e.code for e in found]


def test_override_of_a_field_with_requires() -> None:
    found = errors(
        (
            "a",
            link(7, "key", "override")
            + 'type P @key(fields: "id") { id: ID! x: Int @override(from: "b") } type Query { '
            "p: P }",
        ),
        (
            "b",
            link(7, "key", "requires", "external")
            + 'type P @key(fields: "id") { id: ID! y: Int @external x: Int @requires(fields: '
            '"y") }',
        ),
        ("c", KEY + 'type P @key(fields: "id") { id: ID! y: Int }'),
    )
    # The @override is ignored, so both subgraphs resolve the field (as Apollo reports too).
    assert [e.code for e in found] == [
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        "INVALID_FIELD_SHARING",
    ]


def test_invalid_shareable_usage() -> None:
    only(
        "INVALID_SHAREABLE_USAGE",
        ("a", link(7, "shareable") + "interface I { a: Int @shareable } type Query { i: I }"),
    )


def test_interface_object_without_interface() -> None:
    only(
        "INTERFACE_OBJECT_USAGE_ERROR",
        (
            "a",
            link(3, "key", "interfaceObject")
            + 'type I @key(fields: "id") @interfaceObject { id: ID! } type Query { i: I }',
        ),
    )


def test_interface_key_missing_on_implementation() -> None:
    only(
        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
        (
            "a",
            link(3, "key")
            + 'interface I @key(fields: "id") { id: ID! } type T implements I { id: ID! } type '
            "Query { i: I }",
        ),
    )


def test_auth_on_interfaces_is_rejected() -> None:
    only(
        "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
        (
            "a",
            link(7, "authenticated") + "interface I @authenticated { a: Int } type Query { i: I }",
        ),
    )


@pytest.mark.parametrize(
    ("sdl", "code"),
    [
        ("type Query @inaccessible { a: Int }", "QUERY_ROOT_TYPE_INACCESSIBLE"),
        ("type S @inaccessible { a: Int } type Query { s: S }", "REFERENCED_INACCESSIBLE"),
        ("type T { a: Int @inaccessible } type Query { t: T }", "ONLY_INACCESSIBLE_CHILDREN"),
        ("type Query { q(a: Int! @inaccessible): Int }", "REQUIRED_INACCESSIBLE"),
        (
            "interface I { a: Int } type T implements I { a: Int @inaccessible } type Query { "
            "i: I t: T }",
            "IMPLEMENTED_BY_INACCESSIBLE",
        ),
    ],
)
def test_inaccessible_rules(sdl: str, code: str) -> None:
    found = errors(("a", link(7, "inaccessible") + sdl))
    assert code in [e.code for e in found]


def test_duplicate_subgraph_names() -> None:
    result = compose(
        subgraphs(("a", KEY + "type Query { a: Int }"), ("a", KEY + "type Query { b: Int }"))
    )
    assert [e.code for e in result.errors] == ["INVALID_SUBGRAPH_NAME"]


def test_errors_are_reported_together() -> None:
    found = errors(
        ("a", link(7, "shareable") + "type Query { x: Int @shareable y: Int }"),
        ("b", link(7, "shareable") + "type Query { x: String @shareable y: Int }"),
    )
    assert {e.code for e in found} == {"FIELD_TYPE_MISMATCH", "INVALID_FIELD_SHARING"}
