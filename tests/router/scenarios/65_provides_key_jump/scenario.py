"""Key fields made available by `@provides` can be used to jump: reviews provides the
author's `handle` (external there), which is the only key avatars knows users by. The router
sends `{__typename, handle}` from reviews' answer straight to avatars, instead of first asking
accounts for the handle it already has."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

USERS = [
    {"id": "u1", "handle": "ada", "name": "Ada Lovelace"},
    {"id": "u2", "handle": "bob", "name": "Bob Moog"},
]
AVATARS = {"ada": "ada.png", "bob": "bob.png"}


def handle_representations(recorder: Recorder) -> None:
    (avatars,) = recorder.of("avatars")
    assert avatars.representations == [
        {"__typename": "User", "handle": "ada"},
        {"__typename": "User", "handle": "bob"},
    ]


def by_id_or_handle(rep: dict[str, str], _info: object) -> dict[str, str] | None:
    return next(
        (u for u in USERS if u["id"] == rep.get("id") or u["handle"] == rep.get("handle")), None
    )


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "reviews",
            resolvers={
                "Query": {
                    "reviews": lambda _p, _i: [
                        {"id": "r1", "body": "Great", "author": {"id": "u1", "handle": "ada"}},
                        {"id": "r2", "body": "Meh", "author": {"id": "u2", "handle": "bob"}},
                    ]
                }
            },
        ),
        SubgraphSpec("accounts", entities={"User": by_id_or_handle}),
        SubgraphSpec(
            "avatars", entities={"User": lambda rep, _i: {"avatar": AVATARS[rep["handle"]]}}
        ),
    ],
    operations=[
        Operation(
            name="provided_key_jump",
            query="{ reviews { body author { avatar } } }",
            data={
                "reviews": [
                    {"body": "Great", "author": {"avatar": "ada.png"}},
                    {"body": "Meh", "author": {"avatar": "bob.png"}},
                ]
            },
            requests={"reviews": 1, "avatars": 1},
            check=handle_representations,
        ),
        Operation(
            name="provided_key_and_other_fields",
            query="{ reviews { author { handle name avatar } } }",
            data={
                "reviews": [
                    {"author": {"handle": "ada", "name": "Ada Lovelace", "avatar": "ada.png"}},
                    {"author": {"handle": "bob", "name": "Bob Moog", "avatar": "bob.png"}},
                ]
            },
            requests={"reviews": 1, "accounts": 1, "avatars": 1},
            check=handle_representations,
        ),
    ],
)
