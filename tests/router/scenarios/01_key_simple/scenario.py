"""Product @key(id) lives in products; reviews adds `Product.reviews`.

The router fetches the root from products, then one batched `_entities` call to reviews.
"""

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Direct, Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 120},
    {"id": "p2", "name": "Chair", "price": 40},
    {"id": "p3", "name": "Lamp", "price": 25},
]
REVIEWS = {
    "p1": [{"id": "r1", "body": "Solid", "stars": 5}, {"id": "r2", "body": "Wobbly", "stars": 2}],
    "p2": [],
    "p3": [{"id": "r3", "body": "Bright", "stars": 4}],
}


def top_products(_parent: object, _info: object, first: int) -> list[dict[str, object]]:
    return PRODUCTS[:first]


def product_reviews(product: dict[str, str], _info: object) -> list[dict[str, object]]:
    return REVIEWS[product["id"]]


def one_batched_entity_fetch(recorder: Recorder) -> None:
    (fetch,) = recorder.of("reviews")
    assert fetch.is_entities
    assert fetch.representations == [
        {"__typename": "Product", "id": "p1"},
        {"__typename": "Product", "id": "p2"},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={"Query": {"topProducts": top_products}},
            entities={"Product": entity_by_key(PRODUCTS, "id")},
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": product_reviews}},
            entities={"Product": lambda rep, _info: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="root_only",
            query="{ topProducts { id name price } }",
            data={
                "topProducts": [
                    {"id": "p1", "name": "Table", "price": 120},
                    {"id": "p2", "name": "Chair", "price": 40},
                    {"id": "p3", "name": "Lamp", "price": 25},
                ]
            },
            requests={"products": 1},
        ),
        Operation(
            name="jump_to_reviews",
            query="{ topProducts(first: 2) { name reviews { body stars } } }",
            data={
                "topProducts": [
                    {
                        "name": "Table",
                        "reviews": [
                            {"body": "Solid", "stars": 5},
                            {"body": "Wobbly", "stars": 2},
                        ],
                    },
                    {"name": "Chair", "reviews": []},
                ]
            },
            requests={"products": 1, "reviews": 1},
            check=one_batched_entity_fetch,
        ),
        Operation(
            name="only_entity_fields",
            query="{ topProducts(first: 3) { reviews { id } } }",
            data={
                "topProducts": [
                    {"reviews": [{"id": "r1"}, {"id": "r2"}]},
                    {"reviews": []},
                    {"reviews": [{"id": "r3"}]},
                ]
            },
            requests={"products": 1, "reviews": 1},
        ),
    ],
    direct=[
        Direct(
            "reviews",
            """query($r: [_Any!]!) {
                 _entities(representations: $r) { ... on Product { id reviews { body } } }
               }""",
            variables={"r": [{"__typename": "Product", "id": "p3"}]},
            data={"_entities": [{"id": "p3", "reviews": [{"body": "Bright"}]}]},
        ),
    ],
)
