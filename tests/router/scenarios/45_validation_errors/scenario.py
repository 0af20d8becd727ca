"""Operations that parse but do not validate against the API schema:
`GRAPHQL_VALIDATION_FAILED`, HTTP 400, no `data` entry, no subgraph request. Messages are
not compared (Apollo Router's validator words them differently from graphql-js).
Operation selection failures (several operations and no name, an unknown name) are also
request errors answered with 400; their code is not compared."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import ANY, Err, Operation, Scenario


def invalid(name: str, query: str) -> Operation:
    return Operation(
        name=name,
        query=query,
        status=400,
        errors=[Err(code="GRAPHQL_VALIDATION_FAILED")],
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
        invalid("unknown_field", "{ topProducts { name colour } }"),
        invalid("wrong_argument_type", '{ topProducts(first: "two") { name } }'),
        invalid("unknown_argument", "{ topProducts(last: 2) { name } }"),
        invalid("undefined_variable", "{ topProducts(first: $n) { name } }"),
        invalid("unused_variable", "query($n: Int) { topProducts { name } }"),
        invalid("missing_subselection", "{ topProducts }"),
        invalid("subselection_on_scalar", "{ topProducts { name { length } } }"),
        invalid("unknown_type_condition", "{ topProducts { ... on Nope { name } } }"),
        invalid("unknown_fragment", "{ topProducts { ...Missing } }"),
        invalid("unknown_directive", "{ topProducts @cached { name } }"),
        invalid("conflicting_response_keys", "{ topProducts { name: id name } }"),
        invalid("federation_internals_hidden", "{ _entities(representations: []) { __typename } }"),
        invalid("service_field_hidden", "{ _service { sdl } }"),
        Operation(
            name="several_operations_without_name",
            query="query A { topProducts { id } } query B { topProducts { name } }",
            status=400,
            errors=[Err(code=ANY)],
            requests={},
            plan=False,
        ),
        Operation(
            name="unknown_operation_name",
            query="query A { topProducts { id } }",
            operation_name="B",
            status=400,
            errors=[Err(code=ANY)],
            requests={},
            plan=False,
        ),
    ],
)
