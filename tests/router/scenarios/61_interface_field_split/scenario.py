"""A field selected on an interface is split per implementation when one implementation
resolves it elsewhere: media owns `Media.title` for Book, but films took `Movie.title` over
(`@override`) and `Podcast.title` is `@external` in media (pods resolves it). Selecting
`title` on the interface in media would return media's stale Movie title and an invalid
Podcast one; the router asks media for Book's, films for Movie's and pods for Podcast's."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

MEDIA = [
    {"__typename": "Book", "id": "b1", "title": "Dune"},
    # media's own Movie title is stale: films overrides it.
    {"__typename": "Movie", "id": "m1", "title": "STALE"},
    {"__typename": "Podcast", "id": "c1"},
]


def not_on_the_interface(recorder: Recorder) -> None:
    (root,) = recorder.of("media")
    assert "... on Book" in root.query
    assert "... on Movie" in root.query


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "media",
            resolvers={"Query": {"media": lambda _p, _i: MEDIA}},
        ),
        SubgraphSpec("films", entities={"Movie": lambda rep, _i: {"title": "Arrival"}}),
        SubgraphSpec("pods", entities={"Podcast": lambda rep, _i: {"title": "Radiolab"}}),
    ],
    operations=[
        Operation(
            name="title_on_the_interface",
            query="{ media { id title } }",
            data={
                "media": [
                    {"id": "b1", "title": "Dune"},
                    {"id": "m1", "title": "Arrival"},
                    {"id": "c1", "title": "Radiolab"},
                ]
            },
            requests={"media": 1, "films": 1, "pods": 1},
            check=not_on_the_interface,
        ),
        Operation(
            name="title_in_an_interface_fragment",
            query="{ media { ... on Media { title } } }",
            data={"media": [{"title": "Dune"}, {"title": "Arrival"}, {"title": "Radiolab"}]},
            requests={"media": 1, "films": 1, "pods": 1},
            check=not_on_the_interface,
        ),
    ],
)
