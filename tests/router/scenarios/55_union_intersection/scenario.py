"""A union whose members differ per subgraph (a: Book | Song, b: Book | Movie; supergraph:
all three). A fragment on a member the subgraph does not have must not be sent to it, and
Book's title, known only to a, needs a jump from b's results."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

BOOKS = {"b1": {"id": "b1", "title": "Dune"}}

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "a",
            resolvers={
                "Query": {
                    "mediaA": lambda _p, _i: [
                        {"__typename": "Song", "title": "Blue"},
                        {"__typename": "Book", **BOOKS["b1"]},
                    ]
                }
            },
            entities={"Book": lambda rep, _i: BOOKS.get(rep["id"])},
        ),
        SubgraphSpec(
            "b",
            resolvers={
                "Query": {
                    "mediaB": lambda _p, _i: [
                        {"__typename": "Book", "id": "b1"},
                        {"__typename": "Movie", "title": "Heat"},
                    ]
                }
            },
        ),
    ],
    operations=[
        Operation(
            name="all_members_from_b",
            query="""{
              mediaB {
                __typename
                ... on Book { title }
                ... on Movie { title }
                ... on Song { title }
              }
            }""",
            data={
                "mediaB": [
                    {"__typename": "Book", "title": "Dune"},
                    {"__typename": "Movie", "title": "Heat"},
                ]
            },
            requests={"b": 1, "a": 1},
        ),
        Operation(
            name="all_members_from_a",
            query="""{
              mediaA {
                __typename
                ... on Book { title }
                ... on Movie { title }
                ... on Song { title }
              }
            }""",
            data={
                "mediaA": [
                    {"__typename": "Song", "title": "Blue"},
                    {"__typename": "Book", "title": "Dune"},
                ]
            },
            requests={"a": 1},
        ),
    ],
)
