"""A nested key (`account { id region }`): the representation is a nested object."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Direct, Operation, Scenario

USERS = [
    {"account": {"id": "a1", "region": "eu"}, "name": "Ada"},
    {"account": {"id": "a1", "region": "us"}, "name": "Alan"},
    {"account": {"id": "a2", "region": "eu"}, "name": "Grace"},
]
BALANCES = {("a1", "eu"): 10, ("a1", "us"): -5, ("a2", "eu"): 0}


def balance(rep: dict[str, Any], _info: Any) -> dict[str, Any]:
    account = rep["account"]
    return {"balance": BALANCES[(account["id"], account["region"])]}


def nested_representations(recorder: Recorder) -> None:
    (fetch,) = recorder.of("billing")
    assert fetch.representations == [
        {"__typename": "User", "account": {"id": "a1", "region": "eu"}},
        {"__typename": "User", "account": {"id": "a1", "region": "us"}},
        {"__typename": "User", "account": {"id": "a2", "region": "eu"}},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("users", resolvers={"Query": {"users": lambda _p, _i: USERS}}),
        SubgraphSpec("billing", entities={"User": balance}),
    ],
    operations=[
        Operation(
            name="balances",
            query="{ users { name balance } }",
            data={
                "users": [
                    {"name": "Ada", "balance": 10},
                    {"name": "Alan", "balance": -5},
                    {"name": "Grace", "balance": 0},
                ]
            },
            requests={"users": 1, "billing": 1},
            check=nested_representations,
        ),
        Operation(
            name="with_key_object",
            query="{ users { account { region } balance } }",
            data={
                "users": [
                    {"account": {"region": "eu"}, "balance": 10},
                    {"account": {"region": "us"}, "balance": -5},
                    {"account": {"region": "eu"}, "balance": 0},
                ]
            },
            requests={"users": 1, "billing": 1},
            check=nested_representations,
        ),
    ],
    direct=[
        Direct(
            "billing",
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { balance } } }",
            variables={"r": [{"__typename": "User", "account": {"id": "a2", "region": "eu"}}]},
            data={"_entities": [{"balance": 0}]},
        )
    ],
)
