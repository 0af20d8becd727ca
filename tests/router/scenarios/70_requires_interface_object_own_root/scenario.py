"""`@requires` on an `@interfaceObject` reached from that subgraph's own root field: billing
answers `debtors` with objects it types "Account" (it knows the interface only as an object),
and `reminder` requires `name`, which only accounts (the interface's owner) resolves. The
planner selects `id` in billing, asks accounts for `name` — and for the concrete type, when the
client wants `__typename` or a type condition — then asks billing again for `reminder` through
`_entities` with representations typed "Account" that carry `name`. Selecting `reminder`
inline in the first billing fetch would compute it without `name`."""

from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec, entity_by_key

from ..model import Operation, Scenario

ACCOUNTS = [
    {"__typename": "Admin", "id": "a1", "name": "Ada", "isMain": True},
    {"__typename": "Regular", "id": "a2", "name": "Bob"},
]
DEBTORS = [
    {"__typename": "Account", "id": "a2", "balance": -20},
    {"__typename": "Account", "id": "a1", "balance": -5},
]


def reminder(account: dict[str, Any], _info: Any) -> str:
    if "name" not in account:
        raise ValueError("reminder needs name (@requires)")
    return f"{account['name']}, please pay"


def accounts_entity(representation: dict[str, Any], _info: Any) -> Any:
    """accounts resolves an `Account` reference to its concrete type."""
    return entity_by_key(ACCOUNTS, "id")(representation, _info)


def requires_carry_name(recorder: Recorder) -> None:
    first, second = recorder.of("billing")
    assert first.root_fields == ["debtors"]
    assert "reminder" not in first.query
    assert second.representations == [
        {"__typename": "Account", "id": "a2", "name": "Bob"},
        {"__typename": "Account", "id": "a1", "name": "Ada"},
    ]
    (accounts,) = recorder.of("accounts")
    assert accounts.representations == [
        {"__typename": "Account", "id": "a2"},
        {"__typename": "Account", "id": "a1"},
    ]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "accounts",
            resolvers={"Query": {"accounts": lambda _p, _i: ACCOUNTS}},
            entities={"Account": accounts_entity},
        ),
        SubgraphSpec(
            "billing",
            resolvers={
                "Query": {"debtors": lambda _p, _i: DEBTORS},
                "Account": {"reminder": reminder},
            },
            entities={
                "Account": lambda rep, _i: {
                    **next(d for d in DEBTORS if d["id"] == rep["id"]),
                    **rep,
                }
            },
        ),
    ],
    operations=[
        Operation(
            name="requires_from_own_root",
            query="{ debtors { id balance reminder } }",
            data={
                "debtors": [
                    {"id": "a2", "balance": -20, "reminder": "Bob, please pay"},
                    {"id": "a1", "balance": -5, "reminder": "Ada, please pay"},
                ]
            },
            requests={"billing": 2, "accounts": 1},
            check=requires_carry_name,
        ),
        Operation(
            name="requires_with_concrete_types",
            query="""{
              debtors { __typename reminder ... on Admin { isMain } ... on Regular { name } }
            }""",
            data={
                "debtors": [
                    {"__typename": "Regular", "reminder": "Bob, please pay", "name": "Bob"},
                    {"__typename": "Admin", "reminder": "Ada, please pay", "isMain": True},
                ]
            },
            requests={"billing": 2, "accounts": 1},
            check=requires_carry_name,
        ),
        Operation(
            name="requires_inside_interface_fragment",
            query="{ debtors { ... on Account { reminder } } }",
            data={"debtors": [{"reminder": "Bob, please pay"}, {"reminder": "Ada, please pay"}]},
            requests={"billing": 2, "accounts": 1},
            check=requires_carry_name,
        ),
    ],
)
