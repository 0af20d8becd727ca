"""`shippingCost @requires(fields: "weight")`: weight is fetched from products first and sent
in the representation, even when the client does not ask for it."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Direct, Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "weight": 20},
    {"id": "p2", "name": "Chair", "weight": 5},
]


def shipping_cost(product: dict[str, Any], _info: Any) -> int:
    return int(product["weight"]) * 3


def weight_in_representations(recorder: Recorder) -> None:
    (fetch,) = recorder.of("shipping")
    assert fetch.representations == [
        {"__typename": "Product", "id": "p1", "weight": 20},
        {"__typename": "Product", "id": "p2", "weight": 5},
    ]
    (root,) = recorder.of("products")
    assert root.finished < fetch.started


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec(
            "shipping",
            resolvers={"Product": {"shippingCost": shipping_cost}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="cost_without_weight",
            query="{ products { name shippingCost } }",
            data={
                "products": [
                    {"name": "Table", "shippingCost": 60},
                    {"name": "Chair", "shippingCost": 15},
                ]
            },
            requests={"products": 1, "shipping": 1},
            check=weight_in_representations,
        ),
        Operation(
            name="cost_and_weight",
            query="{ products { shippingCost weight } }",
            data={
                "products": [
                    {"shippingCost": 60, "weight": 20},
                    {"shippingCost": 15, "weight": 5},
                ]
            },
            requests={"products": 1, "shipping": 1},
            check=weight_in_representations,
        ),
    ],
    direct=[
        Direct(
            "shipping",
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { shippingCost } } }",  # noqa: E501
            variables={"r": [{"__typename": "Product", "id": "x", "weight": 2}]},
            data={"_entities": [{"shippingCost": 6}]},
        )
    ],
)
