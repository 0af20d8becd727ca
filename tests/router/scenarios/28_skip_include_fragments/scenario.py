"""`@skip`/`@include` on inline fragments and fragment spreads, with literals and variables;
a field reachable both through a skipped and an included path stays in the response."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table", "price": 120}, {"id": "p2", "name": "Chair", "price": 40}]
REVIEWS = {"p1": [{"id": "r1", "body": "Solid", "stars": 5}], "p2": []}


def top(_parent: Any, _info: Any, first: int) -> list[dict[str, Any]]:
    return PRODUCTS[:first]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("products", resolvers={"Query": {"topProducts": top}}),
        SubgraphSpec(
            "reviews",
            resolvers={"Product": {"reviews": lambda product, _i: REVIEWS[product["id"]]}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="literal_false_fragment_no_fetch",
            query="""{
              topProducts { name ... @include(if: false) { reviews { body } } }
            }""",
            data={"topProducts": [{"name": "Table"}, {"name": "Chair"}]},
            requests={"products": 1},
        ),
        Operation(
            name="spread_skipped_by_variable",
            query="""
              query($skip: Boolean!) { topProducts { name ...Stars @skip(if: $skip) } }
              fragment Stars on Product { reviews { stars } }
            """,
            variables={"skip": True},
            data={"topProducts": [{"name": "Table"}, {"name": "Chair"}]},
            requests={"products": 1},
        ),
        Operation(
            name="spread_kept_by_variable",
            query="""
              query($skip: Boolean!) { topProducts { name ...Stars @skip(if: $skip) } }
              fragment Stars on Product { reviews { stars } }
            """,
            variables={"skip": False},
            data={
                "topProducts": [
                    {"name": "Table", "reviews": [{"stars": 5}]},
                    {"name": "Chair", "reviews": []},
                ]
            },
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="field_in_skipped_and_kept_paths",
            query="""query($on: Boolean!) {
              topProducts(first: 1) {
                ... on Product @include(if: $on) { name price }
                ... @skip(if: $on) { name }
              }
            }""",
            variables={"on": False},
            data={"topProducts": [{"name": "Table"}]},
            requests={"products": 1},
        ),
        Operation(
            name="typed_fragment_included",
            query="""query($on: Boolean!) {
              topProducts(first: 1) {
                ... on Product @include(if: $on) { name price }
                ... @skip(if: $on) { name }
              }
            }""",
            variables={"on": True},
            data={"topProducts": [{"name": "Table", "price": 120}]},
            requests={"products": 1},
        ),
    ],
)
