"""A composite key (`productId currency`): the representation carries both fields, and two
prices of one product in different currencies are different entities."""

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

LISTINGS = [
    {"title": "Table (EU)", "price": {"productId": "p1", "currency": "EUR"}},
    {"title": "Table (US)", "price": {"productId": "p1", "currency": "USD"}},
    {"title": "Chair (EU)", "price": {"productId": "p2", "currency": "EUR"}},
]
PRICES = [
    {"productId": "p1", "currency": "EUR", "amount": 100},
    {"productId": "p1", "currency": "USD", "amount": 110},
    {"productId": "p2", "currency": "EUR", "amount": 35},
]


def composite_representations(recorder: Recorder) -> None:
    (fetch,) = recorder.of("pricing")
    assert sorted(
        (rep["__typename"], rep["productId"], rep["currency"]) for rep in fetch.representations
    ) == [("Price", "p1", "EUR"), ("Price", "p1", "USD"), ("Price", "p2", "EUR")]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("catalog", resolvers={"Query": {"listings": lambda _p, _i: LISTINGS}}),
        SubgraphSpec("pricing", entities={"Price": entity_by_key(PRICES, "productId", "currency")}),
    ],
    operations=[
        Operation(
            name="amounts",
            query="{ listings { title price { currency amount } } }",
            data={
                "listings": [
                    {"title": "Table (EU)", "price": {"currency": "EUR", "amount": 100}},
                    {"title": "Table (US)", "price": {"currency": "USD", "amount": 110}},
                    {"title": "Chair (EU)", "price": {"currency": "EUR", "amount": 35}},
                ]
            },
            requests={"catalog": 1, "pricing": 1},
            check=composite_representations,
        ),
        Operation(
            name="key_fields_only",
            query="{ listings { price { productId currency } } }",
            data={
                "listings": [
                    {"price": {"productId": "p1", "currency": "EUR"}},
                    {"price": {"productId": "p1", "currency": "USD"}},
                    {"price": {"productId": "p2", "currency": "EUR"}},
                ]
            },
            requests={"catalog": 1},
        ),
    ],
)
