"""A document with several operations: `operationName` picks the one to run; only its
subgraphs are called, and fragments shared by the operations still resolve."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table", "price": 120}]
DOCUMENT = """
query Names { topProducts { ...Name } }
query WithReviews { topProducts { ...Name reviews { stars } } }
query Prices($first: Int) { topProducts(first: $first) { price } }
fragment Name on Product { name }
"""


def top(_parent: Any, _info: Any, first: int) -> list[dict[str, Any]]:
    return PRODUCTS[:first]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"topProducts": top}}),
        SubgraphSpec(
            "reviews",
            resolvers={
                "Product": {"reviews": lambda _p, _i: [{"id": "r1", "body": "Ok", "stars": 4}]}
            },
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="names",
            query=DOCUMENT,
            operation_name="Names",
            data={"topProducts": [{"name": "Table"}]},
            requests={"products": 1},
        ),
        Operation(
            name="with_reviews",
            query=DOCUMENT,
            operation_name="WithReviews",
            data={"topProducts": [{"name": "Table", "reviews": [{"stars": 4}]}]},
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="prices_with_variable",
            query=DOCUMENT,
            operation_name="Prices",
            variables={"first": 1},
            data={"topProducts": [{"price": 120}]},
            requests={"products": 1},
        ),
    ],
)
