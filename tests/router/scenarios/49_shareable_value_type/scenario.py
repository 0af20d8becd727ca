"""A value type (`Money`, no key) shared by two subgraphs: each resolves it wherever it
returns one, with no entity jump inside it."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "listPrice": {"amount": 100, "currency": "EUR"}},
    {"id": "p2", "listPrice": {"amount": 40, "currency": "EUR"}},
]
SALES = {"p1": {"amount": 80, "currency": "EUR"}, "p2": None}

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec(
            "pricing",
            resolvers={
                "Query": {"shippingFlatRate": lambda _p, _i: {"amount": 5, "currency": "EUR"}}
            },
            entities={"Product": lambda rep, _i: {"salePrice": SALES[rep["id"]]}},
        ),
    ],
    operations=[
        Operation(
            name="value_types_from_two_subgraphs",
            query="""{
              products { listPrice { amount currency } salePrice { amount } }
              shippingFlatRate { currency amount }
            }""",
            data={
                "products": [
                    {"listPrice": {"amount": 100, "currency": "EUR"}, "salePrice": {"amount": 80}},
                    {"listPrice": {"amount": 40, "currency": "EUR"}, "salePrice": None},
                ],
                "shippingFlatRate": {"currency": "EUR", "amount": 5},
            },
            requests={"products": 1, "pricing": 2},
        ),
        Operation(
            name="value_type_only",
            query="{ products { listPrice { currency } } }",
            data={
                "products": [{"listPrice": {"currency": "EUR"}}, {"listPrice": {"currency": "EUR"}}]
            },
            requests={"products": 1},
        ),
    ],
)
