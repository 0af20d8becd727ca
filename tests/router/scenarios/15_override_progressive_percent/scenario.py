"""Progressive override with deterministic labels: `percent(0)` never migrates (price stays
with products), `percent(100)` always does (stock comes from pricing). Each subgraph returns
its own values, so the data shows which one answered.

Apollo Router docs, "Progressive @override": a `percent(x)` label is enabled for x% of
requests; 0 and 100 are therefore never/always."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 100, "stock": 1},
    {"id": "p2", "name": "Chair", "price": 30, "stock": 2},
]
PRICING = {"p1": {"price": 95, "stock": 10}, "p2": {"price": 29, "stock": 20}}

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec("pricing", entities={"Product": lambda rep, _i: PRICING[rep["id"]]}),
    ],
    operations=[
        Operation(
            name="percent_0_stays",
            query="{ products { name price } }",
            data={"products": [{"name": "Table", "price": 100}, {"name": "Chair", "price": 30}]},
            requests={"products": 1},
        ),
        Operation(
            name="percent_100_moves",
            query="{ products { name stock } }",
            data={"products": [{"name": "Table", "stock": 10}, {"name": "Chair", "stock": 20}]},
            requests={"products": 1, "pricing": 1},
        ),
        Operation(
            name="both_labels",
            query="{ products { price stock } }",
            data={"products": [{"price": 100, "stock": 10}, {"price": 30, "stock": 20}]},
            requests={"products": 1, "pricing": 1},
        ),
    ],
)
