"""Every selection sent to a subgraph is valid in that subgraph's schema: `Result` has
different members in shelf (Book, Movie) and radio (Book, Song), and `Node` different
implementations (Book in shelf, Movie in radio). Client fragments on types a subgraph does not
have, on union members it does not list, or on an interface its type does not implement there
are rewritten per runtime type or dropped; the live subgraphs validate every operation."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

SEARCH = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    {"__typename": "Movie", "id": "m1", "title": "Arrival"},
]
PLAYLIST = [{"__typename": "Book", "id": "b1"}, {"__typename": "Song", "name": "Hey Jude"}]


def movie_key_sent(recorder: Recorder) -> None:
    (radio,) = recorder.of("radio")
    assert radio.representations == [{"__typename": "Movie", "id": "m1"}]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("shelf", resolvers={"Query": {"search": lambda _p, _i: SEARCH}}),
        SubgraphSpec(
            "radio",
            resolvers={"Query": {"playlist": lambda _p, _i: PLAYLIST}},
            entities={
                "Book": lambda rep, _i: {"pages": 412},
                "Movie": lambda rep, _i: {"year": 2016},
            },
        ),
    ],
    operations=[
        Operation(
            name="member_unknown_to_the_subgraph",
            query="""{
              search { ... on Song { name } ... on Book { title pages } ... on Movie { title } }
            }""",
            data={"search": [{"title": "Dune", "pages": 412}, {"title": "Arrival"}]},
            requests={"shelf": 1, "radio": 1},
        ),
        Operation(
            name="interface_implemented_elsewhere",
            # Movie implements Node in radio only; shelf still serves Movie.id.
            query="{ search { ... on Node { id } } }",
            data={"search": [{"id": "b1"}, {"id": "m1"}]},
            requests={"shelf": 1},
        ),
        Operation(
            name="interface_not_implemented_here",
            # Book is a Node in the supergraph but not in radio.
            query="{ playlist { ... on Node { id } ... on Song { name } ... on Movie { year } } }",
            data={"playlist": [{"id": "b1"}, {"name": "Hey Jude"}]},
            requests={"radio": 1},
        ),
        Operation(
            name="nested_type_conditions",
            query="{ search { ... on Node { id ... on Movie { year } } } }",
            data={"search": [{"id": "b1"}, {"id": "m1", "year": 2016}]},
            requests={"shelf": 1, "radio": 1},
        ),
        Operation(
            name="key_field_beside_a_client_alias",
            # The client's `id: title` (String!) on Book and Movie's key `id` (ID!) meet in one
            # shelf selection set: the key goes under an internal alias, and the
            # representation for radio reads it from there.
            query="{ search { ... on Book { id: title } ... on Movie { year } } }",
            data={"search": [{"id": "Dune"}, {"year": 2016}]},
            requests={"shelf": 1, "radio": 1},
            check=movie_key_sent,
        ),
    ],
)
