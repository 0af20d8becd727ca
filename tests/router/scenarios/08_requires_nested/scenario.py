"""`@requires` with a nested selection (`dimensions { width depth }`): the representation
carries exactly the nested object the requirement names."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "dimensions": {"width": 160, "height": 75, "depth": 90}},
    {"id": "p2", "name": "Stool", "dimensions": {"width": 30, "height": 45, "depth": 30}},
]


def footprint(product: dict[str, Any], _info: Any) -> int:
    dims = product["dimensions"]
    return int(dims["width"]) * int(dims["depth"])


def nested_requirement(recorder: Recorder) -> None:
    (fetch,) = recorder.of("shipping")
    assert fetch.representations == [
        {"__typename": "Product", "id": "p1", "dimensions": {"width": 160, "depth": 90}},
        {"__typename": "Product", "id": "p2", "dimensions": {"width": 30, "depth": 30}},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec(
            "shipping",
            resolvers={"Product": {"footprint": footprint}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="footprint",
            query="{ products { name footprint } }",
            data={
                "products": [
                    {"name": "Table", "footprint": 14400},
                    {"name": "Stool", "footprint": 900},
                ]
            },
            requests={"products": 1, "shipping": 1},
            check=nested_requirement,
        ),
        Operation(
            name="footprint_and_height",
            query="{ products { footprint dimensions { height } } }",
            data={
                "products": [
                    {"footprint": 14400, "dimensions": {"height": 75}},
                    {"footprint": 900, "dimensions": {"height": 45}},
                ]
            },
            requests={"products": 1, "shipping": 1},
            check=nested_requirement,
        ),
    ],
)
