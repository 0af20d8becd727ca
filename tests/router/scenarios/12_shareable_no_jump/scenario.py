"""`Product.name @shareable` in products and reviews: whichever subgraph is already fetching
the product answers `name`; no needless entity jump."""

from tests.support.subgraph_server import SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table", "price": 120}, {"id": "p2", "name": "Chair", "price": 40}]
REVIEWED = [
    {"id": "p2", "name": "Chair", "reviewCount": 12},
    {"id": "p1", "name": "Table", "reviewCount": 3},
]

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={"Query": {"topProducts": lambda _p, _i: PRODUCTS}},
            entities={"Product": entity_by_key(PRODUCTS, "id")},
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Query": {"topReviewed": lambda _p, _i: REVIEWED}},
            entities={"Product": entity_by_key(REVIEWED, "id")},
        ),
    ],
    operations=[
        Operation(
            name="name_from_reviews",
            query="{ topReviewed { name reviewCount } }",
            data={
                "topReviewed": [
                    {"name": "Chair", "reviewCount": 12},
                    {"name": "Table", "reviewCount": 3},
                ]
            },
            requests={"reviews": 1},
        ),
        Operation(
            name="name_from_products",
            query="{ topProducts { name price } }",
            data={"topProducts": [{"name": "Table", "price": 120}, {"name": "Chair", "price": 40}]},
            requests={"products": 1},
        ),
        Operation(
            name="price_still_jumps",
            query="{ topReviewed { name price } }",
            data={"topReviewed": [{"name": "Chair", "price": 40}, {"name": "Table", "price": 120}]},
            requests={"reviews": 1, "products": 1},
        ),
    ],
)
