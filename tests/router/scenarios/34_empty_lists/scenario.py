"""Empty lists: an entity fetch with nothing to fetch is not sent at all (Apollo Router skips
a fetch whose representations are empty), at the first hop and deeper in the chain."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]


def top(_parent: Any, _info: Any, first: int) -> list[dict[str, Any]]:
    return PRODUCTS[:first]


def by_ids(_parent: Any, _info: Any, ids: list[str]) -> list[dict[str, Any]]:
    return [p for p in PRODUCTS if p["id"] in ids]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products", resolvers={"Query": {"topProducts": top, "productsByIds": by_ids}}
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": lambda _p, _i: []}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
        SubgraphSpec("users", entities={"User": lambda rep, _i: {"name": "nobody"}}),
    ],
    operations=[
        Operation(
            name="empty_root_list",
            query="{ topProducts(first: 0) { name reviews { body } } }",
            data={"topProducts": []},
            requests={"products": 1},
            planned_requests=2,
        ),
        Operation(
            name="empty_nested_lists",
            query="{ topProducts { name reviews { body author { name } } } }",
            data={
                "topProducts": [{"name": "Table", "reviews": []}, {"name": "Chair", "reviews": []}]
            },
            requests={"products": 1, "reviews": 1},
            planned_requests=3,
        ),
        Operation(
            name="empty_list_argument",
            query="{ productsByIds(ids: []) { name reviews { body } } }",
            data={"productsByIds": []},
            requests={"products": 1},
            planned_requests=2,
        ),
    ],
)
