"""Field arguments inside `@requires` field sets are sent to the subgraph that resolves the
required fields: `price(currency: "USD")` and `category { averagePrice(currency: "USD") }`.
A client selecting the same field with other arguments keeps its own (the requirement travels
under an internal alias and is sent under the field's name)."""

from typing import Any

from tests.support.subgraph_server import Info, Recorder, SubgraphSpec

from ..model import Operation, Scenario

RATES = {"USD": 1, "EUR": 2}
PRODUCTS = [
    {"upc": "p1", "name": "Table", "usd": 100, "weight": 2, "category": "furniture"},
    {"upc": "p2", "name": "Pen", "usd": 3, "weight": 1, "category": "office"},
]
AVERAGE_USD = {"furniture": 150, "office": 5}


def price(product: dict[str, Any], _info: Info, currency: str) -> int:
    row = next(p for p in PRODUCTS if p["upc"] == product["upc"])
    return int(row["usd"]) * RATES[currency]


def average_price(category: dict[str, Any], _info: Info, currency: str) -> int:
    return AVERAGE_USD[category["name"]] * RATES[currency]


def catalog_product(upc: str) -> dict[str, Any]:
    row = next(p for p in PRODUCTS if p["upc"] == upc)
    return {
        "upc": upc,
        "name": row["name"],
        "weight": row["weight"],
        "category": {"name": row["category"]},
    }


def usd_sent(recorder: Recorder) -> None:
    (catalog,) = recorder.of("catalog")
    assert 'price(currency: "USD")' in catalog.query
    assert 'averagePrice(currency: "USD")' in catalog.query
    (shipping,) = recorder.of("shipping")
    assert shipping.representations[0]["price"] == 100


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "catalog",
            resolvers={
                "Query": {"products": lambda _p, _i: [catalog_product(p["upc"]) for p in PRODUCTS]},
                "Product": {"price": price},
                "Category": {"averagePrice": average_price},
            },
            entities={"Product": lambda rep, _i: catalog_product(rep["upc"])},
        ),
        SubgraphSpec(
            "shipping",
            resolvers={
                "Product": {
                    # TypeError (a subgraph error) when `price` was not sent.
                    "shippingEstimate": lambda p, _i: p["price"] * p["weight"] * 10,
                    "isExpensiveCategory": lambda p, _i: p["category"]["averagePrice"] > 11,
                }
            },
            entities={"Product": lambda rep, _i: {"upc": rep["upc"]}},
        ),
    ],
    operations=[
        Operation(
            name="arguments_sent",
            query="{ products { name shippingEstimate isExpensiveCategory } }",
            data={
                "products": [
                    {"name": "Table", "shippingEstimate": 2000, "isExpensiveCategory": True},
                    {"name": "Pen", "shippingEstimate": 30, "isExpensiveCategory": False},
                ]
            },
            requests={"catalog": 1, "shipping": 1},
            check=usd_sent,
        ),
        Operation(
            name="client_asks_another_currency",
            query="""query($currency: String!) {
              products { price(currency: $currency) shippingEstimate }
            }""",
            variables={"currency": "EUR"},
            data={
                "products": [
                    {"price": 200, "shippingEstimate": 2000},
                    {"price": 6, "shippingEstimate": 30},
                ]
            },
            requests={"catalog": 1, "shipping": 1},
        ),
        Operation(
            name="client_asks_the_same_currency",
            query='{ products { price(currency: "USD") shippingEstimate } }',
            data={
                "products": [
                    {"price": 100, "shippingEstimate": 2000},
                    {"price": 3, "shippingEstimate": 30},
                ]
            },
            requests={"catalog": 1, "shipping": 1},
        ),
    ],
)
