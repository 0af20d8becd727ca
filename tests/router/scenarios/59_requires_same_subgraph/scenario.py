"""`@requires(fields: "comments(limit: 3) { authorId }")` on people's `Post.topAuthors`, where
`comments` comes from posts but `authorId` is resolved by people itself: the comment ids come
from posts, `authorId` from people (`_entities` on Comment), and only then `topAuthors` from
people again (`_entities` on Post, the three authors in the representation). The required
field's argument is sent; a client asking `comments` with other arguments (a variable) gets its
own field, the requirement an internal alias; fragments change nothing."""

from typing import Any

from tests.support.subgraph_server import Info, Recorder, SubgraphSpec

from ..model import Operation, Scenario

COMMENTS = {
    "c1": {"id": "c1", "body": "First!", "authorId": "ann"},
    "c2": {"id": "c2", "body": "Agreed", "authorId": "bob"},
    "c3": {"id": "c3", "body": "Hm", "authorId": "cy"},
    "c4": {"id": "c4", "body": "Late", "authorId": "dee"},
    "c5": {"id": "c5", "body": "Bye", "authorId": "ann"},
}
POSTS = [
    {"id": "P1", "title": "Hello", "comments": ["c1", "c2", "c3", "c4"]},
    {"id": "P2", "title": "Goodbye", "comments": ["c5"]},
]


def comments(post: dict[str, Any], _info: Info, limit: int) -> list[dict[str, Any]]:
    row = next(p for p in POSTS if p["id"] == post["id"])
    return [{"id": c, "body": COMMENTS[c]["body"]} for c in row["comments"][:limit]]


def top_authors(post: dict[str, Any], _info: Info) -> list[str]:
    # KeyError (a subgraph error) when the representation lacks the requirement.
    return [comment["authorId"] for comment in post["comments"]]


def requirement_sent(recorder: Recorder) -> None:
    (root,) = recorder.of("posts")
    assert "comments(limit: 3)" in root.query
    first, second = recorder.of("people")
    assert [r["__typename"] for r in first.representations] == ["Comment"] * 4
    assert second.representations == [
        {
            "__typename": "Post",
            "id": "P1",
            "comments": [{"authorId": "ann"}, {"authorId": "bob"}, {"authorId": "cy"}],
        },
        {"__typename": "Post", "id": "P2", "comments": [{"authorId": "ann"}]},
    ]
    assert first.finished < second.started


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "posts",
            resolvers={
                "Query": {
                    "posts": lambda _p, _i: [{"id": p["id"], "title": p["title"]} for p in POSTS]
                },
                "Post": {"comments": comments},
            },
            entities={
                "Post": lambda rep, _i: {"id": rep["id"]},
                "Comment": lambda rep, _i: {"body": COMMENTS[rep["id"]]["body"]},
            },
        ),
        SubgraphSpec(
            "people",
            resolvers={"Post": {"topAuthors": top_authors}},
            entities={
                "Post": lambda rep, _i: {"id": rep["id"]},
                "Comment": lambda rep, _i: {"authorId": COMMENTS[rep["id"]]["authorId"]},
            },
        ),
    ],
    operations=[
        Operation(
            name="requirement_resolved_in_the_same_subgraph",
            query="{ posts { title topAuthors } }",
            data={
                "posts": [
                    {"title": "Hello", "topAuthors": ["ann", "bob", "cy"]},
                    {"title": "Goodbye", "topAuthors": ["ann"]},
                ]
            },
            requests={"posts": 1, "people": 2},
            check=requirement_sent,
        ),
        Operation(
            name="client_arguments_differ",
            query="""query($n: Int!) {
              posts { comments(limit: $n) { body authorId } topAuthors }
            }""",
            variables={"n": 1},
            data={
                "posts": [
                    {
                        "comments": [{"body": "First!", "authorId": "ann"}],
                        "topAuthors": ["ann", "bob", "cy"],
                    },
                    {"comments": [{"body": "Bye", "authorId": "ann"}], "topAuthors": ["ann"]},
                ]
            },
            requests={"posts": 1, "people": 2},
            check=requirement_sent,
        ),
        Operation(
            name="in_fragments",
            query="""
              query { posts { ...Post } }
              fragment Post on Post { topAuthors comments(limit: 3) { ...Comment } }
              fragment Comment on Comment { id }
            """,
            data={
                "posts": [
                    {
                        "topAuthors": ["ann", "bob", "cy"],
                        "comments": [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}],
                    },
                    {"topAuthors": ["ann"], "comments": [{"id": "c5"}]},
                ]
            },
            requests={"posts": 1, "people": 2},
        ),
    ],
)
