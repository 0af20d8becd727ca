"""`subgraphs.kit.cache.policy_of`: the Cache-Control a subgraph answer gets from its hints."""

from __future__ import annotations

from graphql import build_schema, parse

from subgraphs.kit.cache import policy_of, private, public

SCHEMA = build_schema(
    """
    type Query {
      product(id: ID!): Product
      products: [Product!]!
      me: User
      orders: [Order!]!
      _entities(representations: [String!]!): [_Entity]!
    }
    union _Entity = Product | User | Order
    type Product { id: ID! name: String! stock: Stock category: Category }
    type Stock { available: Int! }
    type Category { name: String! }
    type User { id: ID! email: String }
    type Order { id: ID! }
    """
)
HINTS = {
    "Product": public(30),
    "Query.products": public(60),
    "Stock": public(5),
    "User": private(20),
}


def policy(query: str, name: str | None = None) -> str:
    return policy_of(SCHEMA, parse(query), name, HINTS)


def test_a_field_takes_its_own_hint_else_its_type_s() -> None:
    assert policy('{ product(id: "1") { name } }') == "public, max-age=30"
    # the field's own hint wins over its type's (Apollo's rule)
    assert policy("{ products { name } }") == "public, max-age=60"


def test_the_smallest_max_age_wins_and_private_spreads() -> None:
    assert policy('{ product(id: "1") { name stock { available } } }') == "public, max-age=5"
    assert policy('{ product(id: "1") { name } me { email } }') == "private, max-age=20"


def test_unhinted_root_fields_and_entities_are_not_cacheable() -> None:
    assert policy("{ orders { id } }") == "no-store"
    assert policy('{ product(id: "1") { name } orders { id } }') == "no-store"
    assert policy('{ _entities(representations: ["x"]) { ... on Order { id } } }') == "no-store"


def test_entities_take_the_hints_of_their_types() -> None:
    query = '{ _entities(representations: ["x"]) { ... on Product { name } ... on User { id } } }'
    assert policy(query) == "private, max-age=20"
    # an unhinted nested object inherits (Category has no hint of its own)
    nested = '{ _entities(representations: ["x"]) { ... on Product { category { name } } } }'
    assert policy(nested) == "public, max-age=30"


def test_only_the_chosen_operation_counts() -> None:
    document = 'query A { orders { id } } query B { product(id: "1") { name } }'
    assert policy(document, "B") == "public, max-age=30"
    assert policy(document, "A") == "no-store"
