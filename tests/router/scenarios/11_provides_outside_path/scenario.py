"""`@provides` holds only below the field that declares it: the same external `name` reached
through `alsoBought` or `productOfTheDay` must come from products. reviews' objects outside
the provides path carry a stale `name` that must never reach the client."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table"},
    {"id": "p2", "name": "Chair"},
    {"id": "p3", "name": "Lamp"},
]
REVIEWS = [
    {
        "id": "r1",
        "product": {"id": "p1", "name": "Table"},
        # reviews cannot resolve `name` here; a leaked value would show "STALE"
        "alsoBought": [{"id": "p2", "name": "STALE"}, {"id": "p3", "name": "STALE"}],
    },
]


def only_also_bought_sent(recorder: Recorder) -> None:
    (fetch,) = recorder.of("products")
    assert sorted(rep["id"] for rep in fetch.representations) == ["p2", "p3"]


def product_of_the_day(_parent: Any, _info: Any) -> dict[str, Any]:
    return {"id": "p3", "name": "STALE"}


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "reviews",
            resolvers={
                "Query": {"reviews": lambda _p, _i: REVIEWS, "productOfTheDay": product_of_the_day}
            },
        ),
        SubgraphSpec("products", entities={"Product": entity_by_key(PRODUCTS, "id")}),
    ],
    operations=[
        Operation(
            name="inside_and_outside",
            query="{ reviews { product { name } alsoBought { id name } } }",
            data={
                "reviews": [
                    {
                        "product": {"name": "Table"},
                        "alsoBought": [{"id": "p2", "name": "Chair"}, {"id": "p3", "name": "Lamp"}],
                    }
                ]
            },
            requests={"reviews": 1, "products": 1},
            check=only_also_bought_sent,
        ),
        Operation(
            name="root_outside_path",
            query="{ productOfTheDay { id name } }",
            data={"productOfTheDay": {"id": "p3", "name": "Lamp"}},
            requests={"reviews": 1, "products": 1},
        ),
    ],
)
