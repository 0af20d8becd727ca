"""A chain of requirements: `total` (checkout) requires `tax`, and `tax` (tax) itself
requires `price` (products). Three fetches in sequence, each representation carrying what the
next subgraph needs."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "price": 100}, {"id": "p2", "price": 55}]


def tax(product: dict[str, Any], _info: Any) -> int:
    return int(product["price"]) // 10


def total(product: dict[str, Any], _info: Any) -> int:
    return int(product["price"]) + int(product["tax"])


def chained(recorder: Recorder) -> None:
    (tax_fetch,) = recorder.of("tax")
    (checkout,) = recorder.of("checkout")
    assert tax_fetch.finished < checkout.started
    assert tax_fetch.representations == [
        {"__typename": "Product", "id": "p1", "price": 100},
        {"__typename": "Product", "id": "p2", "price": 55},
    ]
    assert checkout.representations == [
        {"__typename": "Product", "id": "p1", "price": 100, "tax": 10},
        {"__typename": "Product", "id": "p2", "price": 55, "tax": 5},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec(
            "tax",
            resolvers={"Product": {"tax": tax}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
        SubgraphSpec(
            "checkout",
            resolvers={"Product": {"total": total}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="total_only",
            query="{ products { id total } }",
            data={"products": [{"id": "p1", "total": 110}, {"id": "p2", "total": 60}]},
            requests={"products": 1, "tax": 1, "checkout": 1},
            check=chained,
        ),
        Operation(
            name="everything",
            query="{ products { total tax price } }",
            data={
                "products": [
                    {"total": 110, "tax": 10, "price": 100},
                    {"total": 60, "tax": 5, "price": 55},
                ]
            },
            requests={"products": 1, "tax": 1, "checkout": 1},
            check=chained,
        ),
    ],
)
