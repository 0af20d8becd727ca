"""A custom progressive-override label: while `new-pricing` is off, price comes from products;
when the router enables it (`EngineConfig.override_labels`), from pricing. All operations
use one query text: the plan depends on the enabled labels, not on the text alone."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 100},
    {"id": "p2", "name": "Chair", "price": 30},
]
NEW_PRICES = {"p1": 95, "p2": 29}
QUERY = "{ products { name price } }"

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec(
            "pricing", entities={"Product": lambda rep, _i: {"price": NEW_PRICES[rep["id"]]}}
        ),
    ],
    operations=[
        Operation(
            name="label_off",
            query=QUERY,
            data={"products": [{"name": "Table", "price": 100}, {"name": "Chair", "price": 30}]},
            requests={"products": 1},
        ),
        Operation(
            name="label_on",
            query=QUERY,
            data={"products": [{"name": "Table", "price": 95}, {"name": "Chair", "price": 29}]},
            requests={"products": 1, "pricing": 1},
            config={"override_labels": frozenset({"new-pricing"})},
        ),
        Operation(
            name="other_label_on",
            query=QUERY,
            data={"products": [{"name": "Table", "price": 100}, {"name": "Chair", "price": 30}]},
            requests={"products": 1},
            config={"override_labels": frozenset({"something-else"})},
        ),
    ],
)
