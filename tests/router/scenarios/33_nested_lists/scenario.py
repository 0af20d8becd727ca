"""Entities inside nested lists (`[[T]]`, `[[[T]]]`) with empty inner lists and null items:
one `_entities` call collects the objects at every depth (Flatten path `grid.@.@`) and the
results land back at the right positions."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Check, Operation, Scenario

P = {
    pid: {"id": pid, "name": name}
    for pid, name in [("p1", "Table"), ("p2", "Chair"), ("p3", "Lamp")]
}
STOCK = {"p1": 1, "p2": 2, "p3": 3}


def ids_sent(*expected: str) -> Check:
    def check(recorder: Recorder) -> None:
        (fetch,) = recorder.of("inventory")
        assert [rep["id"] for rep in fetch.representations] == list(expected)

    return check


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={
                "Query": {
                    "grid": lambda _p, _i: [[P["p1"], P["p2"]], [P["p3"]], []],
                    "sparse": lambda _p, _i: [[P["p1"], None], None, [], [P["p2"]]],
                    "cube": lambda _p, _i: [[[P["p1"]]], [[P["p2"], P["p3"]], []]],
                }
            },
        ),
        SubgraphSpec(
            "inventory", entities={"Product": lambda rep, _i: {"stock": STOCK[rep["id"]]}}
        ),
    ],
    operations=[
        Operation(
            name="grid",
            query="{ grid { id stock } }",
            data={
                "grid": [
                    [{"id": "p1", "stock": 1}, {"id": "p2", "stock": 2}],
                    [{"id": "p3", "stock": 3}],
                    [],
                ]
            },
            requests={"products": 1, "inventory": 1},
            check=ids_sent("p1", "p2", "p3"),
        ),
        Operation(
            name="sparse_with_nulls",
            query="{ sparse { name stock } }",
            data={
                "sparse": [
                    [{"name": "Table", "stock": 1}, None],
                    None,
                    [],
                    [{"name": "Chair", "stock": 2}],
                ]
            },
            requests={"products": 1, "inventory": 1},
            check=ids_sent("p1", "p2"),
        ),
        Operation(
            name="three_levels",
            query="{ cube { stock } }",
            data={"cube": [[[{"stock": 1}]], [[{"stock": 2}, {"stock": 3}], []]]},
            requests={"products": 1, "inventory": 1},
            check=ids_sent("p1", "p2", "p3"),
        ),
    ],
)
