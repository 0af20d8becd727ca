"""A list of 100 products whose stock lives in inventory: exactly one `_entities` call
carrying 100 representations, in list order (no N+1 fetching)."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [{"id": f"p{i:03}", "name": f"Product {i}"} for i in range(100)]
STOCK = {f"p{i:03}": (i * 7) % 10 for i in range(100)}


def stock_entity(rep: dict[str, Any], _info: Any) -> dict[str, Any]:
    count = STOCK[rep["id"]]
    return {"id": rep["id"], "stock": count, "inStock": count > 0}


def one_call_with_100_representations(recorder: Recorder) -> None:
    (fetch,) = recorder.of("inventory")
    assert fetch.is_entities
    assert [rep["id"] for rep in fetch.representations] == [p["id"] for p in PRODUCTS]
    assert all(set(rep) == {"__typename", "id"} for rep in fetch.representations)


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"catalog": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec("inventory", entities={"Product": stock_entity}),
    ],
    operations=[
        Operation(
            name="stock_of_100",
            query="{ catalog { id stock } }",
            # stock of product i is (7 * i) mod 10
            data={"catalog": [{"id": f"p{i:03}", "stock": (7 * i) % 10} for i in range(100)]},
            requests={"products": 1, "inventory": 1},
            check=one_call_with_100_representations,
        ),
        Operation(
            name="two_inventory_fields_one_call",
            query="{ catalog { name inStock stock } }",
            data={
                "catalog": [
                    {"name": f"Product {i}", "inStock": i % 10 != 0, "stock": (7 * i) % 10}
                    for i in range(100)
                ]
            },
            requests={"products": 1, "inventory": 1},
            check=one_call_with_100_representations,
        ),
    ],
)
