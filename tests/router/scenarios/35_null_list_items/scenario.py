"""Null items in a list of entities: they stay null, and are not sent as representations."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

P1 = {"id": "p1", "name": "Table"}
P2 = {"id": "p2", "name": "Chair"}
COUNTS = {"p1": 2, "p2": 0}


def only_real_items(recorder: Recorder) -> None:
    (fetch,) = recorder.of("reviews")
    assert fetch.representations == [
        {"__typename": "Product", "id": "p1"},
        {"__typename": "Product", "id": "p2"},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={
                "Query": {
                    "maybeProducts": lambda _p, _i: [P1, None, P2, None],
                    "tags": lambda _p, _i: ["a", None, "b"],
                }
            },
        ),
        SubgraphSpec(
            "reviews", entities={"Product": lambda rep, _i: {"reviewCount": COUNTS[rep["id"]]}}
        ),
    ],
    operations=[
        Operation(
            name="nulls_kept",
            query="{ maybeProducts { name reviewCount } tags }",
            data={
                "maybeProducts": [
                    {"name": "Table", "reviewCount": 2},
                    None,
                    {"name": "Chair", "reviewCount": 0},
                    None,
                ],
                "tags": ["a", None, "b"],
            },
            requests={"products": 1, "reviews": 1},
            check=only_real_items,
        ),
        Operation(
            name="only_entity_field",
            query="{ maybeProducts { reviewCount } }",
            data={"maybeProducts": [{"reviewCount": 2}, None, {"reviewCount": 0}, None]},
            requests={"products": 1, "reviews": 1},
            check=only_real_items,
        ),
    ],
)
