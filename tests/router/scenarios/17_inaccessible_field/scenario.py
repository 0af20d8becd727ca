"""`@inaccessible` field and type: hidden from clients (validation) and from introspection,
yet the router still fetches the hidden field for another subgraph's `@requires`."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Err, Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "internalCode": "T-77"},
    {"id": "p2", "name": "Chair", "internalCode": "C-12"},
]


def restock_code(product: dict[str, Any], _info: Any) -> str:
    return "R/" + str(product["internalCode"])


def hidden_field_in_representation(recorder: Recorder) -> None:
    (fetch,) = recorder.of("inventory")
    assert [rep.get("internalCode") for rep in fetch.representations] == ["T-77", "C-12"]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products",
            resolvers={
                "Query": {"products": lambda _p, _i: PRODUCTS, "secret": lambda _p, _i: None}
            },
        ),
        SubgraphSpec(
            "inventory",
            resolvers={"Product": {"restockCode": restock_code}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="hidden_field_rejected",
            query="{ products { name internalCode } }",
            status=400,
            errors=[Err(code="GRAPHQL_VALIDATION_FAILED")],
            requests={},
            plan=False,
        ),
        Operation(
            name="hidden_root_field_rejected",
            query="{ secret { value } }",
            status=400,
            errors=[Err(code="GRAPHQL_VALIDATION_FAILED")],
            requests={},
            plan=False,
        ),
        Operation(
            name="requires_hidden_field",
            query="{ products { name restockCode } }",
            data={
                "products": [
                    {"name": "Table", "restockCode": "R/T-77"},
                    {"name": "Chair", "restockCode": "R/C-12"},
                ]
            },
            requests={"products": 1, "inventory": 1},
            check=hidden_field_in_representation,
        ),
        Operation(
            name="introspection_hides_field_and_type",
            query="""{
              product: __type(name: "Product") { fields { name } }
              secret: __type(name: "Secret") { name }
              query: __type(name: "Query") { fields { name } }
            }""",
            data={
                # field order is the supergraph's (see supergraph.graphql)
                "product": {"fields": [{"name": "id"}, {"name": "restockCode"}, {"name": "name"}]},
                "secret": None,
                "query": {"fields": [{"name": "products"}]},
            },
            requests={},
        ),
    ],
)
