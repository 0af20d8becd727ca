"""A shareable root field (`Query.me` in accounts and profiles): the router picks the subgraph
that resolves the whole selection in one fetch, and needs two fetches only when the selection
spans both."""

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

ACCOUNT = {"id": "u1", "name": "Ada", "email": "ada@example.com"}
PROFILE = {"id": "u1", "name": "Ada", "avatar": "ada.png"}


def two_fetches_in_total(recorder: Recorder) -> None:
    assert len(recorder.requests) == 2
    assert set(recorder.counts()) == {"accounts", "profiles"}


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "accounts",
            resolvers={"Query": {"me": lambda _p, _i: ACCOUNT}},
            entities={"User": lambda rep, _i: ACCOUNT if rep["id"] == "u1" else None},
        ),
        SubgraphSpec(
            "profiles",
            resolvers={"Query": {"me": lambda _p, _i: PROFILE}},
            entities={"User": lambda rep, _i: PROFILE if rep["id"] == "u1" else None},
        ),
    ],
    operations=[
        Operation(
            name="avatar_from_profiles_only",
            query="{ me { name avatar } }",
            data={"me": {"name": "Ada", "avatar": "ada.png"}},
            requests={"profiles": 1},
        ),
        Operation(
            name="email_from_accounts_only",
            query="{ me { id email } }",
            data={"me": {"id": "u1", "email": "ada@example.com"}},
            requests={"accounts": 1},
        ),
        Operation(
            name="both",
            query="{ me { email avatar } }",
            data={"me": {"email": "ada@example.com", "avatar": "ada.png"}},
            check=two_fetches_in_total,
            requests={"accounts": 1, "profiles": 1},
        ),
    ],
)
