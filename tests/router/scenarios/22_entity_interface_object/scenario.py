"""An entity interface (`interface Media @key(fields: "id")` in media) that reviews extends as
an `@interfaceObject`: reviews only knows "Media", never Book or Movie.

- Going to reviews, representations use `__typename: "Media"`.
- Coming from reviews (`topRated`), the concrete `__typename` and type-specific fields must be
  fetched from media, which resolves a Media reference to its concrete type."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Direct, Operation, Scenario

MEDIA = {
    "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "author": "Herbert"},
    "m1": {"__typename": "Movie", "id": "m1", "title": "Alien", "director": "Scott"},
    "m2": {"__typename": "Movie", "id": "m2", "title": "Heat", "director": "Mann"},
}
SCORES = {"b1": [5, 4], "m1": [3], "m2": [5]}


def media_entity(rep: dict[str, Any], _info: Any) -> dict[str, Any] | None:
    return MEDIA.get(rep["id"])


def reviews_of(media: dict[str, Any], _info: Any) -> list[dict[str, int]]:
    return [{"score": s} for s in SCORES[media["id"]]]


def average(media: dict[str, Any], _info: Any) -> float:
    scores = SCORES[media["id"]]
    return sum(scores) / len(scores)


def media_representations(recorder: Recorder) -> None:
    (fetch,) = recorder.of("reviews")
    assert fetch.representations == [
        {"__typename": "Media", "id": "b1"},
        {"__typename": "Media", "id": "m1"},
    ]


def typename_from_media(recorder: Recorder) -> None:
    (fetch,) = recorder.of("media")
    assert fetch.is_entities
    assert [rep["id"] for rep in fetch.representations] == ["m2", "b1"]
    assert {rep["__typename"] for rep in fetch.representations} == {"Media"}


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "media",
            resolvers={"Query": {"library": lambda _p, _i: [MEDIA["b1"], MEDIA["m1"]]}},
            entities={"Media": media_entity, "Book": media_entity, "Movie": media_entity},
        ),
        SubgraphSpec(
            "reviews",
            resolvers={
                "Query": {"topRated": lambda _p, _i: [{"id": "m2"}, {"id": "b1"}]},
                "Media": {"reviews": reviews_of, "averageScore": average},
            },
            entities={"Media": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="library_reviews",
            query="{ library { title reviews { score } } }",
            data={
                "library": [
                    {"title": "Dune", "reviews": [{"score": 5}, {"score": 4}]},
                    {"title": "Alien", "reviews": [{"score": 3}]},
                ]
            },
            requests={"media": 1, "reviews": 1},
            check=media_representations,
        ),
        Operation(
            name="library_concrete_and_object_fields",
            query="{ library { __typename id ... on Book { author } averageScore } }",
            data={
                "library": [
                    {"__typename": "Book", "id": "b1", "author": "Herbert", "averageScore": 4.5},
                    {"__typename": "Movie", "id": "m1", "averageScore": 3.0},
                ]
            },
            requests={"media": 1, "reviews": 1},
            check=media_representations,
        ),
        Operation(
            name="top_rated_own_fields",
            query="{ topRated { id averageScore } }",
            data={
                "topRated": [{"id": "m2", "averageScore": 5.0}, {"id": "b1", "averageScore": 4.5}]
            },
            requests={"reviews": 1},
        ),
        Operation(
            name="top_rated_typename",
            query="{ topRated { __typename id } }",
            data={
                "topRated": [
                    {"__typename": "Movie", "id": "m2"},
                    {"__typename": "Book", "id": "b1"},
                ]
            },
            requests={"reviews": 1, "media": 1},
            check=typename_from_media,
        ),
        Operation(
            name="top_rated_type_conditions",
            query="{ topRated { id ... on Book { title author } ... on Movie { title } } }",
            data={
                "topRated": [
                    {"id": "m2", "title": "Heat"},
                    {"id": "b1", "title": "Dune", "author": "Herbert"},
                ]
            },
            requests={"reviews": 1, "media": 1},
            check=typename_from_media,
        ),
        Operation(
            name="top_rated_interface_field",
            query="{ topRated { title averageScore } }",
            data={
                "topRated": [
                    {"title": "Heat", "averageScore": 5.0},
                    {"title": "Dune", "averageScore": 4.5},
                ]
            },
            requests={"reviews": 1, "media": 1},
        ),
    ],
    direct=[
        Direct(
            "media",
            """query($r: [_Any!]!) {
                 _entities(representations: $r) { __typename ... on Movie { director } }
               }""",
            variables={"r": [{"__typename": "Media", "id": "m2"}]},
            data={"_entities": [{"__typename": "Movie", "director": "Mann"}]},
        ),
        Direct(
            "reviews",
            """query($r: [_Any!]!) {
                 _entities(representations: $r) { __typename ... on Media { averageScore } }
               }""",
            variables={"r": [{"__typename": "Media", "id": "b1"}]},
            data={"_entities": [{"__typename": "Media", "averageScore": 4.5}]},
        ),
    ],
)
