"""A subgraph error on a non-null entity field: the null bubbles to the nearest nullable
ancestor (the list item, or the whole list when items are non-null), and the subgraph's error
reaches the client with its path rewritten from `_entities` to the client's path."""

from typing import Any

from graphql import GraphQLError

from tests.support.subgraph_server import SubgraphSpec

from ..model import Err, Operation, Scenario

P = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}, {"id": "p3", "name": "Lamp"}]
RATINGS = {"p1": 4.5, "p3": 3.0}


def rating(product: dict[str, Any], _info: Any) -> float:
    if product["id"] not in RATINGS:
        raise GraphQLError("rating unavailable", extensions={"code": "RATING_DOWN"})
    return RATINGS[product["id"]]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={
                "Query": {"topProducts": lambda _p, _i: P, "featured": lambda _p, _i: P[:2]}
            },
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"rating": rating}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="item_nulled",
            query="{ topProducts { name rating } }",
            data={
                "topProducts": [
                    {"name": "Table", "rating": 4.5},
                    None,
                    {"name": "Lamp", "rating": 3.0},
                ]
            },
            errors=[
                Err(
                    code="RATING_DOWN",
                    message="rating unavailable",
                    path=["topProducts", 1, "rating"],
                )
            ],
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="list_nulled",
            query="{ featured { name rating } topProducts { name } }",
            data={
                "featured": None,
                "topProducts": [{"name": "Table"}, {"name": "Chair"}, {"name": "Lamp"}],
            },
            errors=[
                Err(
                    code="RATING_DOWN", message="rating unavailable", path=["featured", 1, "rating"]
                )
            ],
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="no_rating_no_error",
            query="{ topProducts { name } }",
            data={"topProducts": [{"name": "Table"}, {"name": "Chair"}, {"name": "Lamp"}]},
            requests={"products": 1},
        ),
    ],
)
