"""A field whose type differs between subgraphs (`@join__field(type:)`): `Playlist.top` is
`Media!` in radio and `Media` in shelf and the supergraph, `Album.top` is `Media` everywhere.
Selected under both union members in one radio operation, the two `top` fields would have
conflicting types there (`Media!` and `Media`: a validation error), so the planner sends one
under an internal alias and maps it back; below it, the type condition on `Book` (a type radio
does not have) is dropped, and `Song.length` is fetched from shelf at the aliased path."""

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

SONGS = [
    {"__typename": "Song", "id": "s1", "title": "Hey Jude", "length": 431},
    {"__typename": "Song", "id": "s2", "title": "Let It Be", "length": 243},
]
ITEMS = [
    {"__typename": "Playlist", "id": "p1", "top": SONGS[0]},
    {"__typename": "Album", "id": "a1", "top": SONGS[1]},
    {"__typename": "Album", "id": "a2", "top": None},
]


def one_radio_operation(recorder: Recorder) -> None:
    (radio,) = recorder.of("radio")
    assert "Book" not in radio.query
    assert "__alias_" in radio.query


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "radio",
            resolvers={"Query": {"items": lambda _p, _i: ITEMS}},
            entities={"Song": entity_by_key(SONGS, "id")},
        ),
        SubgraphSpec("shelf", entities={"Song": entity_by_key(SONGS, "id")}),
    ],
    operations=[
        Operation(
            name="conflicting_types_across_members",
            query="""{
              items {
                ... on Playlist { top { id ... on Song { title } ... on Book { pages } } }
                ... on Album { top { id ... on Song { title length } } }
              }
            }""",
            data={
                "items": [
                    {"top": {"id": "s1", "title": "Hey Jude"}},
                    {"top": {"id": "s2", "title": "Let It Be", "length": 243}},
                    {"top": None},
                ]
            },
            requests={"radio": 1, "shelf": 1},
            check=one_radio_operation,
        ),
    ],
)
