"""`@context` / `@fromContext` (link `context/v0.1`): `Product.price(currency:)` takes the
currency from the nearest `Store` above the product. The client never passes it: the router
fetches `currency` with the store, then `price` through `_entities` on shop with the value as a
variable — one request per distinct currency, since products of different stores need different
values (the same product priced in two currencies)."""

from typing import Any

from tests.support.subgraph_server import Info, Recorder, SubgraphSpec

from ..model import Operation, Scenario

STORES = [
    {"id": "s1", "currency": "USD", "products": ["p1", "p2"]},
    {"id": "s2", "currency": "EUR", "products": ["p1"]},
]
NAMES = {"p1": "Table", "p2": "Chair"}
CENTS = {"p1": 10000, "p2": 2500}
RATE = {"USD": 1.0, "EUR": 0.5}


def price(product: dict[str, Any], _info: Info, currency: str | None = None) -> str:
    assert currency is not None, "the router did not pass the context value"
    return f"{CENTS[product['id']] * RATE[currency] / 100:.2f} {currency}"


def one_request_per_currency(recorder: Recorder) -> None:
    contextual = [r for r in recorder.of("shop") if r.is_entities]
    sent = sorted(
        (r.variables["__context_0"], [rep["id"] for rep in r.representations]) for r in contextual
    )
    assert sent == [("EUR", ["p1"]), ("USD", ["p1", "p2"])], sent


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "shop",
            resolvers={
                "Query": {
                    "stores": lambda _p, _i: [
                        {**s, "products": [{"id": p, "name": NAMES[p]} for p in s["products"]]}
                        for s in STORES
                    ]
                },
                "Product": {"price": price},
            },
            entities={"Product": lambda rep, _i: {"id": rep["id"], "name": NAMES[rep["id"]]}},
        ),
        SubgraphSpec("catalog", entities={"Product": lambda rep, _i: {"stock": 3}}),
    ],
    operations=[
        Operation(
            name="price_in_the_store_currency",
            query="{ stores { id products { name price } } }",
            data={
                "stores": [
                    {
                        "id": "s1",
                        "products": [
                            {"name": "Table", "price": "100.00 USD"},
                            {"name": "Chair", "price": "25.00 USD"},
                        ],
                    },
                    {"id": "s2", "products": [{"name": "Table", "price": "50.00 EUR"}]},
                ]
            },
            requests={"shop": 3},
            check=one_request_per_currency,
        ),
        Operation(
            name="context_and_another_subgraph",
            query="{ stores { currency products { stock price } } }",
            data={
                "stores": [
                    {
                        "currency": "USD",
                        "products": [
                            {"stock": 3, "price": "100.00 USD"},
                            {"stock": 3, "price": "25.00 USD"},
                        ],
                    },
                    {"currency": "EUR", "products": [{"stock": 3, "price": "50.00 EUR"}]},
                ]
            },
            requests={"shop": 3, "catalog": 1},
            check=one_request_per_currency,
        ),
    ],
)
