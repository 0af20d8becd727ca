"""`Review.product @provides(fields: "name")`: below that field reviews resolves the external
`name` itself, so no jump to products; `price` still needs products."""

from tests.support.subgraph_server import SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

REVIEWS = [
    {"id": "r1", "body": "Great", "product": {"id": "p1", "name": "Table"}},
    {"id": "r2", "body": "Meh", "product": {"id": "p2", "name": "Chair"}},
]
PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 120},
    {"id": "p2", "name": "Chair", "price": 40},
]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("reviews", resolvers={"Query": {"reviews": lambda _p, _i: REVIEWS}}),
        SubgraphSpec("products", entities={"Product": entity_by_key(PRODUCTS, "id")}),
    ],
    operations=[
        Operation(
            name="provided_name",
            query="{ reviews { body product { id name } } }",
            data={
                "reviews": [
                    {"body": "Great", "product": {"id": "p1", "name": "Table"}},
                    {"body": "Meh", "product": {"id": "p2", "name": "Chair"}},
                ]
            },
            requests={"reviews": 1},
        ),
        Operation(
            name="price_needs_products",
            query="{ reviews { product { name price } } }",
            data={
                "reviews": [
                    {"product": {"name": "Table", "price": 120}},
                    {"product": {"name": "Chair", "price": 40}},
                ]
            },
            requests={"reviews": 1, "products": 1},
        ),
    ],
)
