"""Aliases: the same field twice with different arguments inside one entity fetch, aliased
root fields sharing one fetch, and aliases that reuse the names of other fields, including
the key field `id` (the router still needs the real `id` for the entity fetch)."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table"}, {"id": "p2", "name": "Chair"}]
EUR = {"p1": 100, "p2": 40}
RATE = {"EUR": 1.0, "USD": 1.1}
STARS = {"p1": [("r1", 5), ("r2", 2)], "p2": [("r3", 4)]}


def top(_parent: Any, _info: Any, first: int) -> list[dict[str, Any]]:
    return PRODUCTS[:first]


def price(product: dict[str, Any], _info: Any, currency: str) -> int:
    return round(EUR[product["id"]] * RATE[currency])


def reviews(product: dict[str, Any], _info: Any, minStars: int) -> list[dict[str, Any]]:
    return [{"id": rid, "stars": s} for rid, s in STARS[product["id"]] if s >= minStars]


def one_reviews_fetch(recorder: Recorder) -> None:
    (fetch,) = recorder.of("reviews")
    assert fetch.representations == [
        {"__typename": "Product", "id": "p1"},
        {"__typename": "Product", "id": "p2"},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "products", resolvers={"Query": {"topProducts": top}, "Product": {"price": price}}
        ),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": reviews}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="same_field_different_arguments",
            query="""{
              topProducts {
                name
                eur: price
                usd: price(currency: "USD")
                best: reviews(minStars: 4) { stars }
                all: reviews { id stars }
              }
            }""",
            data={
                "topProducts": [
                    {
                        "name": "Table",
                        "eur": 100,
                        "usd": 110,
                        "best": [{"stars": 5}],
                        "all": [{"id": "r1", "stars": 5}, {"id": "r2", "stars": 2}],
                    },
                    {
                        "name": "Chair",
                        "eur": 40,
                        "usd": 44,
                        "best": [{"stars": 4}],
                        "all": [{"id": "r3", "stars": 4}],
                    },
                ]
            },
            requests={"products": 1, "reviews": 1},
            check=one_reviews_fetch,
        ),
        Operation(
            name="aliased_root_fields",
            query="{ one: topProducts(first: 1) { id } two: topProducts(first: 2) { ident: id } }",
            data={"one": [{"id": "p1"}], "two": [{"ident": "p1"}, {"ident": "p2"}]},
            requests={"products": 1},
        ),
        Operation(
            name="aliased_roots_each_jumping",
            # Flatten paths follow response keys: `cheap.@` and `all.@`, not `topProducts.@`
            query="""{
              cheap: topProducts(first: 1) { reviews(minStars: 3) { id } }
              all: topProducts { name reviews { id } }
            }""",
            data={
                "cheap": [{"reviews": [{"id": "r1"}]}],
                "all": [
                    {"name": "Table", "reviews": [{"id": "r1"}, {"id": "r2"}]},
                    {"name": "Chair", "reviews": [{"id": "r3"}]},
                ],
            },
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="swapped_names",
            query="{ topProducts(first: 1) { name: id id: name } }",
            data={"topProducts": [{"name": "p1", "id": "Table"}]},
            requests={"products": 1},
        ),
        Operation(
            name="key_name_aliased_away",
            query="{ topProducts { id: name reviews { stars } } }",
            data={
                "topProducts": [
                    {"id": "Table", "reviews": [{"stars": 5}, {"stars": 2}]},
                    {"id": "Chair", "reviews": [{"stars": 4}]},
                ]
            },
            requests={"products": 1, "reviews": 1},
            check=one_reviews_fetch,
        ),
    ],
)
