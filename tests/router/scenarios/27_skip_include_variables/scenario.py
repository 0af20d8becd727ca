"""`@skip`/`@include` driven by variables, with and without defaults. A condition that turns
off everything a subgraph would be asked for means no request to that subgraph at all."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

PRODUCTS = [{"id": "p1", "name": "Table", "price": 120}, {"id": "p2", "name": "Chair", "price": 40}]
REVIEWS = {"p1": [{"id": "r1", "body": "Solid", "stars": 5}], "p2": []}


def top(_parent: Any, _info: Any, first: int) -> list[dict[str, Any]]:
    return PRODUCTS[:first]


QUERY = """
query Top($withReviews: Boolean!, $hidePrice: Boolean = true) {
  topProducts {
    name
    price @skip(if: $hidePrice)
    reviews @include(if: $withReviews) { body }
  }
}
"""

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
            name="defaults_no_reviews",
            query=QUERY,
            variables={"withReviews": False},
            data={"topProducts": [{"name": "Table"}, {"name": "Chair"}]},
            requests={"products": 1},
        ),
        Operation(
            name="include_reviews",
            query=QUERY,
            variables={"withReviews": True},
            data={
                "topProducts": [
                    {"name": "Table", "reviews": [{"body": "Solid"}]},
                    {"name": "Chair", "reviews": []},
                ]
            },
            requests={"products": 1, "reviews": 1},
        ),
        Operation(
            name="override_default",
            query=QUERY,
            variables={"withReviews": False, "hidePrice": False},
            data={"topProducts": [{"name": "Table", "price": 120}, {"name": "Chair", "price": 40}]},
            requests={"products": 1},
        ),
        Operation(
            name="omitted_variable_uses_default",
            # `Boolean! = false`: a non-null variable with a default may be omitted
            query="""query($show: Boolean! = false) {
              topProducts(first: 1) { name @include(if: $show) id }
            }""",
            variables={},
            data={"topProducts": [{"id": "p1"}]},
            requests={"products": 1},
        ),
        Operation(
            name="skip_and_include_together",
            # both must allow the field: included only when include is true AND skip is false
            query="""query($a: Boolean!, $b: Boolean!) {
              topProducts(first: 1) {
                name @include(if: $a) @skip(if: $b)
                reviews @include(if: $a) @skip(if: $a) { body }
              }
            }""",
            variables={"a": True, "b": False},
            data={"topProducts": [{"name": "Table"}]},
            requests={"products": 1},
        ),
        Operation(
            name="whole_root_skipped",
            query="query($no: Boolean!) { topProducts @skip(if: $no) { name } }",
            variables={"no": True},
            data={},
            requests={},
        ),
    ],
)
