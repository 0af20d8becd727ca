"""Fragments on abstract types: an interface fragment spread inside a union selection, a union
fragment inside an interface selection, and type conditions nested in type conditions.
books knows nothing of Movie or Promo, movies nothing of Book: fragments on types a subgraph
does not define must never be sent to it (the test subgraphs reject invalid operations)."""

from tests.support.subgraph_server import SubgraphSpec

from ..model import Operation, Scenario

BOOK = {"__typename": "Book", "id": "b1", "title": "Dune"}
MOVIE = {"__typename": "Movie", "id": "m1", "title": "Alien"}
PROMO = {"__typename": "Promo", "text": "Sale!"}

SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "catalog",
            resolvers={
                "Query": {
                    "items": lambda _p, _i: [BOOK, MOVIE],
                    "featured": lambda _p, _i: [PROMO, BOOK, MOVIE],
                }
            },
        ),
        SubgraphSpec("books", entities={"Book": lambda rep, _i: {"author": "Herbert"}}),
        SubgraphSpec("movies", entities={"Movie": lambda rep, _i: {"director": "Scott"}}),
    ],
    operations=[
        Operation(
            name="interface_fragment_in_union",
            query="""
              { featured { ...ItemBits ... on Promo { text } } }
              fragment ItemBits on Item { title ... on Book { author } ... on Movie { director } }
            """,
            data={
                "featured": [
                    {"text": "Sale!"},
                    {"title": "Dune", "author": "Herbert"},
                    {"title": "Alien", "director": "Scott"},
                ]
            },
            requests={"catalog": 1, "books": 1, "movies": 1},
        ),
        Operation(
            name="union_fragment_in_interface",
            query="""
              { items { id ...F } }
              fragment F on Featured { ... on Movie { director } }
            """,
            data={"items": [{"id": "b1"}, {"id": "m1", "director": "Scott"}]},
            requests={"catalog": 1, "movies": 1},
        ),
        Operation(
            name="nested_type_conditions",
            query="""{
              items { ... on Movie { ... on Item { title } ... on Featured { __typename } } }
            }""",
            data={"items": [{}, {"title": "Alien", "__typename": "Movie"}]},
            requests={"catalog": 1},
        ),
        Operation(
            name="typename_on_union_and_interface",
            query="{ featured { __typename ... on Item { id } } items { __typename } }",
            data={
                "featured": [
                    {"__typename": "Promo"},
                    {"__typename": "Book", "id": "b1"},
                    {"__typename": "Movie", "id": "m1"},
                ],
                "items": [{"__typename": "Book"}, {"__typename": "Movie"}],
            },
            requests={"catalog": 1},
        ),
    ],
)
