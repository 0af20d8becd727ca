"""An interface whose implementations get their fields from different subgraphs: Book's
`author` in books, Movie's `director` in movies. The router splits the selection per runtime
type and asks each subgraph only about its own type."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

ITEMS = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    {"__typename": "Movie", "id": "m1", "title": "Alien"},
    {"__typename": "Book", "id": "b2", "title": "Emma"},
]
AUTHORS = {"b1": "Herbert", "b2": "Austen"}
DIRECTORS = {"m1": "Scott"}


def per_type_fetches(recorder: Recorder) -> None:
    (books,) = recorder.of("books")
    assert books.representations == [
        {"__typename": "Book", "id": "b1"},
        {"__typename": "Book", "id": "b2"},
    ]
    for movies in recorder.of("movies"):
        assert movies.representations == [{"__typename": "Movie", "id": "m1"}]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("catalog", resolvers={"Query": {"items": lambda _p, _i: ITEMS}}),
        SubgraphSpec("books", entities={"Book": lambda rep, _i: {"author": AUTHORS[rep["id"]]}}),
        SubgraphSpec(
            "movies", entities={"Movie": lambda rep, _i: {"director": DIRECTORS[rep["id"]]}}
        ),
    ],
    operations=[
        Operation(
            name="interface_fields_only",
            query="{ items { id title } }",
            data={
                "items": [
                    {"id": "b1", "title": "Dune"},
                    {"id": "m1", "title": "Alien"},
                    {"id": "b2", "title": "Emma"},
                ]
            },
            requests={"catalog": 1},
        ),
        Operation(
            name="both_types",
            query="""{
              items { __typename title ... on Book { author } ... on Movie { director } }
            }""",
            data={
                "items": [
                    {"__typename": "Book", "title": "Dune", "author": "Herbert"},
                    {"__typename": "Movie", "title": "Alien", "director": "Scott"},
                    {"__typename": "Book", "title": "Emma", "author": "Austen"},
                ]
            },
            requests={"catalog": 1, "books": 1, "movies": 1},
            check=per_type_fetches,
        ),
        Operation(
            name="books_only",
            query="{ items { id ... on Book { author } } }",
            data={
                "items": [
                    {"id": "b1", "author": "Herbert"},
                    {"id": "m1"},
                    {"id": "b2", "author": "Austen"},
                ]
            },
            requests={"catalog": 1, "books": 1},
            check=per_type_fetches,
        ),
    ],
)
