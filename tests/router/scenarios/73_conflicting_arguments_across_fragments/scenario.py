"""Conflicting arguments across fragments: the client asks `note(style: SHORT)` on books and
`note(style: LONG)` on movies — valid, since the parent types differ. notes knows every `Media`
as one object type (`@interfaceObject`), so both selections meet on `Media` in one notes
operation, where they would conflict (same response key, different arguments). The planner
sends the second under an internal alias (`note__alias_1: note(style: LONG)`), the plan shows
it, and the executor answers each object from its own runtime type's selection."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

MEDIA = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    {"__typename": "Movie", "id": "m1", "title": "Arrival"},
]
NOTES = {"b1": "a desert planet", "m1": "linguists meet heptapods"}


def note(media: dict[str, Any], _info: Any, style: str) -> str:
    text = NOTES[media["id"]]
    return text.split()[0] if style == "SHORT" else text


def aliased_in_notes(recorder: Recorder) -> None:
    (notes,) = recorder.of("notes")
    assert "note(style: SHORT)" in notes.query
    assert "note__alias_1: note(style: LONG)" in notes.query
    assert notes.representations == [
        {"__typename": "Media", "id": "b1"},
        {"__typename": "Media", "id": "m1"},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "shelf",
            resolvers={"Query": {"media": lambda _p, _i: MEDIA}},
            entities={"Media": entity_by_key(MEDIA, "id")},
        ),
        SubgraphSpec(
            "notes",
            resolvers={"Media": {"note": note}},
            entities={"Media": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="arguments_differ_by_type",
            query="""{
              media {
                title
                ... on Book { note(style: SHORT) }
                ... on Movie { note(style: LONG) }
              }
            }""",
            data={
                "media": [
                    {"title": "Dune", "note": "a"},
                    {"title": "Arrival", "note": "linguists meet heptapods"},
                ]
            },
            requests={"shelf": 1, "notes": 1},
            check=aliased_in_notes,
        ),
        Operation(
            name="arguments_differ_by_type_with_variables",
            query="""query($short: Style!, $long: Style!) {
              media {
                ... on Movie { note(style: $long) }
                ... on Book { note(style: $short) }
              }
            }""",
            variables={"short": "SHORT", "long": "LONG"},
            data={"media": [{"note": "a"}, {"note": "linguists meet heptapods"}]},
            requests={"shelf": 1, "notes": 1},
        ),
    ],
)
