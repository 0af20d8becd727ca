"""The API schema: supergraph machinery stripped, `@inaccessible` pruned or refused."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLUnionType,
    parse,
    validate,
)

from router.supergraph import SupergraphError, print_api_schema, read_supergraph
from tests.support.supergraph_sdl import INACCESSIBLE, TAG, supergraph

LINKS = (
    '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)'
    ' @link(url: "https://specs.apollo.dev/tag/v0.3")'
)

SHOP = '''
"""Entry points."""
type Query @join__type(graph: PRODUCTS) @join__type(graph: REVIEWS) {
  "Products, best first."
  products(first: Int = 10, internalRanking: String @inaccessible, sort: Sort = NAME): [Product!]!
    @join__field(graph: PRODUCTS) @tag(name: "public")
  search(filter: Filter): [Result] @join__field(graph: PRODUCTS)
  node(id: ID!): Node @join__field(graph: PRODUCTS)
  debug: Debug @join__field(graph: PRODUCTS) @inaccessible
  legacy: String @join__field(graph: REVIEWS) @deprecated(reason: "use products")
  when: DateTime @join__field(graph: PRODUCTS)
}

interface Node @join__type(graph: PRODUCTS) { id: ID! }
interface Audited @join__type(graph: PRODUCTS) @inaccessible { auditedBy: String }

type Product implements Node & Audited
  @join__type(graph: PRODUCTS, key: "id")
  @join__implements(graph: PRODUCTS, interface: "Node")
  @join__implements(graph: PRODUCTS, interface: "Audited")
{
  id: ID!
  name: String
  status: Status
  auditedBy: String @inaccessible
  costPrice: Int @inaccessible
}

type Debug @join__type(graph: PRODUCTS) @inaccessible { trace: String }
type Secret @join__type(graph: PRODUCTS) @inaccessible { x: Int }

union Result @join__type(graph: PRODUCTS)
  @join__unionMember(graph: PRODUCTS, member: "Product")
  @join__unionMember(graph: PRODUCTS, member: "Secret") = Product | Secret

enum Status @join__type(graph: PRODUCTS) {
  ACTIVE @join__enumValue(graph: PRODUCTS)
  DRAFT @join__enumValue(graph: PRODUCTS) @inaccessible
}

enum Sort @join__type(graph: PRODUCTS) {
  NAME @join__enumValue(graph: PRODUCTS)
  MARGIN @join__enumValue(graph: PRODUCTS) @inaccessible
}

input Filter @join__type(graph: PRODUCTS) {
  name: String
  marginAbove: Int @inaccessible
}

"An instant, ISO 8601."
scalar DateTime @join__type(graph: PRODUCTS) @specifiedBy(url: "https://example.com/iso8601")

directive @lowercase on FIELD
'''


def read(body: str = SHOP):  # type: ignore[no-untyped-def]
    return read_supergraph(
        supergraph(body, links=LINKS, definitions=INACCESSIBLE + TAG, version="0.4")
    )


def test_machinery_is_removed() -> None:
    printed = print_api_schema(read())
    for gone in ("join__", "link__", "@link", "@join", "@inaccessible", "@tag", "Purpose"):
        assert gone not in printed


def test_descriptions_deprecations_specified_by_and_executable_directives_kept() -> None:
    api = read().api_schema
    printed = print_api_schema(read())
    assert '"""Entry points."""' in printed
    assert '"""Products, best first."""' in printed
    assert '@deprecated(reason: "use products")' in printed
    assert '@specifiedBy(url: "https://example.com/iso8601")' in printed
    assert '"""An instant, ISO 8601."""' in printed
    assert api.get_directive("lowercase") is not None
    assert not validate(api, parse("{ products { name @lowercase } }"))


def test_inaccessible_elements_are_pruned() -> None:
    api = read().api_schema
    query = api.query_type
    assert query is not None
    assert "debug" not in query.fields
    assert set(query.fields["products"].args) == {"first", "sort"}
    for hidden_type in ("Debug", "Secret", "Audited"):
        assert hidden_type not in api.type_map
    product = api.type_map["Product"]
    assert isinstance(product, GraphQLObjectType)
    assert [i.name for i in product.interfaces] == ["Node"]
    assert set(product.fields) == {"id", "name", "status"}
    result = api.type_map["Result"]
    assert isinstance(result, GraphQLUnionType)
    assert [t.name for t in result.types] == ["Product"]
    status = api.type_map["Status"]
    assert isinstance(status, GraphQLEnumType)
    assert list(status.values) == ["ACTIVE"]
    filter_type = api.type_map["Filter"]
    assert isinstance(filter_type, GraphQLInputObjectType)
    assert list(filter_type.fields) == ["name"]
    errors = [
        e.message for e in validate(api, parse('{ products(internalRanking: "x") { costPrice } }'))
    ]
    assert len(errors) == 2
    assert "internalRanking" in errors[0]
    assert "costPrice" in errors[1]


def test_model_keeps_what_the_api_schema_hides() -> None:
    sg = read()
    assert sg.type("Debug").inaccessible
    assert sg.field("Product", "costPrice").inaccessible
    assert sg.field("Query", "products").arguments["internalRanking"].inaccessible
    assert sg.type("Status").inaccessible_values == frozenset({"DRAFT"})
    assert sg.possible_types["Result"] == frozenset({"Product", "Secret"})


INACCESSIBLE_MISUSES = [
    # (text in SHOP, replacement, expected message or None for a harmless control change)
    ("type Debug @join__type(graph: PRODUCTS) @inaccessible", "type Debug", None),
    (
        "debug: Debug @join__field(graph: PRODUCTS) @inaccessible",
        "debug: Debug @join__field(graph: PRODUCTS)",
        'Type "Debug" is @inaccessible but is referenced by "Query.debug", which is in the API'
        " schema.",
    ),
    (
        "internalRanking: String @inaccessible",
        "internalRanking: String! @inaccessible",
        'Argument "Query.products(internalRanking:)" is @inaccessible but is a required argument'
        " of its field.",
    ),
    (
        "sort: Sort = NAME",
        "sort: Sort = MARGIN",
        'Enum value "Sort.MARGIN" is @inaccessible but is used in the default value of'
        ' "Query.products(sort:)", which is in the API schema.',
    ),
    (
        "name: String\n  marginAbove",
        "name: String @inaccessible\n  marginAbove",
        'Type "Filter" is in the API schema but all of its input fields are @inaccessible.',
    ),
    (
        "marginAbove: Int @inaccessible",
        "marginAbove: Int! @inaccessible",
        'Input field "Filter.marginAbove" is @inaccessible but is a required input field of its'
        " type.",
    ),
    (
        "ACTIVE @join__enumValue(graph: PRODUCTS)\n",
        "ACTIVE @join__enumValue(graph: PRODUCTS) @inaccessible\n",
        'Type "Status" is in the API schema but all of its values are @inaccessible.',
    ),
    (
        "interface Audited @join__type(graph: PRODUCTS) @inaccessible",
        "interface Audited @join__type(graph: PRODUCTS)",
        'Field "Product.auditedBy" is @inaccessible but implements the interface field'
        ' "Audited.auditedBy", which is in the API schema.',
    ),
    (
        "type Query @join__type(graph: PRODUCTS)",
        "type Query @inaccessible @join__type(graph: PRODUCTS)",
        'Type "Query" is @inaccessible but is the root query type, which must be in the API'
        " schema.",
    ),
    (
        '@join__implements(graph: PRODUCTS, interface: "Audited")\n{',
        '@join__implements(graph: PRODUCTS, interface: "Audited") @inaccessible\n{',
        'Type "Product" is @inaccessible but is referenced by "Query.products", which is in the'
        " API schema.",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), INACCESSIBLE_MISUSES)
def test_invalid_inaccessible_usage_is_refused_clearly(
    old: str, new: str, message: str | None
) -> None:
    assert old in SHOP
    body = SHOP.replace(old, new)
    if message is None:  # control: the change alone is harmless
        read(body)
        return
    with pytest.raises(SupergraphError) as caught:
        read(body)
    assert message in str(caught.value)


def test_all_union_members_inaccessible_is_refused() -> None:
    body = SHOP.replace(
        '@join__implements(graph: PRODUCTS, interface: "Audited")\n{',
        '@join__implements(graph: PRODUCTS, interface: "Audited") @inaccessible\n{',
    ).replace("[Product!]!", "[Node!]!")
    with pytest.raises(SupergraphError) as caught:
        read(body)
    assert 'Type "Result" is in the API schema but all of its members are @inaccessible.' in str(
        caught.value
    )


def test_composed_custom_directive_feature_is_not_in_the_api_schema() -> None:
    """As in Apollo's API schema, every element of a linked feature is removed."""
    sg = read_supergraph(
        supergraph(
            "type Query @join__type(graph: PRODUCTS) { a: Int @join__field(graph: PRODUCTS)"
            " @cached(seconds: 5) }",
            links='@link(url: "https://example.com/caching/v1.0", import: ["@cached"])',
            definitions="directive @cached(seconds: Int) on FIELD_DEFINITION\n",
        )
    )
    assert sg.api_schema.get_directive("cached") is None
    assert "cached" not in print_api_schema(sg)


def test_inaccessible_mutation_root_leaves_no_mutation_type() -> None:
    body = (
        SHOP
        + "type Mutation @join__type(graph: PRODUCTS) @inaccessible {\n"
        + "  reindex: Boolean @join__field(graph: PRODUCTS)\n}\n"
    )
    sdl = supergraph(
        body,
        links=LINKS,
        definitions=INACCESSIBLE + TAG,
        version="0.4",
        root="query: Query mutation: Mutation",
    )
    sg = read_supergraph(sdl)
    assert sg.mutation_type == "Mutation"
    assert sg.api_schema.mutation_type is None
    assert "reindex" not in print_api_schema(sg)


def test_field_set_cache_shares_parsed_selections() -> None:
    sg = read()
    node = sg.type("Product").graphs["PRODUCTS"].keys[0].selection
    assert read().type("Product").graphs["PRODUCTS"].keys[0].selection is node
