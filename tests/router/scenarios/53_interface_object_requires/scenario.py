"""`@requires` on an `@interfaceObject`: billing knows `Account` only as an object and needs
the interface field `name` from accounts; the representation is typed "Account" and carries
`name`. Like the Hive federation-gateway-audit suite `interface-object-with-requires`."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

from ..model import Operation, Scenario

ACCOUNTS = [
    {"__typename": "Admin", "id": "a1", "name": "Ada", "isMain": True},
    {"__typename": "Regular", "id": "a2", "name": "Bob"},
]


def greeting(account: dict[str, Any], _info: Any) -> str:
    return f"Hello {account['name']}"


def typed_as_interface(recorder: Recorder) -> None:
    (fetch,) = recorder.of("billing")
    assert fetch.representations == [
        {"__typename": "Account", "id": "a1", "name": "Ada"},
        {"__typename": "Account", "id": "a2", "name": "Bob"},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec("accounts", resolvers={"Query": {"accounts": lambda _p, _i: ACCOUNTS}}),
        SubgraphSpec(
            "billing",
            resolvers={"Account": {"greeting": greeting}},
            entities={"Account": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="greeting",
            query="{ accounts { greeting } }",
            data={"accounts": [{"greeting": "Hello Ada"}, {"greeting": "Hello Bob"}]},
            requests={"accounts": 1, "billing": 1},
            check=typed_as_interface,
        ),
        Operation(
            name="greeting_with_concrete_fields",
            query="{ accounts { __typename ... on Admin { isMain } greeting } }",
            data={
                "accounts": [
                    {"__typename": "Admin", "isMain": True, "greeting": "Hello Ada"},
                    {"__typename": "Regular", "greeting": "Hello Bob"},
                ]
            },
            requests={"accounts": 1, "billing": 1},
            check=typed_as_interface,
        ),
    ],
)
