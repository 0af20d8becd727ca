"""Variables that cannot be coerced to their declared types: a request error before any
subgraph is called — no data entry, HTTP 400, code `VALIDATION_INVALID_TYPE_VARIABLE`, as
Apollo Router answers (apollo-router src/error.rs: `FetchError::ValidationInvalidTypeVariable`
→ "VALIDATION_INVALID_TYPE_VARIABLE", message "invalid type for variable: '<name>'")."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Err, Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table"}]


def bad(name: str, query: str, variables: dict[str, object]) -> Operation:
    return Operation(
        name=name,
        query=query,
        variables=variables,
        status=400,
        errors=[Err(code="VALIDATION_INVALID_TYPE_VARIABLE")],
        requests={},
        plan=False,
    )


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={
                "Query": {
                    "product": lambda _p, _i, id: PRODUCTS[0] if id == "p1" else None,
                    "products": lambda _p, _i, **_a: PRODUCTS,
                }
            },
        ),
    ],
    operations=[
        bad("missing_required", "query($id: ID!) { product(id: $id) { name } }", {}),
        bad("null_for_non_null", "query($id: ID!) { product(id: $id) { name } }", {"id": None}),
        bad("wrong_scalar", "query($n: Int) { products(limit: $n) { name } }", {"n": "ten"}),
        bad("unknown_enum_value", "query($s: Sort) { products(sort: $s) { name } }", {"s": "UP"}),
        bad(
            "unknown_input_field",
            "query($f: ProductFilter) { products(filter: $f) { name } }",
            {"f": {"maxPrice": 3}},
        ),
        Operation(
            name="valid_for_contrast",
            query="query($id: ID!) { product(id: $id) { name } }",
            variables={"id": "p1"},
            data={"product": {"name": "Table"}},
            requests={"products": 1},
        ),
    ],
)
