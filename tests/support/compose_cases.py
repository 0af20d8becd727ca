"""Small subgraph sets composed both by us and by Apollo composition (the oracle).

``fixtures/apollo/<case>.graphql`` (or ``.errors.json``) holds what ``@apollo/composition``
produced for each case; ``fixtures/regenerate.py`` rewrites them. Each fixture records a hash of
the case's sources, so editing a case without regenerating its fixture fails the suite.
"""

from __future__ import annotations

import hashlib

from router.composition import SubgraphSource


def link(version: int, *imports: str) -> str:
    names = ", ".join(f'"@{name}"' for name in imports)
    return (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/v2.{version}", '
        f"import: [{names}])\n"
    )


def subgraphs(*pairs: tuple[str, str]) -> list[SubgraphSource]:
    return [SubgraphSource(name, f"http://{name}.local/graphql", sdl) for name, sdl in pairs]


def sources_hash(sources: list[SubgraphSource]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        for part in (source.name, source.url, source.sdl):
            digest.update(part.encode())
            digest.update(b"\0")
    return digest.hexdigest()


CASES: dict[str, list[SubgraphSource]] = {}
KEY_7 = link(7, "key")


def case(name: str, *pairs: tuple[str, str]) -> None:
    CASES[name] = subgraphs(*pairs)


# -- compositions that succeed ----------------------------------------------------------------

case(
    "interfaces",
    (
        "products",
        link(7, "key", "shareable")
        + """
        interface Node { id: ID! }
        interface Priced implements Node { id: ID! price: Int }
        type Book implements Node & Priced @key(fields: "id") { id: ID! price: Int title: String }
        type Movie implements Node & Priced @key(fields: "id") {
          id: ID! price: Int director: String
        }
        type Query { node(id: ID!): Node items: [Priced!]! }
        """,
    ),
    (
        "reviews",
        link(7, "key")
        + """
        interface Node { id: ID! }
        type Book implements Node @key(fields: "id") { id: ID! reviews: [String!]! }
        """,
    ),
)

case(
    "interface_object",
    (
        "a",
        link(3, "key")
        + """
        interface Media @key(fields: "id") { id: ID! title: String! }
        type Book implements Media @key(fields: "id") { id: ID! title: String! author: String }
        type Song implements Media @key(fields: "id") { id: ID! title: String! }
        type Query { media: [Media!]! }
        """,
    ),
    (
        "b",
        link(3, "key", "interfaceObject")
        + 'type Media @key(fields: "id") @interfaceObject { id: ID! reviews: [String!]! }',
    ),
)

case(
    "override",
    (
        "a",
        link(7, "key", "override")
        + """
        type Product @key(fields: "id") {
          id: ID!
          stock: Int @override(from: "b")
          name: String @override(from: "b", label: "percent(20)")
        }
        """,
    ),
    (
        "b",
        link(7, "key", "shareable")
        + """
        type Product @key(fields: "id") { id: ID! stock: Int name: String }
        type Query { product(id: ID!): Product }
        """,
    ),
)

case(
    "provides_requires",
    (
        "a",
        link(5, "key", "external", "provides", "shareable")
        + """
        type Review @key(fields: "id") {
          id: ID! body: String product: Product @provides(fields: "name")
        }
        type Product @key(fields: "upc") { upc: String! name: String @external }
        type Query { reviews: [Review!]! }
        """,
    ),
    (
        "b",
        link(5, "key", "external", "requires", "shareable")
        + """
        type Product @key(fields: "upc") {
          upc: String!
          name: String @shareable
          weight: Int @external
          price: Int @external
          shipping: Int @requires(fields: "price weight")
        }
        """,
    ),
    (
        "c",
        link(5, "key", "shareable")
        + 'type Product @key(fields: "upc") { upc: String! price: Int weight: Int name: String '
        "@shareable }",
    ),
)

case(
    "enums",
    (
        "a",
        link(7)
        + """
        enum Out { A B }
        enum In { X Y Z }
        enum Both { P Q }
        type Query { out: Out search(in: In, both: Both): Both }
        """,
    ),
    (
        "b",
        link(7)
        + """
        enum Out { B C }
        enum In { X Y }
        enum Both { P Q }
        type Query { b(in: In = X): Out }
        """,
    ),
)

case(
    "inputs_args",
    (
        "a",
        link(7, "shareable")
        + """
        input Filter { name: String limit: Int = 10 tag: String }
        type Query { find(f: Filter, first: Int = 5, extra: String): [String] @shareable }
        """,
    ),
    (
        "b",
        link(7, "shareable")
        + '''
        """A filter"""
        input Filter { name: String limit: Int = 10 }
        type Query { find(f: Filter, first: Int = 5): [String!] @shareable }
        ''',
    ),
)

case(
    "unions_descriptions",
    (
        "a",
        link(7, "key", "shareable", "tag", "inaccessible")
        + '''
        """Things you can find"""
        union Result = Book | Film
        type Book @shareable { title: String @deprecated(reason: "use name") name: String }
        type Film @key(fields: "id") { id: ID! secret: String @inaccessible }
        type Query { search: [Result!]! @tag(name: "public") }
        ''',
    ),
    (
        "b",
        link(7, "key", "shareable")
        + '''
        union Result = Book | Song
        """A book"""
        type Book @shareable { title: String name: String }
        type Song { length: Int }
        type Query { other: Result }
        ''',
    ),
)

case(
    "fed1_extends",
    (
        "accounts",
        """
        type User @key(fields: "id") { id: ID! name: String username: String }
        extend type Query { me: User }
        """,
    ),
    (
        "reviews",
        """
        type Review @key(fields: "id") {
          id: ID!
          body: String
          author: User @provides(fields: "username")
          product: Product
        }
        extend type User @key(fields: "id") {
          id: ID! @external username: String @external reviews: [Review]
        }
        extend type Product @key(fields: "upc") { upc: String! @external reviews: [Review] }
        """,
    ),
    (
        "products",
        """
        type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }
        extend type Query { topProducts(first: Int = 5): [Product] }
        """,
    ),
    (
        "inventory",
        """
        extend type Product @key(fields: "upc") {
          upc: String! @external
          weight: Int @external
          price: Int @external
          inStock: Boolean
          shippingEstimate: Int @requires(fields: "price weight")
        }
        """,
    ),
)

case(
    "fed2_extend_type",
    (
        "a",
        link(7, "key", "external")
        + 'extend type Product @key(fields: "id") { id: ID! @external stock: Int }',
    ),
    (
        "b",
        link(7, "key")
        + 'type Product @key(fields: "id") { id: ID! name: String } type Query { p: Product }',
    ),
)

case(
    "auth",
    (
        "a",
        link(7, "key", "authenticated", "requiresScopes", "policy", "shareable")
        + """
        type User @key(fields: "id") @authenticated {
          id: ID!
          email: String @shareable @requiresScopes(scopes: [["read:email"]])
        }
        type Query { me: User @policy(policies: [["self"]]) }
        """,
    ),
    (
        "b",
        link(7, "key", "requiresScopes", "shareable")
        + """
        type User @key(fields: "id") {
          id: ID!
          email: String @shareable @requiresScopes(scopes: [["admin"], ["support", "read"]])
        }
        """,
    ),
)

case(
    "auth_interfaces",
    (
        "a",
        link(7, "key", "authenticated", "requiresScopes")
        + """
        interface Account { id: ID! balance: Int }
        type Personal implements Account @key(fields: "id") @authenticated {
          id: ID!
          balance: Int @requiresScopes(scopes: [["finance"]])
        }
        type Business implements Account @key(fields: "id") { id: ID! balance: Int }
        type Query { accounts: [Account!]! }
        """,
    ),
)

case(
    "resolvable_false",
    (
        "a",
        link(3, "key")
        + 'type Product @key(fields: "id", resolvable: false) { id: ID! } type Query { top: '
        "Product }",
    ),
    (
        "b",
        link(3, "key")
        + """
        type Product @key(fields: "id") @key(fields: "sku", resolvable: true) {
          id: ID! sku: String name: String
        }
        """,
    ),
)

case(
    "strawberry_style",
    (
        "products",
        """schema @link(url: "https://specs.apollo.dev/federation/v2.11",
  import: ["@authenticated", "@key", "@shareable", "@tag"]) {
  query: Query
}

type Product @key(fields: "id") {
  id: ID!
  name: String! @authenticated @shareable @tag(name: "x")
}

type Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
  products: [Product!]!
}

scalar _Any

union _Entity = Product

type _Service {
  sdl: String!
}""",
    ),
    (
        "inventory",
        link(11, "key", "shareable")
        + 'type Product @key(fields: "id") { id: ID! stock: Int! name: String! @shareable }',
    ),
)

case(
    "mutation_subscription",
    (
        "a",
        link(7)
        + """
        type Query { a: Int }
        type Mutation { doA(x: Int!): Int }
        type Subscription { onA: Int }
        """,
    ),
    (
        "b",
        link(7)
        + """
        schema { query: RootQuery mutation: RootMutation }
        type RootQuery { b: Int }
        type RootMutation { doB: Int }
        """,
    ),
)

case(
    "scalars_custom",
    (
        "a",
        link(7, "shareable")
        + '''
        """Money as string"""
        scalar Decimal @specifiedBy(url: "https://example.com/decimal")
        type Query { price: Decimal @shareable }
        ''',
    ),
    (
        "b",
        link(7, "shareable")
        + "scalar Decimal type Query { price: Decimal @shareable total: Decimal }",
    ),
)

case(
    "compose_directive",
    (
        "a",
        """
        extend schema
          @link(
            url: "https://specs.apollo.dev/federation/v2.3"
            import: ["@key", "@composeDirective"]
          )
          @link(url: "https://myspecs.dev/myDirective/v1.0", import: ["@hello"])
          @composeDirective(name: "@hello")
        directive @hello(n: Int = 1) repeatable on FIELD_DEFINITION | OBJECT
        directive @exec(x: Int) on FIELD | QUERY
        type Query @hello {
          a: Int @hello(n: 2) @deprecated(reason: "no")
          b(x: Int @deprecated): String
        }
        """,
    ),
    (
        "b",
        link(3, "key")
        + '''
        directive @exec(x: Int) on FIELD | MUTATION
        """desc of Query"""
        type Query { c: Int @deprecated }
        ''',
    ),
)

case(
    "inaccessible_ok",
    (
        "a",
        link(7, "inaccessible", "key", "tag")
        + """
        type T @key(fields: "id") {
          id: ID!
          a: Int @inaccessible
          b(x: Int @inaccessible, y: Int): Int @tag(name: "t")
        }
        enum E { A B @inaccessible }
        input I { x: Int y: Int! = 3 @inaccessible }
        union U = T | H
        type H @inaccessible { z: Int }
        type Query { t(i: I): T e: E u: U }
        """,
    ),
    (
        "b",
        link(7, "key", "inaccessible")
        + 'type T @key(fields: "id") { id: ID! c: Int @inaccessible } input I { x: Int y: Int! '
        "= 3 }",
    ),
)

case(
    "value_types_and_lists",
    (
        "a",
        link(9, "shareable", "key")
        + """
        type Money @shareable { amount: String! currency: String! }
        type Product @key(fields: "id") { id: ID! price: Money! tags: [String!] }
        type Query { products: [Product!]! }
        """,
    ),
    (
        "b",
        link(9, "shareable", "key")
        + """
        type Money @shareable { amount: String! currency: String! }
        type Order @key(fields: "id") { id: ID! total: Money items: [[Product!]]! }
        type Product @key(fields: "id", resolvable: false) { id: ID! }
        type Query { order(id: ID!): Order }
        """,
    ),
)

# -- compositions that fail -----------------------------------------------------------------

case(
    "err_field_type_mismatch",
    ("a", link(7, "shareable") + "type Query { x: Int @shareable }"),
    ("b", link(7, "shareable") + "type Query { x: String @shareable }"),
)
case(
    "err_invalid_field_sharing",
    (
        "a",
        link(7, "key") + 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }',
    ),
    ("b", link(7, "key") + 'type P @key(fields: "id") { id: ID! name: String }'),
)
case(
    "err_key_invalid_type",
    (
        "a",
        link(7, "key")
        + """
        interface I { id: ID! }
        type T implements I @key(fields: "id") { id: ID! }
        type P @key(fields: "i { id }") { i: I }
        type Query { p: P }
        """,
    ),
)
case(
    "err_key_invalid_fields",
    ("a", link(7, "key") + 'type P @key(fields: "nope") { id: ID } type Query { p: P }'),
)
case(
    "err_external_missing_on_base",
    (
        "a",
        link(7, "key", "external", "provides")
        + """
        type P @key(fields: "id") { id: ID! name: String @external }
        type R @key(fields: "id") { id: ID! p: P @provides(fields: "name") }
        type Query { r: R }
        """,
    ),
    ("b", link(7, "key") + 'type P @key(fields: "id") { id: ID! }'),
)
case(
    "err_external_unused",
    (
        "a",
        link(7, "key", "external")
        + 'type P @key(fields: "id") { id: ID! name: String @external } type Query { p: P }',
    ),
)
case(
    "err_enum_mismatch",
    ("a", link(7) + "enum E { A B } type Query { e(x: E): E }"),
    ("b", link(7) + "enum E { A } type Query { f: E }"),
)
case(
    "err_empty_enum",
    ("a", link(7) + "enum E { A } type Query { q(e: E): Int }"),
    ("b", link(7) + "enum E { B } type Query { r(e: E): Int }"),
)
case(
    "err_input_required_missing",
    ("a", link(7) + "input I { a: Int! b: Int } type Query { q(i: I): Int }"),
    ("b", link(7) + "input I { b: Int } type Query { r(i: I): Int }"),
)
case(
    "err_required_arg_missing",
    ("a", link(7, "shareable") + "type Query { q(a: Int!): Int @shareable }"),
    ("b", link(7, "shareable") + "type Query { q: Int @shareable }"),
)
case("err_invalid_graphql", ("a", link(7) + "type Query { q: Missing }"))
case(
    "err_directive_definition_invalid",
    (
        "a",
        link(7, "key", "shareable")
        + """
        directive @shareable(x: Int) on FIELD_DEFINITION | SCALAR
        type P @key(fields: "id") { id: ID } type Query { p: P }
        """,
    ),
)
case(
    "err_override_self",
    (
        "a",
        link(7, "key", "override")
        + 'type P @key(fields: "id") { id: ID! x: Int @override(from: "a") } type Query { p: P }',
    ),
)
case(
    "err_type_kind_mismatch",
    ("a", link(7) + "type T { a: Int } type Query { t: T }"),
    ("b", link(7) + "interface T { a: Int } type Query { u: T }"),
)
case(
    "err_satisfiability_unresolvable_key",
    (
        "a",
        link(7, "key") + 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }',
    ),
    ("b", link(7, "key") + 'type P @key(fields: "id", resolvable: false) { id: ID! price: Int }'),
)
case(
    "err_satisfiability_key_fields",
    (
        "a",
        link(7, "key") + 'type P @key(fields: "id") { id: ID! name: String } type Query { p: P }',
    ),
    ("b", link(7, "key") + 'type P @key(fields: "upc") { upc: ID! price: Int }'),
)
case(
    "err_requires_missing_external",
    (
        "a",
        link(7, "key", "requires")
        + 'type P @key(fields: "id") { id: ID! w: Int x: Int @requires(fields: "w") } type '
        "Query { p: P }",
    ),
)
case(
    "err_interface_field_no_implem",
    ("a", link(7) + "interface I { a: Int } type T implements I { a: Int } type Query { i: I }"),
    ("b", link(7) + "interface I { a: Int b: Int } type Query { j: I }"),
)
case(
    "err_extension_no_base",
    (
        "a",
        link(7, "key")
        + 'extend type P @key(fields: "id") { id: ID! x: Int } type Query { a: Int }',
    ),
)
case("err_no_queries", ("a", link(7, "key") + 'type P @key(fields: "id") { id: ID! }'))
case(
    "err_unknown_link_version",
    (
        "a",
        'extend schema @link(url: "https://specs.apollo.dev/federation/v3.0", import: ["@key"])\n'
        "type Query { a: Int }",
    ),
)
case(
    "err_shareable_interface_field",
    ("a", link(7, "shareable") + "interface I { a: Int @shareable } type Query { i: I }"),
)
case(
    "err_provides_non_object",
    (
        "a",
        link(7, "key", "provides", "external")
        + 'type P @key(fields: "id") { id: ID! n: String @provides(fields: "x") } type Query { '
        "p: P }",
    ),
)
case("err_unimported_directive", ("a", link(7, "key") + "type Query { a: Int @shareable }"))
case(
    "err_inaccessible_referenced",
    (
        "a",
        link(7, "inaccessible")
        + "type Secret @inaccessible { a: Int } type Query { s: Secret q(a: Int! "
        "@inaccessible): Int }",
    ),
)
case(
    "err_inaccessible_only_children",
    (
        "a",
        link(7, "inaccessible")
        + """
        type T { a: Int @inaccessible }
        enum E { A @inaccessible }
        input I { x: Int! @inaccessible }
        type Query { t: T e(i: I): E }
        """,
    ),
)
case(
    "err_inaccessible_query", ("a", link(7, "inaccessible") + "type Query @inaccessible { a: Int }")
)
case(
    "err_inaccessible_implements",
    (
        "a",
        link(7, "inaccessible")
        + "interface I { a: Int } type T implements I { a: Int @inaccessible } type Query { i: I }",
    ),
)

# -- satisfiability ---------------------------------------------------------------------------

case(
    "sat_multihop",
    ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! } type Query { p: P }'),
    ("b", KEY_7 + 'type P @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! }'),
    ("c", KEY_7 + 'type P @key(fields: "sku") { sku: String! price: Int }'),
)
case(
    "sat_requires_other_subgraph",
    ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! weight: Int } type Query { p: P }'),
    (
        "b",
        link(7, "key", "external", "requires")
        + 'type P @key(fields: "id") { id: ID! weight: Int @external ship: Int '
        '@requires(fields: "weight") }',
    ),
)
case(
    "err_sat_requires_unreachable",
    ("a", KEY_7 + 'type P @key(fields: "id") { id: ID! } type Query { p: P }'),
    (
        "b",
        link(7, "key", "external", "requires")
        + 'type P @key(fields: "id") { id: ID! weight: Int @external ship: Int '
        '@requires(fields: "weight") }',
    ),
    ("c", KEY_7 + 'type P @key(fields: "id", resolvable: false) { id: ID! weight: Int }'),
)
case(
    "sat_provides_only",
    (
        "a",
        link(7, "key", "external", "provides")
        + """
        type R { p: P @provides(fields: "name") }
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
case(
    "err_sat_provides_not_everywhere",
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
case(
    "err_sat_value_type_missing_field",
    ("a", link(7, "shareable") + "type V @shareable { x: Int } type Query { a: V }"),
    ("b", link(7, "shareable") + "type V @shareable { x: Int y: Int } type Query { b: V }"),
)
case(
    "sat_interface_fields_by_implementation",
    (
        "a",
        KEY_7
        + """
        interface I { id: ID! }
        type X implements I @key(fields: "id") { id: ID! }
        type Y implements I @key(fields: "id") { id: ID! }
        type Query { i: I }
        """,
    ),
    (
        "b",
        KEY_7
        + """
        interface I { id: ID! n: Int }
        type X implements I @key(fields: "id") { id: ID! n: Int }
        type Y implements I @key(fields: "id") { id: ID! n: Int }
        """,
    ),
)
case(
    "err_sat_interface_implementation_without_key",
    (
        "a",
        link(7, "key", "shareable")
        + """
        interface I { id: ID! }
        type X implements I @key(fields: "id") { id: ID! }
        type Y implements I @shareable { id: ID! }
        type Query { i: I }
        """,
    ),
    (
        "b",
        link(7, "key", "shareable")
        + """
        interface I { id: ID! n: Int }
        type X implements I @key(fields: "id") { id: ID! n: Int }
        type Y implements I @shareable { id: ID! n: Int }
        """,
    ),
)
case(
    "sat_nested_key",
    (
        "a",
        KEY_7 + 'type Org { id: ID! } type U @key(fields: "org { id } id") { id: ID! org: Org! } '
        "type Query { u: U }",
    ),
    (
        "b",
        link(7, "key", "shareable")
        + 'type Org @shareable { id: ID! } type U @key(fields: "org { id } id") { id: ID! org: '
        "Org! @shareable name: String }",
    ),
)
case(
    "sat_union_members_per_subgraph",
    ("a", KEY_7 + 'type X @key(fields: "id") { id: ID! } union U = X type Query { u: U }'),
    (
        "b",
        KEY_7
        + 'type X @key(fields: "id") { id: ID! a: Int } type Y { y: Int } union U = X | Y type '
        "Query { v: U }",
    ),
)
case(
    "sat_mutation_returns_entity",
    (
        "a",
        KEY_7
        + 'type P @key(fields: "id") { id: ID! } type Query { a: Int } type Mutation { make: P }',
    ),
    ("b", KEY_7 + 'type P @key(fields: "id") { id: ID! name: String }'),
)
case(
    "sat_interface_object_entry_point",
    (
        "a",
        link(3, "key")
        + """
        interface M @key(fields: "id") { id: ID! t: String }
        type B implements M @key(fields: "id") { id: ID! t: String }
        type Query { m: [M] b: B }
        """,
    ),
    (
        "c",
        link(3, "key", "interfaceObject")
        + 'type M @key(fields: "id") @interfaceObject { id: ID! r: Int } type Query { top: M }',
    ),
)

# -- more merging rules -------------------------------------------------------------------------

case(
    "override_used_by_key",
    (
        "new",
        link(7, "key", "override")
        + 'type P @key(fields: "id") { id: ID! x: Int @override(from: "old") }',
    ),
    (
        "old",
        KEY_7
        + 'type P @key(fields: "id") @key(fields: "x") { id: ID! x: Int } type Query { p: P }',
    ),
)
case(
    "err_override_key_field_of_the_only_entry",
    (
        "new",
        link(7, "key", "override")
        + 'type P @key(fields: "id") { id: ID! @override(from: "old") x: Int }',
    ),
    ("old", KEY_7 + 'type P @key(fields: "id") { id: ID! } type Query { p: P }'),
)
case(
    "scopes_combined",
    (
        "a",
        link(7, "key", "shareable", "requiresScopes")
        + 'type U @key(fields: "id") { id: ID! e: String @shareable @requiresScopes(scopes: '
        '[["a"]]) } type Query { u: U }',
    ),
    (
        "b",
        link(7, "key", "shareable", "requiresScopes")
        + 'type U @key(fields: "id") { id: ID! e: String @shareable @requiresScopes(scopes: '
        '[["b"], ["c"]]) }',
    ),
)
case(
    "field_type_narrowing",
    (
        "a",
        link(7, "shareable")
        + """
        interface Animal { name: String }
        type Dog implements Animal @shareable { name: String }
        type Query { pet: Animal @shareable list: [Int!]! @shareable }
        """,
    ),
    (
        "b",
        link(7, "shareable")
        + "type Dog @shareable { name: String } type Query { pet: Dog @shareable list: [Int] "
        "@shareable }",
    ),
)
case(
    "descriptions_and_defaults",
    (
        "a",
        link(7, "key", "shareable", "tag")
        + '''
        """Schema desc"""
        schema { query: Query }
        """An enum"""
        enum Status {
          """Active one"""
          ACTIVE @tag(name: "x")
          """Gone"""
          DELETED @deprecated(reason: "gone")
          OTHER
        }
        """
        Multi
        line
        """
        input Filter {
          """the status"""
          status: Status = ACTIVE
          "tags" tags: [String!] = ["a", "b"]
          obj: Nested = {x: 1}
        }
        input Nested { x: Int }
        type Query {
          """find things"""
          find(
            """the filter"""
            filter: Filter
            limit: Int = 10 @deprecated(reason: "x")
          ): [String] @shareable
          "second" other: String @tag(name: "a") @tag(name: "b") @deprecated
        }
        ''',
    ),
    (
        "b",
        link(7, "shareable")
        + """
        type Query { find(filter: Filter, limit: Int = 10): [String] @shareable }
        input Filter { status: Status = ACTIVE tags: [String!] = ["a", "b"] obj: Nested = {x: 1} }
        enum Status { ACTIVE DELETED OTHER }
        input Nested { x: Int }
        """,
    ),
)
case(
    "renamed_imports",
    (
        "a",
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
        'import: [{name: "@key", as: "@primaryKey"}, "@shareable"])\n'
        'type P @primaryKey(fields: "id") { id: ID! n: String @shareable } type Query { p: P }',
    ),
    (
        "b",
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", as: "fed")\n'
        'type P @fed__key(fields: "id") { id: ID! n: String @fed__shareable }',
    ),
)
case(
    "err_link_import_name_mismatch",
    ("a", link(7, "tag") + 'type Query { a: Int @tag(name: "x") }'),
    ("b", link(7) + 'type Query { b: Int @federation__tag(name: "y") }'),
)
case(
    "err_interface_key_missing_implementation_type",
    (
        "a",
        link(3, "key")
        + """
        interface I @key(fields: "id") { id: ID! }
        type X implements I @key(fields: "id") { id: ID! }
        type Query { i: I }
        """,
    ),
    (
        "b",
        link(3, "key")
        + """
        type Y implements I @key(fields: "id") { id: ID! }
        interface I @key(fields: "id", resolvable: false) { id: ID! }
        type Query { y: Y }
        """,
    ),
)
case(
    "executable_directives",
    (
        "a",
        link(7)
        + "directive @trace(level: Int = 1) repeatable on FIELD | QUERY type Query { a: Int }",
    ),
    (
        "b",
        link(7)
        + "directive @trace(level: Int = 1) repeatable on FIELD | QUERY type Query { b: Int }",
    ),
)
case(
    "shareable_applies_per_declaration",
    (
        "a",
        link(7, "shareable")
        + "type V @shareable { a: Int } extend type V { b: Int } type Query { v: V }",
    ),
    ("b", link(7, "shareable") + "type V @shareable { a: Int }"),
)
case(
    "extends_in_fed2",
    (
        "a",
        link(7, "key", "extends", "external")
        + 'type P @extends @key(fields: "id") { id: ID! @external y: Int }',
    ),
    ("b", link(7, "key") + 'type P @key(fields: "id") { id: ID! x: Int } type Query { p: P }'),
)
case(
    "inaccessible_enum_value_in_input",
    ("a", link(7, "inaccessible") + "enum E { A B @inaccessible } type Query { q(e: E = A): E }"),
    ("b", link(7, "inaccessible") + "enum E { A } type Query { r: E }"),
)

# -- demand control (federation 2.9 @cost / @listSize) -------------------------------------------

case(
    "demand_control",
    (
        "products",
        link(9, "key", "shareable", "cost", "listSize")
        + """
        scalar Expensive @cost(weight: 30)
        enum Tier @cost(weight: 2) { LOW HIGH }
        type Book @key(fields: "id") @cost(weight: 4) {
          id: ID!
          title: String @shareable @cost(weight: 3)
          pages(first: Int = 10): [Int!] @listSize(slicingArguments: ["first"])
          blob: Expensive
          tier: Tier
        }
        type BookPage @shareable { items: [Book!]! total: Int }
        input Filter { max: Int @cost(weight: 1) }
        type Query {
          books(first: Int, after: String): [Book!]!
            @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
          page(first: Int, last: Int, filter: Filter): BookPage @shareable
            @listSize(slicingArguments: ["first", "last"], sizedFields: ["items"])
          search(text: String @cost(weight: 5)): [Book!]! @listSize(assumedSize: 20)
        }
        """,
    ),
    (
        "reviews",
        link(9, "key", "shareable", "cost", "listSize")
        + """
        type Book @key(fields: "id") {
          id: ID!
          title: String @shareable @cost(weight: 7)
          reviews: [String!]! @listSize(assumedSize: 5)
        }
        type BookPage @shareable { items: [Book!]! total: Int }
        type Query {
          page(first: Int, last: Int): BookPage @shareable
            @listSize(slicingArguments: ["first"], sizedFields: ["items"], assumedSize: 3)
        }
        """,
    ),
)
case(
    "err_demand_control_import_mismatch",
    (
        "a",
        link(9, "key")
        + """
        type Query {
          weighted: Int @federation__cost(weight: 5)
          listed(first: Int): [Int!] @federation__listSize(slicingArguments: ["first"])
        }
        """,
    ),
    ("b", link(9, "key", "cost") + "type Query { other: Int @cost(weight: 2) }"),
)
case(
    "demand_control_unimported",
    (
        "a",
        link(9, "key")
        + """
        type Query {
          weighted: Int @federation__cost(weight: 5)
          listed(first: Int): [Int!] @federation__listSize(slicingArguments: ["first"])
        }
        """,
    ),
    ("b", link(9, "key") + "type Query { other: Int @federation__cost(weight: 2) }"),
)
case(
    "demand_control_list_size_only",
    (
        "a",
        link(9, "cost", "listSize", "authenticated", "tag")
        + """
        type Query {
          f(first: Int, last: Int): [Int!] @authenticated
            @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false) @tag(name: "x")
        }
        """,
    ),
)
case("demand_control_cost_only", ("b", link(9, "cost") + "type Query { g: Int @cost(weight: 1) }"))
case(
    "demand_control_merged_list_sizes",
    (
        "a",
        link(9, "shareable", "listSize")
        + """
        type Query @shareable {
          f(first: Int, last: Int): [Int!]
            @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
          h: [Int] @listSize(assumedSize: 4)
          k: [Int] @listSize(assumedSize: 4)
        }
        """,
    ),
    (
        "b",
        link(9, "shareable", "listSize")
        + """
        type Query @shareable {
          f(first: Int, last: Int): [Int!] @listSize(slicingArguments: ["last"])
          h: [Int] @listSize(assumedSize: 4, requireOneSlicingArgument: true)
          k: [Int] @listSize(assumedSize: 2)
        }
        """,
    ),
)
DEMAND_9 = link(9, "key", "cost", "listSize")
case(
    "err_list_size_not_a_list",
    (
        "a",
        DEMAND_9
        + """
        type Query {
          a: Int @listSize(assumedSize: 3)
          b(first: Int): Int @listSize(slicingArguments: ["first"])
        }
        """,
    ),
)
case(
    "err_list_size_negative_assumed_size",
    ("a", DEMAND_9 + "type Query { a: [Int] @listSize(assumedSize: -1) }"),
)
case(
    "err_list_size_bad_slicing_arguments",
    (
        "a",
        DEMAND_9
        + """
        input F { max: Int }
        type Query {
          a(first: Int): [Int] @listSize(slicingArguments: ["last"])
          b(first: String): [Int] @listSize(slicingArguments: ["first"])
          c(f: F): [Int] @listSize(slicingArguments: ["f.max"])
        }
        """,
    ),
)
case(
    "err_list_size_bad_sized_fields",
    (
        "a",
        DEMAND_9
        + """
        type C { items: [Int] n: Int }
        type Query {
          a(first: Int): C @listSize(slicingArguments: ["first"], sizedFields: ["nope", "n"])
        }
        """,
    ),
)
case(
    "err_cost_on_interface_field",
    (
        "a",
        DEMAND_9
        + "interface I { x: Int @cost(weight: 2) }"
        + " type T implements I { x: Int } type Query { i: I }",
    ),
)
case(
    "demand_control_sized_connection",
    (
        "a",
        DEMAND_9
        + """
        type C { items: [Int] }
        type Query {
          a(first: Int!): C @listSize(slicingArguments: ["first"], sizedFields: ["items"])
        }
        """,
    ),
)
