"""`__typename` at the root (answered by the router, no subgraph request), on entities
completed by another subgraph, on value types, under aliases and on the mutation root."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

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
        SubgraphSpec(
            "reviews",
            resolvers={
                "Product": {"reviews": lambda _p, _i: [{"id": "r1", "body": "Ok", "stars": 3}]}
            },
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="root_typename_only",
            query="{ __typename }",
            data={"__typename": "Query"},
            requests={},
        ),
        Operation(
            name="aliased_root_typenames",
            query="{ a: __typename b: __typename }",
            data={"a": "Query", "b": "Query"},
            requests={},
        ),
        Operation(
            name="typename_at_every_level",
            query="""{
              __typename
              topProducts { __typename t: __typename name reviews { __typename body } }
            }""",
            data={
                "__typename": "Query",
                "topProducts": [
                    {
                        "__typename": "Product",
                        "t": "Product",
                        "name": "Table",
                        "reviews": [{"__typename": "Review", "body": "Ok"}],
                    }
                ],
            },
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="typename_only_on_entity",
            query="{ topProducts { __typename } }",
            data={"topProducts": [{"__typename": "Product"}]},
            requests={"products": 1},
        ),
        Operation(
            name="mutation_typename",
            query='mutation { __typename touch(id: "p1") { __typename id } }',
            data={"__typename": "Mutation", "touch": {"__typename": "Product", "id": "p1"}},
            requests={"products": 1},
        ),
    ],
)
