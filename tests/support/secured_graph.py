"""Two small real subgraphs whose schemas carry authorization directives, and their supergraph
composed by our own composer, for tests that go through the router's HTTP app and engine."""

from __future__ import annotations

from typing import Any

from router.composition import SubgraphSource, compose
from tests.support.subgraph_server import SubgraphSpec, entity_by_key

_LINK = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6",
  import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
"""

ACCOUNTS_SDL = (
    _LINK
    + """
type Query {
  me: User @authenticated
  users: [User!]! @requiresScopes(scopes: [["users:read"]])
}

type User @key(fields: "id") {
  id: ID!
  name: String!
  email: String @requiresScopes(scopes: [["users:email"]])
}
"""
)

SHOP_SDL = (
    _LINK
    + """
type Query {
  products: [Product!]!
  product(id: ID!): Product
  adminStats: Stats @policy(policies: [["admin"]])
}

type Stats { orders: Int! }

type Product @key(fields: "id") {
  id: ID!
  name: String!
  price: Float @authenticated
  cost: Float! @requiresScopes(scopes: [["products:cost"]])
  seller: User
}

type User @key(fields: "id", resolvable: false) { id: ID! }
"""
)

USERS = [
    {"id": "u1", "name": "Alice", "email": "alice@example.com"},
    {"id": "u2", "name": "Bob", "email": "bob@example.com"},
]
PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 120.0, "cost": 70.0, "seller": {"id": "u1"}},
    {"id": "p2", "name": "Chair", "price": 40.0, "cost": 15.5, "seller": {"id": "u2"}},
]


def _product(_parent: object, _info: object, id: str) -> dict[str, Any] | None:
    return next((dict(p) for p in PRODUCTS if p["id"] == id), None)


def subgraph_specs() -> list[SubgraphSpec]:
    return [
        SubgraphSpec(
            "accounts",
            sdl=ACCOUNTS_SDL,
            resolvers={
                "Query": {
                    "me": lambda _parent, _info: dict(USERS[0]),
                    "users": lambda _parent, _info: [dict(u) for u in USERS],
                }
            },
            entities={"User": entity_by_key(USERS, "id")},
        ),
        SubgraphSpec(
            "shop",
            sdl=SHOP_SDL,
            resolvers={
                "Query": {
                    "products": lambda _parent, _info: [dict(p) for p in PRODUCTS],
                    "product": _product,
                    "adminStats": lambda _parent, _info: {"orders": 42},
                }
            },
            entities={"Product": entity_by_key(PRODUCTS, "id")},
        ),
    ]


def supergraph_sdl() -> str:
    result = compose(
        [
            SubgraphSource("accounts", "http://accounts.invalid/graphql", ACCOUNTS_SDL),
            SubgraphSource("shop", "http://shop.invalid/graphql", SHOP_SDL),
        ]
    )
    assert not result.errors, result.errors
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl
