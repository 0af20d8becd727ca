"""A chain of four subgraphs (reviews → users ∥ orders → products): users and orders both
need only the author's id, so they can run side by side; products needs orders' items.
Each subgraph gets exactly one request, merged at the right depth (`latestReviews.@.author.
orders.@.items.@.product`)."""

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

REVIEWS = [
    {"id": "r1", "body": "Great", "author": {"id": "u1"}},
    {"id": "r2", "body": "Meh", "author": {"id": "u2"}},
    {"id": "r3", "body": "Again", "author": {"id": "u1"}},
]
USERS = [{"id": "u1", "name": "Ada"}, {"id": "u2", "name": "Alan"}]
ORDERS = {
    "u1": [
        {
            "id": "o1",
            "items": [{"qty": 2, "product": {"id": "p1"}}, {"qty": 1, "product": {"id": "p2"}}],
        }
    ],
    "u2": [],
}
PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]
ADA = {
    "name": "Ada",
    "orders": [
        {
            "id": "o1",
            "items": [
                {"qty": 2, "product": {"name": "Table"}},
                {"qty": 1, "product": {"name": "Chair"}},
            ],
        }
    ],
}


def products_after_orders(recorder: Recorder) -> None:
    (orders,) = recorder.of("orders")
    (products,) = recorder.of("products")
    (reviews,) = recorder.of("reviews")
    assert reviews.finished < orders.started
    assert orders.finished < products.started
    assert sorted(rep["id"] for rep in products.representations) == ["p1", "p2"]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("reviews", resolvers={"Query": {"latestReviews": lambda _p, _i: REVIEWS}}),
        SubgraphSpec("users", entities={"User": entity_by_key(USERS, "id")}),
        SubgraphSpec(
            "orders",
            resolvers={"User": {"orders": lambda user, _i: ORDERS[user["id"]]}},
            entities={"User": lambda rep, _i: {"id": rep["id"]}},
        ),
        SubgraphSpec("products", entities={"Product": entity_by_key(PRODUCTS, "id")}),
    ],
    operations=[
        Operation(
            name="four_hops",
            query="""{
              latestReviews {
                body
                author { name orders { id items { qty product { name } } } }
              }
            }""",
            data={
                "latestReviews": [
                    {"body": "Great", "author": ADA},
                    {"body": "Meh", "author": {"name": "Alan", "orders": []}},
                    {"body": "Again", "author": ADA},
                ]
            },
            requests={"reviews": 1, "users": 1, "orders": 1, "products": 1},
            check=products_after_orders,
        ),
        Operation(
            name="skip_middle_fields",
            query="{ latestReviews { author { orders { items { product { name } } } } } }",
            data={
                "latestReviews": [
                    {
                        "author": {
                            "orders": [
                                {
                                    "items": [
                                        {"product": {"name": "Table"}},
                                        {"product": {"name": "Chair"}},
                                    ]
                                }
                            ]
                        }
                    },
                    {"author": {"orders": []}},
                    {
                        "author": {
                            "orders": [
                                {
                                    "items": [
                                        {"product": {"name": "Table"}},
                                        {"product": {"name": "Chair"}},
                                    ]
                                }
                            ]
                        }
                    },
                ]
            },
            requests={"reviews": 1, "orders": 1, "products": 1},
        ),
    ],
)
