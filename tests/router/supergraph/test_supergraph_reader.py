"""Reading join v0.2-v0.5 supergraphs into the model: graphs, keys, fields, abstract types."""

from __future__ import annotations

import hashlib

import pytest
from graphql import print_ast

from router.supergraph import (
    FieldInGraph,
    SupergraphError,
    TypeKind,
    read_supergraph,
)
from tests.support.supergraph_sdl import supergraph

VERSIONS = ["0.2", "0.3", "0.4", "0.5"]


def body(version: str) -> str:
    """One shop, written as composition writes it for ``version`` (v0.3+ adds member markers)."""
    minor = int(version.split(".")[1])
    members = (
        '@join__unionMember(graph: PRODUCTS, member: "Product")'
        ' @join__unionMember(graph: PRODUCTS, member: "User")'
        if minor >= 3
        else ""
    )
    book = (
        "@join__enumValue(graph: PRODUCTS) @join__enumValue(graph: INVENTORY)" if minor >= 3 else ""
    )
    food = "@join__enumValue(graph: INVENTORY)" if minor >= 3 else ""
    return f"""
type Query @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {{
  topProducts(first: Int = 5): [Product!]! @join__field(graph: PRODUCTS)
  search(term: String!, filter: ProductFilter): [SearchResult!]! @join__field(graph: PRODUCTS)
  shared: String
  node(id: ID!): Node @join__field(graph: PRODUCTS)
}}

type Mutation @join__type(graph: PRODUCTS) {{
  renameProduct(id: ID!, name: String!): Product @join__field(graph: PRODUCTS)
}}

interface Node @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {{
  id: ID!
}}

type Product implements Node
  @join__type(graph: PRODUCTS, key: "id")
  @join__type(graph: PRODUCTS, key: "sku vendor {{ id }}", resolvable: false)
  @join__type(graph: INVENTORY, key: "id", extension: true)
  @join__type(graph: REVIEWS, key: "id", resolvable: false)
  @join__implements(graph: PRODUCTS, interface: "Node")
{{
  id: ID!
  sku: String @join__field(graph: PRODUCTS)
  vendor: User @join__field(graph: PRODUCTS)
  price: Money @join__field(graph: PRODUCTS) @join__field(graph: INVENTORY, external: true)
  weight: Float @join__field(graph: PRODUCTS) @join__field(graph: INVENTORY, external: true)
  shippingEstimate: Int @join__field(graph: INVENTORY, requires: "price weight")
  inStock: Boolean @join__field(graph: INVENTORY, type: "Boolean!")
  name: String
    @join__field(graph: PRODUCTS, override: "inventory")
    @join__field(graph: INVENTORY, usedOverridden: true)
  category: Category @join__field(graph: PRODUCTS)
  reviews: [Review!]! @join__field(graph: REVIEWS)
}}

type Review @join__type(graph: REVIEWS) {{
  body: String!
  author: User @join__field(graph: REVIEWS, provides: "name")
  product: Product
}}

type User @join__type(graph: REVIEWS, key: "id") @join__type(graph: PRODUCTS, key: "id") {{
  id: ID!
  name: String @join__field(graph: PRODUCTS) @join__field(graph: REVIEWS, external: true)
}}

union SearchResult @join__type(graph: PRODUCTS) {members} = Product | User

enum Category @join__type(graph: PRODUCTS) @join__type(graph: INVENTORY) {{
  BOOK {book}
  FOOD {food}
}}

input ProductFilter @join__type(graph: PRODUCTS) @join__type(graph: INVENTORY) {{
  category: Category
  maxPrice: Money @join__field(graph: PRODUCTS)
}}

scalar Money @join__type(graph: PRODUCTS) @join__type(graph: INVENTORY)
"""


def read(version: str):  # type: ignore[no-untyped-def]
    sdl = supergraph(body(version), version=version, root="query: Query mutation: Mutation")
    return sdl, read_supergraph(sdl)


@pytest.mark.parametrize("version", VERSIONS)
def test_graphs_names_urls_hash_and_roots(version: str) -> None:
    sdl, sg = read(version)
    assert {g: (s.name, s.url) for g, s in sg.subgraphs.items()} == {
        "INVENTORY": ("inventory", "http://inventory:4003/graphql"),
        "PRODUCTS": ("products", "http://products:4002/graphql"),
        "REVIEWS": ("reviews", "http://reviews:4004/graphql"),
    }
    assert sg.subgraph_by_name("reviews").graph == "REVIEWS"
    assert sg.schema_hash == hashlib.sha256(sdl.encode()).hexdigest()
    assert sg.join_version == (0, int(version.split(".")[1]))
    assert (sg.query_type, sg.mutation_type, sg.subscription_type) == ("Query", "Mutation", None)
    assert sg.root_type("mutation") == "Mutation"


@pytest.mark.parametrize("version", VERSIONS)
def test_keys_resolvable_and_extension(version: str) -> None:
    _, sg = read(version)
    product = sg.type("Product")
    assert product.kind is TypeKind.OBJECT
    assert product.is_entity
    assert set(product.graphs) == {"PRODUCTS", "INVENTORY", "REVIEWS"}
    products = product.graphs["PRODUCTS"]
    assert [(k.fields, k.resolvable) for k in products.keys] == [
        ("id", True),
        ("sku vendor { id }", False),
    ]
    assert [k.fields for k in products.resolvable_keys] == ["id"]
    nested = products.keys[1].selection
    assert print_ast(nested) == "{\n  sku\n  vendor {\n    id\n  }\n}"
    assert product.graphs["INVENTORY"].extension is True
    assert products.extension is False
    assert product.graphs["REVIEWS"].resolvable_keys == ()
    assert not sg.type("Review").is_entity


@pytest.mark.parametrize("version", VERSIONS)
def test_field_membership_rules(version: str) -> None:
    _, sg = read(version)
    # No @join__field: every graph of the parent type.
    assert set(sg.field("Product", "id").graphs) == {"PRODUCTS", "INVENTORY", "REVIEWS"}
    assert set(sg.field("Query", "shared").graphs) == {"PRODUCTS", "REVIEWS"}
    assert set(sg.field("Review", "product").graphs) == {"REVIEWS"}
    # With @join__field: only the graphs named.
    assert set(sg.field("Product", "sku").graphs) == {"PRODUCTS"}
    price = sg.field("Product", "price")
    assert price.graphs["INVENTORY"].external
    assert not price.graphs["INVENTORY"].resolvable
    assert price.resolving_graphs() == ("PRODUCTS",)
    assert price.type == "Money"
    assert price.named_type == "Money"
    reviews = sg.field("Product", "reviews")
    assert (reviews.type, reviews.named_type) == ("[Review!]!", "Review")


@pytest.mark.parametrize("version", VERSIONS)
def test_requires_provides_type_override(version: str) -> None:
    _, sg = read(version)
    estimate = sg.field("Product", "shippingEstimate").graphs["INVENTORY"]
    assert estimate.requires is not None
    assert [s.name.value for s in estimate.requires.selections] == ["price", "weight"]
    author = sg.field("Review", "author").graphs["REVIEWS"]
    assert author.provides is not None
    assert print_ast(author.provides) == "{\n  name\n}"
    assert sg.field("User", "name").graphs["REVIEWS"].external
    in_stock = sg.field("Product", "inStock")
    assert in_stock.type == "Boolean"
    assert in_stock.graphs["INVENTORY"].type == "Boolean!"
    name = sg.field("Product", "name")
    assert name.graphs["PRODUCTS"] == FieldInGraph(
        graph="PRODUCTS", type="String", override="inventory"
    )
    assert name.graphs["INVENTORY"].used_overridden
    assert not name.graphs["INVENTORY"].resolvable
    assert name.resolving_graphs() == ("PRODUCTS",)


@pytest.mark.parametrize("version", VERSIONS)
def test_interfaces_unions_enums_inputs_scalars(version: str) -> None:
    _, sg = read(version)
    assert sg.type("Product").implements == {"PRODUCTS": frozenset({"Node"})}
    assert sg.possible_types["Node"] == frozenset({"Product"})
    assert sg.possible_runtime_types("Product") == frozenset({"Product"})
    search = sg.type("SearchResult")
    assert search.kind is TypeKind.UNION
    assert search.union_members == {"PRODUCTS": frozenset({"Product", "User"})}
    assert sg.possible_types["SearchResult"] == frozenset({"Product", "User"})
    category = sg.type("Category")
    assert set(category.graphs) == {"PRODUCTS", "INVENTORY"}
    if version == "0.2":  # no @join__enumValue: every value in every graph of the enum
        assert category.enum_values == {
            "BOOK": frozenset({"PRODUCTS", "INVENTORY"}),
            "FOOD": frozenset({"PRODUCTS", "INVENTORY"}),
        }
    else:
        assert category.enum_values == {
            "BOOK": frozenset({"PRODUCTS", "INVENTORY"}),
            "FOOD": frozenset({"INVENTORY"}),
        }
    flt = sg.type("ProductFilter")
    assert flt.kind is TypeKind.INPUT_OBJECT
    assert set(flt.graphs) == {"PRODUCTS", "INVENTORY"}
    assert set(flt.fields) == {"category", "maxPrice"}
    assert set(flt.fields["category"].graphs) == {"PRODUCTS", "INVENTORY"}
    assert set(flt.fields["maxPrice"].graphs) == {"PRODUCTS"}
    money = sg.type("Money")
    assert money.kind is TypeKind.SCALAR
    assert set(money.graphs) == {"PRODUCTS", "INVENTORY"}
    assert sg.type("String").kind is TypeKind.SCALAR
    search_field = sg.field("Query", "search")
    assert {n: a.type for n, a in search_field.arguments.items()} == {
        "term": "String!",
        "filter": "ProductFilter",
    }


def test_v02_rejects_v03_directives_clearly() -> None:
    sdl = supergraph(body("0.3"), version="0.2", root="query: Query mutation: Mutation")
    with pytest.raises(SupergraphError, match="join__unionMember"):
        read_supergraph(sdl)


INTERFACE_OBJECT = """
type Query @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  media: [Media] @join__field(graph: PRODUCTS)
  topRated: [Media] @join__field(graph: REVIEWS)
}

interface Media
  @join__type(graph: PRODUCTS, key: "id")
  @join__type(graph: REVIEWS, key: "id", isInterfaceObject: true)
{
  id: ID!
  title: String @join__field(graph: PRODUCTS)
  rating: Int @join__field(graph: REVIEWS)
}

type Book implements Media
  @join__type(graph: PRODUCTS, key: "id")
  @join__implements(graph: PRODUCTS, interface: "Media")
{
  id: ID!
  title: String
  pages: Int
  rating: Int @join__field
}

type Movie implements Media
  @join__type(graph: PRODUCTS, key: "id")
  @join__implements(graph: PRODUCTS, interface: "Media")
{
  id: ID!
  title: String
  rating: Int @join__field
}
"""


@pytest.mark.parametrize("version", ["0.3", "0.4", "0.5"])
def test_interface_object(version: str) -> None:
    sg = read_supergraph(supergraph(INTERFACE_OBJECT, version=version))
    media = sg.type("Media")
    assert media.kind is TypeKind.INTERFACE
    assert media.graphs["REVIEWS"].is_interface_object
    assert not media.graphs["PRODUCTS"].is_interface_object
    assert [k.fields for k in media.graphs["REVIEWS"].keys] == ["id"]
    assert sg.possible_types["Media"] == frozenset({"Book", "Movie"})
    # `@join__field` without graph: no subgraph defines Book.rating itself...
    assert sg.field("Book", "rating").graphs == {}
    assert set(sg.field("Book", "title").graphs) == {"PRODUCTS"}
    # ...the interface object in REVIEWS resolves it.
    assert sg.interface_objects("Book") == (("Media", "REVIEWS"),)
    assert set(sg.field("Media", "rating").graphs) == {"REVIEWS"}
    assert sg.type("Book").implements == {"PRODUCTS": frozenset({"Media"})}


PROGRESSIVE = """
type Query @join__type(graph: PRODUCTS) @join__type(graph: INVENTORY) {
  product(id: ID!): Product @join__field(graph: PRODUCTS)
}

type Product
  @join__type(graph: PRODUCTS, key: "id")
  @join__type(graph: INVENTORY, key: "id")
  @join__directive(graphs: [INVENTORY], name: "cacheControl", args: {maxAge: 30})
{
  id: ID!
  stock: Int
    @join__field(graph: INVENTORY, override: "products", overrideLabel: "percent(25)")
    @join__field(graph: PRODUCTS, overrideLabel: "percent(25)")
  price: Int
    @join__field(graph: INVENTORY, override: "products", overrideLabel: "beta")
    @join__field(graph: PRODUCTS, overrideLabel: "beta")
    @join__directive(graphs: [PRODUCTS, INVENTORY], name: "cost", args: {weight: 5})
}
"""


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_progressive_override_labels_and_join_directive(version: str) -> None:
    sdl = supergraph(PROGRESSIVE, version=version).replace(
        "{ query: Query }",
        '@join__directive(graphs: [PRODUCTS], name: "link",'
        ' args: {url: "https://specs.apollo.dev/cost/v0.1"}) { query: Query }',
    )
    sg = read_supergraph(sdl)
    stock = sg.field("Product", "stock")
    assert stock.graphs["INVENTORY"].override == "products"
    assert stock.graphs["INVENTORY"].override_label == "percent(25)"
    assert stock.graphs["PRODUCTS"].override is None
    assert stock.graphs["PRODUCTS"].override_label == "percent(25)"
    assert set(stock.resolving_graphs()) == {"INVENTORY", "PRODUCTS"}
    assert sg.field("Product", "price").graphs["INVENTORY"].override_label == "beta"
    (type_directive,) = sg.type("Product").directives
    assert (type_directive.name, type_directive.graphs) == ("cacheControl", ("INVENTORY",))
    assert type_directive.args == {"maxAge": 30}
    (field_directive,) = sg.field("Product", "price").directives
    assert field_directive.graphs == ("PRODUCTS", "INVENTORY")
    assert field_directive.args == {"weight": 5}
    (schema_directive,) = sg.schema_directives
    assert schema_directive.name == "link"
    assert schema_directive.args == {"url": "https://specs.apollo.dev/cost/v0.1"}


def test_v05_context_arguments_are_read() -> None:
    body_ = """
type Query @join__type(graph: PRODUCTS) { product: Product @join__field(graph: PRODUCTS) }
type Product @join__type(graph: PRODUCTS, key: "id") {
  id: ID!
  price(currency: String): Int @join__field(graph: PRODUCTS, contextArguments: [
    {context: "products__ctx", name: "currency", type: "String", selection: "{ currency }"}
  ])
}
"""
    sg = read_supergraph(supergraph(body_, version="0.5"))
    assert set(sg.field("Product", "price").graphs) == {"PRODUCTS"}


def test_unknown_graph_and_missing_graph_directive_are_reported() -> None:
    bad = supergraph("type Query @join__type(graph: PRODUCTS) { a: Int @join__field(graph: NOPE) }")
    with pytest.raises(SupergraphError, match="NOPE"):
        read_supergraph(bad)
    no_url = supergraph("type Query @join__type(graph: PRODUCTS) { a: Int }").replace(
        ' @join__graph(name: "reviews", url: "http://reviews:4004/graphql")', ""
    )
    with pytest.raises(SupergraphError, match=r"join__Graph\.REVIEWS has no @join__graph"):
        read_supergraph(no_url)


def test_bad_field_set_is_reported_with_its_place() -> None:
    bad = supergraph(
        "type Query @join__type(graph: PRODUCTS) { p: P @join__field(graph: PRODUCTS) }\n"
        'type P @join__type(graph: PRODUCTS, key: "id {") { id: ID! }'
    )
    with pytest.raises(SupergraphError, match=r"invalid field set 'id \{' on key of P"):
        read_supergraph(bad)


def test_types_without_join_type_belong_to_every_graph() -> None:
    sg = read_supergraph(
        supergraph(
            "type Query @join__type(graph: PRODUCTS) { d: Date @join__field(graph: PRODUCTS) }\n"
            "scalar Date"
        )
    )
    assert set(sg.type("Date").graphs) == {"INVENTORY", "PRODUCTS", "REVIEWS"}


def test_not_a_schema_and_not_sdl() -> None:
    with pytest.raises(SupergraphError, match="does not parse"):
        read_supergraph("type Query {")
    with pytest.raises(SupergraphError, match="Unknown type"):
        read_supergraph(supergraph("type Query @join__type(graph: PRODUCTS) { a: Missing }"))
