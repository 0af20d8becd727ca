"""A two-subgraph shop with cost directives, composed by our composer, for cost tests."""

from __future__ import annotations

from router.composition import SubgraphSource, compose
from router.supergraph import Supergraph, read_supergraph

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
    'import: ["@key", "@cost", "@listSize", "@requires", "@external"])\n'
)

SHOP_TYPES = """
scalar Blob
enum Tier { LOW HIGH }
type Book @key(fields: "id") {
  id: ID!
  title: String
  blob: Blob
  tier: Tier
  weight: Int
  tags: [String!]!
  authors: [Author!]!
}
type Author { name: String }
type BookEdge { node: Book! cursor: String! }
type BookConnection { edges: [BookEdge!]! total: Int }
input Filter { max: Int tags: [String!] }
union Hit = Book | Author
type Query {
  hits: [Hit!]!
  grid: [[Book]]
  book(id: ID!): Book
  books(first: Int = 5, filter: Filter): [Book!]!
  range(first: Int, last: Int): [Book!]!
  page(first: Int, last: Int): BookConnection
  search(text: String): [Book!]!
  plain: [Book!]!
}
type Mutation { rate(id: ID!, stars: Int): Book }
"""
"""The shop subgraph's schema without cost directives (what its test server serves)."""

SHOP = LINK + (
    SHOP_TYPES.replace("scalar Blob", "scalar Blob @cost(weight: 30)")
    .replace("enum Tier {", "enum Tier @cost(weight: 2) {")
    .replace('type Book @key(fields: "id") {', 'type Book @key(fields: "id") @cost(weight: 4) {')
    .replace("  title: String\n", "  title: String @cost(weight: 3)\n")
    .replace("  weight: Int\n", "  weight: Int @cost(weight: 6)\n")
    .replace("input Filter { max: Int", "input Filter { max: Int @cost(weight: 1)")
    .replace(
        "books(first: Int = 5, filter: Filter): [Book!]!",
        "books(first: Int = 5, filter: Filter): [Book!]!"
        ' @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)',
    )
    .replace(
        "range(first: Int, last: Int): [Book!]!",
        "range(first: Int, last: Int): [Book!]!"
        ' @listSize(slicingArguments: ["first", "last"], requireOneSlicingArgument: false)',
    )
    .replace(
        "page(first: Int, last: Int): BookConnection",
        'page(first: Int, last: Int): BookConnection @listSize(slicingArguments: ["first", "last"],'
        ' sizedFields: ["edges"])',
    )
    .replace(
        "search(text: String): [Book!]!",
        "search(text: String @cost(weight: 5)): [Book!]! @listSize(assumedSize: 20)",
    )
)

SHIP = (
    LINK
    + """
type Book @key(fields: "id") {
  id: ID!
  weight: Int @external
  shipping: Int @requires(fields: "weight")
}
"""
)
SHIP_SERVED = 'type Book @key(fields: "id") { id: ID! weight: Int @external shipping: Int }'


def shop_supergraph() -> Supergraph:
    result = compose(
        [
            SubgraphSource("shop", "http://shop.local/graphql", SHOP),
            SubgraphSource("ship", "http://ship.local/graphql", SHIP),
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    return read_supergraph(result.supergraph_sdl)
