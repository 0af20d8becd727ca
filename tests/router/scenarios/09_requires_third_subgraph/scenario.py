"""The root is in products, `shippingCost` in shipping requires `price` (products) and
`weight` (inventory, a third subgraph): inventory must answer before shipping is asked."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 250},
    {"id": "p2", "name": "Chair", "price": 40},
]
WEIGHTS = {"p1": 20, "p2": 5}


def shipping_cost(product: dict[str, Any], _info: Any) -> int:
    # free shipping above 100, else 2 per weight unit
    return 0 if product["price"] > 100 else 2 * int(product["weight"])


def requirements_from_two_subgraphs(recorder: Recorder) -> None:
    (inventory,) = recorder.of("inventory")
    (shipping,) = recorder.of("shipping")
    assert inventory.finished < shipping.started
    assert shipping.representations == [
        {"__typename": "Product", "id": "p1", "weight": 20, "price": 250},
        {"__typename": "Product", "id": "p2", "weight": 5, "price": 40},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec(
            "inventory", entities={"Product": lambda rep, _i: {"weight": WEIGHTS[rep["id"]]}}
        ),
        SubgraphSpec(
            "shipping",
            resolvers={"Product": {"shippingCost": shipping_cost}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="cost",
            query="{ products { name shippingCost } }",
            data={
                "products": [
                    {"name": "Table", "shippingCost": 0},
                    {"name": "Chair", "shippingCost": 10},
                ]
            },
            requests={"products": 1, "inventory": 1, "shipping": 1},
            check=requirements_from_two_subgraphs,
        ),
        Operation(
            name="cost_and_weight",
            query="{ products { weight shippingCost } }",
            data={
                "products": [
                    {"weight": 20, "shippingCost": 0},
                    {"weight": 5, "shippingCost": 10},
                ]
            },
            requests={"products": 1, "inventory": 1, "shipping": 1},
            check=requirements_from_two_subgraphs,
        ),
    ],
)
