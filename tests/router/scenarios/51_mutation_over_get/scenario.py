"""Over HTTP GET only queries run (GraphQL over HTTP: a mutation via GET gets 405; Apollo
Router docs, "Errors": 405 — mutations and subscriptions must use POST). The mutation must
not reach the subgraph."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import ANY, Err, Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table"}]


def touch(_parent: Any, _info: Any, id: str) -> dict[str, Any] | None:
    return next((p for p in PRODUCTS if p["id"] == id), None)


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={
                "Query": {"topProducts": lambda _p, _i: PRODUCTS},
                "Mutation": {"touch": touch},
            },
        ),
    ],
    operations=[
        Operation(
            name="query_over_get",
            query="{ topProducts { name } }",
            method="GET",
            data={"topProducts": [{"name": "Table"}]},
            requests={"products": 1},
        ),
        Operation(
            name="mutation_over_get_refused",
            query='mutation { touch(id: "p1") { id } }',
            method="GET",
            status=405,
            errors=[Err(code=ANY)],
            requests={},
            planned_requests=1,
        ),
        Operation(
            name="mutation_over_post",
            query='mutation { touch(id: "p1") { id } }',
            data={"touch": {"id": "p1"}},
            requests={"products": 1},
        ),
    ],
)
