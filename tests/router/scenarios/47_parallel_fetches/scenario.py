"""Independent fetches run in parallel: two root fields in different subgraphs, and two
entity fetches that both depend only on the root. Every subgraph answers after 0.2 s, so
sequential execution would show up as non-overlapping requests."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Check, Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table"}]


def overlapping(first: str, second: str) -> Check:
    def check(recorder: Recorder) -> None:
        (a,) = recorder.of(first)
        (b,) = recorder.of(second)
        assert a.started < b.finished, f"{first} started after {second} finished"
        assert b.started < a.finished, f"{second} started after {first} finished"

    return check


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products", resolvers={"Query": {"topProducts": lambda _p, _i: PRODUCTS}}, delay=0.2
        ),
        SubgraphSpec(
            "users", resolvers={"Query": {"me": lambda _p, _i: {"name": "Ada"}}}, delay=0.2
        ),
        SubgraphSpec(
            "reviews", entities={"Product": lambda rep, _i: {"reviewCount": 3}}, delay=0.2
        ),
        SubgraphSpec("inventory", entities={"Product": lambda rep, _i: {"stock": 7}}, delay=0.2),
    ],
    operations=[
        Operation(
            name="parallel_roots",
            query="{ topProducts { name } me { name } }",
            data={"topProducts": [{"name": "Table"}], "me": {"name": "Ada"}},
            requests={"products": 1, "users": 1},
            check=overlapping("products", "users"),
        ),
        Operation(
            name="parallel_entity_fetches",
            query="{ topProducts { reviewCount stock } }",
            data={"topProducts": [{"reviewCount": 3, "stock": 7}]},
            requests={"products": 1, "reviews": 1, "inventory": 1},
            check=overlapping("reviews", "inventory"),
        ),
    ],
)
