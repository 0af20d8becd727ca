"""Operation limits (Apollo Router `limits.max_depth`, `max_aliases`, `max_root_fields`;
docs "Request Limits"): an operation over a limit is rejected before planning with
`MAX_DEPTH_LIMIT` / `MAX_ALIASES_LIMIT` / `MAX_ROOT_FIELDS_LIMIT`, no data and no subgraph
request. The examples stay clear of the limits' edges, whose counting rules differ between
routers."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import ANY, Err, Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table", "price": 1}]


def rejected(name: str, query: str, code: str) -> Operation:
    return Operation(
        name=name, query=query, status=ANY, errors=[Err(code=code)], requests={}, plan=False
    )


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products", resolvers={"Query": {"topProducts": lambda _p, _i, first: PRODUCTS}}
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": lambda _p, _i: []}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
        SubgraphSpec("users", entities={"User": lambda rep, _i: {"username": "x"}}),
    ],
    config={"max_depth": 3, "max_aliases": 2, "max_root_fields": 2},
    operations=[
        Operation(
            name="within_limits",
            query="{ topProducts { name } }",
            data={"topProducts": [{"name": "Table"}]},
            requests={"products": 1},
        ),
        rejected(
            "too_deep",
            "{ topProducts { reviews { author { username } } } }",
            "MAX_DEPTH_LIMIT",
        ),
        rejected(
            "too_deep_through_fragment",
            "{ topProducts { ...R } } fragment R on Product { reviews { author { id username } } }",
            "MAX_DEPTH_LIMIT",
        ),
        rejected(
            "too_many_aliases",
            "{ topProducts { a: name b: name c: price d: id } }",
            "MAX_ALIASES_LIMIT",
        ),
        rejected(
            "too_many_root_fields",
            "{ topProducts { name } a: topProducts { id } b: topProducts { price } }",
            "MAX_ROOT_FIELDS_LIMIT",
        ),
    ],
)
