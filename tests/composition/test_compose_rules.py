"""Merging rules, checked by reading the composed supergraph back with the router's reader:
the join model must say what the subgraphs said."""

from __future__ import annotations

import random

from graphql import print_ast

from router.composition import CompositionResult, SubgraphSource, compose
from router.supergraph import Supergraph, TypeKind, read_supergraph
from tests.support.compose_cases import link, subgraphs


def composed(*pairs: tuple[str, str]) -> tuple[Supergraph, CompositionResult]:
    result = compose(subgraphs(*pairs))
    assert result.errors == (), [str(e) for e in result.errors]
    assert result.supergraph_sdl is not None
    return read_supergraph(result.supergraph_sdl), result


def hint_codes(result: CompositionResult) -> list[str]:
    return [h.code for h in result.hints]


PRODUCTS = (
    link(7, "key", "shareable")
    + """
type Product @key(fields: "id") { id: ID! name: String @shareable price: Int }
type Query { products: [Product!]! }
"""
)
INVENTORY = (
    link(7, "key", "shareable")
    + """
type Product @key(fields: "id") { id: ID! name: String @shareable stock: Int }
"""
)


def test_entity_fields_belong_to_the_subgraphs_that_define_them() -> None:
    sg, _ = composed(("products", PRODUCTS), ("inventory", INVENTORY))
    product = sg.types["Product"]
    assert set(product.graphs) == {"PRODUCTS", "INVENTORY"}
    assert [k.fields for k in product.graphs["PRODUCTS"].keys] == ["id"]
    assert set(product.fields["id"].graphs) == {"PRODUCTS", "INVENTORY"}
    assert set(product.fields["name"].graphs) == {"PRODUCTS", "INVENTORY"}
    assert set(product.fields["price"].graphs) == {"PRODUCTS"}
    assert set(product.fields["stock"].graphs) == {"INVENTORY"}
    assert sg.subgraphs["PRODUCTS"].url == "http://products.local/graphql"


def test_output_does_not_depend_on_subgraph_order() -> None:
    sources = subgraphs(
        ("products", PRODUCTS), ("inventory", INVENTORY), ("x", link(7) + "type Query { x: Int }")
    )
    first = compose(sources).supergraph_sdl
    shuffled = list(sources)
    random.Random(7).shuffle(shuffled)
    assert compose(shuffled).supergraph_sdl == first
    assert compose(list(reversed(sources))).supergraph_sdl == first


def test_value_type_shared_everywhere_needs_no_join_field() -> None:
    money = "type Money @shareable { amount: String! currency: String! }"
    sg, result = composed(
        ("a", link(7, "shareable") + money + " type Query { a: Money }"),
        ("b", link(7, "shareable") + money + " type Query { b: Money }"),
    )
    assert result.supergraph_sdl is not None
    assert "  amount: String!\n" in result.supergraph_sdl
    assert set(sg.types["Money"].fields["amount"].graphs) == {"A", "B"}


def test_interfaces_record_implementations_per_subgraph() -> None:
    sg, _ = composed(
        (
            "a",
            link(7, "key")
            + """
            interface Node { id: ID! }
            type User implements Node @key(fields: "id") { id: ID! name: String }
            type Query { node(id: ID!): Node }
            """,
        ),
        ("b", link(7, "key") + 'type User @key(fields: "id") { id: ID! age: Int }'),
    )
    user = sg.types["User"]
    assert dict(user.implements) == {"A": frozenset({"Node"})}
    assert sg.possible_types["Node"] == frozenset({"User"})
    assert sg.types["Node"].kind is TypeKind.INTERFACE


def test_unions_take_all_members_and_remember_where_each_is() -> None:
    sg, result = composed(
        (
            "a",
            link(7, "shareable")
            + "type A { a: Int } type B { b: Int } union U = A | B type Query { u: U }",
        ),
        ("b", link(7) + "type C { c: Int } union U = C type Query { v: U }"),
    )
    union = sg.types["U"]
    assert union.union_members == {"A": frozenset({"A", "B"}), "B": frozenset({"C"})}
    assert sg.possible_types["U"] == frozenset({"A", "B", "C"})
    assert "INCONSISTENT_UNION_MEMBER" in hint_codes(result)


def test_output_enums_take_the_union_of_values() -> None:
    sg, result = composed(
        ("a", link(7) + "enum E { A B } type Query { a: E }"),
        ("b", link(7) + "enum E { B C } type Query { b: E }"),
    )
    values = sg.types["E"].enum_values
    assert values == {"A": frozenset({"A"}), "B": frozenset({"A", "B"}), "C": frozenset({"B"})}
    assert "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM" in hint_codes(result)


def test_input_enums_take_the_intersection_of_values() -> None:
    sg, result = composed(
        ("a", link(7) + "enum E { A B } type Query { a(e: E): Int }"),
        ("b", link(7) + "enum E { B C } type Query { b(e: E): Int }"),
    )
    assert set(sg.types["E"].enum_values) == {"B"}
    assert "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM" in hint_codes(result)


def test_enums_used_both_ways_must_be_identical() -> None:
    sg, _ = composed(
        ("a", link(7) + "enum E { A B } type Query { a(e: E): E }"),
        ("b", link(7) + "enum E { A B } type Query { b: E }"),
    )
    assert set(sg.types["E"].enum_values) == {"A", "B"}


def test_input_objects_take_the_intersection_of_fields() -> None:
    sg, result = composed(
        ("a", link(7) + "input F { a: Int b: Int } type Query { a(f: F): Int }"),
        ("b", link(7) + "input F { a: Int } type Query { b(f: F): Int }"),
    )
    assert set(sg.types["F"].fields) == {"a"}
    assert "INCONSISTENT_INPUT_OBJECT_FIELD" in hint_codes(result)


def test_arguments_take_the_intersection_and_the_stricter_type() -> None:
    sg, result = composed(
        (
            "a",
            link(7, "shareable")
            + "type Query { q(a: Int, b: String, c: Int = 1): Int @shareable }",
        ),
        ("b", link(7, "shareable") + "type Query { q(a: Int!, c: Int = 1): Int @shareable }"),
    )
    arguments = sg.types["Query"].fields["q"].arguments
    assert {name: a.type for name, a in arguments.items()} == {"a": "Int!", "c": "Int"}
    assert {"INCONSISTENT_ARGUMENT_PRESENCE", "INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE"} <= set(
        hint_codes(result)
    )
    assert result.supergraph_sdl is not None
    assert "q(a: Int!, c: Int = 1): Int" in result.supergraph_sdl


def test_output_types_merge_to_the_more_general_type() -> None:
    sg, result = composed(
        ("a", link(7, "shareable") + "type Query { q: [Int!]! @shareable }"),
        ("b", link(7, "shareable") + "type Query { q: [Int] @shareable }"),
    )
    field = sg.types["Query"].fields["q"]
    assert field.type == "[Int]"
    assert {g: f.type for g, f in field.graphs.items()} == {"A": "[Int!]!", "B": "[Int]"}
    assert "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE" in hint_codes(result)


def test_output_types_may_narrow_to_implementations() -> None:
    sg, _ = composed(
        (
            "a",
            link(7, "shareable")
            + """
            interface Animal { name: String }
            type Dog implements Animal @shareable { name: String }
            type Query { pet: Animal @shareable }
            """,
        ),
        (
            "b",
            link(7, "shareable")
            + "type Dog @shareable { name: String } type Query { pet: Dog @shareable }",
        ),
    )
    field = sg.types["Query"].fields["pet"]
    assert field.type == "Animal"
    assert field.graphs["B"].type == "Dog"


def test_descriptions_take_the_most_common_one() -> None:
    _, result = composed(
        (
            "a",
            link(7, "shareable") + '"""Money"""\ntype M @shareable { a: Int } type Query { a: M }',
        ),
        (
            "b",
            link(7, "shareable") + '"""Money"""\ntype M @shareable { a: Int } type Query { b: M }',
        ),
        (
            "c",
            link(7, "shareable") + '"""Cash"""\ntype M @shareable { a: Int } type Query { c: M }',
        ),
    )
    assert result.supergraph_sdl is not None
    assert '"""Money"""\ntype M' in result.supergraph_sdl
    assert "INCONSISTENT_DESCRIPTION" in hint_codes(result)


def test_external_provides_and_requires_are_recorded_per_subgraph() -> None:
    sg, _ = composed(
        (
            "reviews",
            link(7, "key", "external", "provides")
            + """
            type Review { id: ID! product: Product @provides(fields: "name") }
            type Product @key(fields: "id") { id: ID! name: String @external }
            type Query { reviews: [Review!]! }
            """,
        ),
        (
            "products",
            link(7, "key", "shareable", "external", "requires")
            + """
            type Product @key(fields: "id") {
              id: ID! name: String @shareable weight: Int @external
              shipping: Int @requires(fields: "weight")
            }
            """,
        ),
        ("weights", link(7, "key") + 'type Product @key(fields: "id") { id: ID! weight: Int }'),
    )
    product = sg.types["Product"]
    name = product.fields["name"].graphs
    assert name["REVIEWS"].external
    assert not name["PRODUCTS"].external
    provides = sg.types["Review"].fields["product"].graphs["REVIEWS"].provides
    assert provides is not None
    assert print_ast(provides).split() == ["{", "name", "}"]
    shipping = product.fields["shipping"].graphs["PRODUCTS"]
    assert shipping.requires is not None
    assert "weight" in print_ast(shipping.requires)
    assert product.fields["weight"].resolving_graphs() == ("WEIGHTS",)


def test_keys_keep_resolvable_and_extension() -> None:
    sg, result = composed(
        (
            "a",
            link(7, "key")
            + 'type P @key(fields: "id", resolvable: false) { id: ID! } type Query { p: P }',
        ),
        ("b", link(7, "key") + 'extend type P @key(fields: "id") { id: ID! x: Int }'),
        (
            "c",
            link(7, "key") + 'type P @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }',
        ),
    )
    graphs = sg.types["P"].graphs
    assert [(k.fields, k.resolvable) for k in graphs["A"].keys] == [("id", False)]
    assert graphs["B"].extension
    assert not graphs["C"].extension
    assert [k.fields for k in graphs["C"].keys] == ["id", "sku"]
    assert result.supergraph_sdl is not None
    assert '@join__type(graph: B, key: "id", extension: true)' in result.supergraph_sdl


def test_override_moves_a_field_and_keeps_progressive_labels() -> None:
    sg, result = composed(
        (
            "new",
            link(7, "key", "override")
            + """
            type P @key(fields: "id") {
              id: ID!
              a: Int @override(from: "old")
              b: Int @override(from: "old", label: "percent(5)")
              c: Int @override(from: "old")
            }
            """,
        ),
        (
            "old",
            link(7, "key", "requires", "external")
            + """
            type P @key(fields: "id") {
              id: ID! a: Int b: Int c: Int d: Int @requires(fields: "e") e: Int @external
            }
            type Query { p: P }
            """,
        ),
        ("other", link(7, "key") + 'type P @key(fields: "id") { id: ID! e: Int }'),
    )
    fields = sg.types["P"].fields
    assert fields["a"].resolving_graphs() == ("NEW",)
    assert fields["a"].graphs["NEW"].override == "old"
    assert set(fields["b"].graphs) == {"NEW", "OLD"}
    assert fields["b"].graphs["NEW"].override_label == "percent(5)"
    assert fields["b"].graphs["OLD"].override_label == "percent(5)"
    assert "OVERRIDDEN_FIELD_CAN_BE_REMOVED" in hint_codes(result)
    assert "OVERRIDE_MIGRATION_IN_PROGRESS" in hint_codes(result)


def test_overridden_field_still_used_by_a_key_is_used_overridden() -> None:
    sg, _ = composed(
        (
            "new",
            link(7, "key", "override")
            + 'type P @key(fields: "id") { id: ID! x: Int @override(from: "old") }',
        ),
        (
            "old",
            link(7, "key")
            + 'type P @key(fields: "id") @key(fields: "x") { id: ID! x: Int } type Query { p: P }',
        ),
    )
    x = sg.types["P"].fields["x"]
    assert x.graphs["OLD"].used_overridden
    assert x.resolving_graphs() == ("NEW",)


def test_interface_object_adds_fields_to_every_implementation() -> None:
    sg, result = composed(
        (
            "a",
            link(3, "key")
            + """
            interface Media @key(fields: "id") { id: ID! title: String! }
            type Book implements Media @key(fields: "id") { id: ID! title: String! }
            type Query { media: [Media!]! }
            """,
        ),
        (
            "b",
            link(3, "key", "interfaceObject")
            + 'type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }',
        ),
    )
    media = sg.types["Media"]
    assert media.graphs["B"].is_interface_object
    assert set(media.fields["rating"].graphs) == {"B"}
    assert "rating" in sg.types["Book"].fields
    assert result.supergraph_sdl is not None
    assert "  rating: Int @join__field\n" in result.supergraph_sdl


def test_inaccessible_elements_stay_in_the_supergraph_but_not_in_the_api() -> None:
    sg, result = composed(
        (
            "a",
            link(7, "key", "inaccessible", "tag")
            + """
            type P @key(fields: "id") {
              id: ID! secret: String @inaccessible name: String @tag(name: "public")
            }
            type Query { p: P }
            """,
        ),
    )
    assert sg.types["P"].fields["secret"].inaccessible
    api_p = sg.api_schema.get_type("P")
    assert api_p is not None
    assert "secret" not in api_p.fields  # type: ignore[attr-defined]
    assert result.supergraph_sdl is not None
    sdl = result.supergraph_sdl
    assert '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)' in sdl
    assert '@link(url: "https://specs.apollo.dev/tag/v0.3")' in sdl
    assert '@tag(name: "public")' in sdl


def test_authorization_directives_reach_the_supergraph() -> None:
    sg, result = composed(
        (
            "a",
            link(7, "key", "authenticated", "requiresScopes", "policy")
            + """
            type User @key(fields: "id") @authenticated {
              id: ID!
              email: String @requiresScopes(scopes: [["read:email"], ["admin"]])
              notes: String @policy(policies: [["owner"]])
            }
            type Query { me: User }
            """,
        ),
    )
    user = sg.types["User"]
    assert user.auth.authenticated
    assert user.fields["email"].auth.scopes == (("read:email",), ("admin",))
    assert user.fields["notes"].auth.policies == (("owner",),)
    assert result.supergraph_sdl is not None
    for spec in ("authenticated/v0.1", "requiresScopes/v0.1", "policy/v0.1"):
        assert (
            f'@link(url: "https://specs.apollo.dev/{spec}", for: SECURITY)' in result.supergraph_sdl
        )


def test_scopes_required_in_several_subgraphs_are_combined() -> None:
    sg, result = composed(
        (
            "a",
            link(7, "key", "shareable", "requiresScopes")
            + 'type U @key(fields: "id") { id: ID! e: String @shareable '
            '@requiresScopes(scopes: [["a"]]) } type Query { u: U }',
        ),
        (
            "b",
            link(7, "key", "shareable", "requiresScopes")
            + 'type U @key(fields: "id") { id: ID! e: String @shareable '
            '@requiresScopes(scopes: [["b"], ["c"]]) }',
        ),
    )
    assert sg.types["U"].fields["e"].auth.scopes == (("a", "b"), ("a", "c"))
    assert "MERGED_NON_REPEATABLE_DIRECTIVE_ARGUMENTS" in hint_codes(result)


def test_composed_custom_directives_come_with_their_link() -> None:
    _, result = composed(
        (
            "a",
            """
            extend schema
              @link(url: "https://specs.apollo.dev/federation/v2.1", import: ["@composeDirective"])
              @link(url: "https://example.com/cache/v1.0", import: ["@cacheControl"])
              @composeDirective(name: "@cacheControl")
            directive @cacheControl(maxAge: Int) on FIELD_DEFINITION
            type Query { a: Int @cacheControl(maxAge: 30) }
            """,
        ),
    )
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert '@link(url: "https://example.com/cache/v1.0", import: ["@cacheControl"])' in sdl
    assert "directive @cacheControl(maxAge: Int) on FIELD_DEFINITION" in sdl
    assert "a: Int @cacheControl(maxAge: 30)" in sdl


def test_join_spec_version_follows_the_newest_federation_version() -> None:
    versions = {3: "v0.3", 6: "v0.3", 7: "v0.4", 8: "v0.5", 11: "v0.5"}
    for federation, join in versions.items():
        result = compose(subgraphs(("a", link(federation) + "type Query { a: Int }")))
        assert result.supergraph_sdl is not None
        assert f"https://specs.apollo.dev/join/{join}" in result.supergraph_sdl
        sg = read_supergraph(result.supergraph_sdl)
        assert sg.join_version == (0, int(join[-1]))


def test_strawberry_printed_subgraph_composes() -> None:
    sdl = """schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"]) {
  query: Query
}

type Product @key(fields: "id") {
  id: ID!
}

type Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
  product(id: ID!): Product
}

scalar _Any

union _Entity = Product

type _Service {
  sdl: String!
}"""
    sg, result = composed(("products", sdl))
    assert set(sg.types["Query"].fields) == {"product"}
    assert "_Entity" not in sg.types
    assert result.supergraph_sdl is not None
    assert "_Service" not in result.supergraph_sdl


def test_compose_is_pure_and_repeatable() -> None:
    sources = [SubgraphSource("a", "http://a", link(7) + "type Query { a: Int }")]
    assert compose(sources) == compose(sources)
