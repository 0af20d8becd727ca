"""`@inaccessible` argument and input field: clients cannot pass them, introspection does not
list them, and the subgraph sees its defaults (hidden products stay hidden)."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import Err, Operation, Scenario

PRODUCTS: list[dict[str, Any]] = [
    {"id": "p1", "name": "Table", "hidden": False},
    {"id": "p2", "name": "Prototype", "hidden": True},
    {"id": "p3", "name": "Chair", "hidden": False},
]


def products(
    _parent: Any,
    _info: Any,
    first: int,
    includeHidden: bool,
    filter: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    rows = [p for p in PRODUCTS if includeHidden or not p["hidden"]]
    if filter and filter.get("nameContains"):
        rows = [p for p in rows if filter["nameContains"] in p["name"]]
    return rows[:first]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": products}}),
        SubgraphSpec("stock", entities={"Product": lambda rep, _i: {"stock": 5}}),
    ],
    operations=[
        Operation(
            name="defaults_apply",
            query='{ products(filter: {nameContains: "a"}) { name stock } }',
            data={"products": [{"name": "Table", "stock": 5}, {"name": "Chair", "stock": 5}]},
            requests={"products": 1, "stock": 1},
        ),
        Operation(
            name="hidden_argument_rejected",
            query="{ products(includeHidden: true) { name } }",
            status=400,
            errors=[Err(code="GRAPHQL_VALIDATION_FAILED")],
            requests={},
            plan=False,
        ),
        Operation(
            name="hidden_input_field_rejected",
            query='{ products(filter: {internalTag: "x"}) { name } }',
            status=400,
            errors=[Err(code="GRAPHQL_VALIDATION_FAILED")],
            requests={},
            plan=False,
        ),
        Operation(
            name="introspection_hides_argument",
            query="""{
              query: __type(name: "Query") { fields { name args { name } } }
              filter: __type(name: "ProductFilter") { inputFields { name } }
            }""",
            data={
                "query": {
                    "fields": [
                        {"name": "products", "args": [{"name": "first"}, {"name": "filter"}]}
                    ]
                },
                "filter": {"inputFields": [{"name": "nameContains"}]},
            },
            requests={},
        ),
    ],
)
