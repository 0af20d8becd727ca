"""Syntax errors: `GRAPHQL_PARSE_FAILED`, HTTP 400, no `data` entry, no subgraph request
(Apollo Router docs, "Errors": GRAPHQL_PARSE_FAILED — the operation could not be parsed)."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Err, Operation, Scenario


def parse_error(name: str, query: str) -> Operation:
    return Operation(
        name=name,
        query=query,
        status=400,
        errors=[Err(code="GRAPHQL_PARSE_FAILED")],
        requests={},
        plan=False,
    )


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"topProducts": lambda _p, _i, first: []}}),
        SubgraphSpec("reviews", entities={"Product": lambda rep, _i: {"id": rep["id"]}}),
    ],
    operations=[
        parse_error("unterminated_selection", "{ topProducts { name "),
        parse_error("missing_argument_value", "query { topProducts(first: ) { name } }"),
        parse_error("stray_token", "{ topProducts { name } } }"),
        parse_error("unterminated_string", '{ topProducts(first: "1) { name } }'),
        parse_error("bad_keyword", "querry { topProducts { name } }"),
    ],
)
