"""The two subgraphs of the failure scenarios (39-41); reviews is the one that fails."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]


def products() -> SubgraphSpec:
    return SubgraphSpec("products", resolvers={"Query": {"topProducts": lambda _p, _i: PRODUCTS}})


def reviews(**failure: Any) -> SubgraphSpec:
    return SubgraphSpec(
        "reviews",
        resolvers={
            "Query": {"recommended": lambda _p, _i: PRODUCTS[:1]},
            "Product": {"reviews": lambda _p, _i: [{"body": "Fine"}]},
        },
        entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        **failure,
    )
