"""`Product.price @override(from: "products")` in pricing: price comes from pricing only. The
two subgraphs return different prices, so the data shows which one answered."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 100},
    {"id": "p2", "name": "Chair", "price": 30},
]
NEW_PRICES = {"p1": 95, "p2": 29}


def products_not_asked_for_price(recorder: Recorder) -> None:
    (root,) = recorder.of("products")
    assert "price" not in root.query


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"products": lambda _p, _i: PRODUCTS}}),
        SubgraphSpec(
            "pricing", entities={"Product": lambda rep, _i: {"price": NEW_PRICES[rep["id"]]}}
        ),
    ],
    operations=[
        Operation(
            name="price_from_pricing",
            query="{ products { name price } }",
            data={"products": [{"name": "Table", "price": 95}, {"name": "Chair", "price": 29}]},
            requests={"products": 1, "pricing": 1},
            check=products_not_asked_for_price,
        ),
        Operation(
            name="no_price_no_pricing",
            query="{ products { id name } }",
            data={"products": [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]},
            requests={"products": 1},
        ),
    ],
)
