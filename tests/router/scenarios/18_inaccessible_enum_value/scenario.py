"""An `@inaccessible` enum value: clients cannot send it (literal or variable) nor see it in
introspection; when a subgraph returns it anyway, the router answers null for that field with
an error, as in the Hive federation-gateway-audit suite `enum-intersection`
(the-guild-org/graphql-federation-gateway-audit, src/test-suites/enum-intersection/test.ts:
`users { id type }` → u2's type null, errors present)."""

from typing import Any

from tests.support.subgraph_server import SubgraphSpec

from ..model import ANY, Err, Operation, Scenario

USERS = [
    {"id": "u1", "type": "REGULAR"},
    {"id": "u2", "type": "ANONYMOUS"},
    {"id": "u3", "type": "ADMIN"},
]
EMAILS = {"u1": "one@example.com", "u2": "two@example.com", "u3": "three@example.com"}


def users_by_type(_parent: Any, _info: Any, type: str) -> list[dict[str, Any]]:
    return [user for user in USERS if user["type"] == type]


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "users",
            resolvers={"Query": {"users": lambda _p, _i: USERS, "usersByType": users_by_type}},
        ),
        SubgraphSpec("accounts", entities={"User": lambda rep, _i: {"email": EMAILS[rep["id"]]}}),
    ],
    operations=[
        Operation(
            name="ids_only",
            query="{ users { id } }",
            data={"users": [{"id": "u1"}, {"id": "u2"}, {"id": "u3"}]},
            requests={"users": 1},
        ),
        Operation(
            name="inaccessible_value_returned",
            query="{ users { id type email } }",
            data={
                "users": [
                    {"id": "u1", "type": "REGULAR", "email": "one@example.com"},
                    {"id": "u2", "type": None, "email": "two@example.com"},
                    {"id": "u3", "type": "ADMIN", "email": "three@example.com"},
                ]
            },
            errors=[Err(path=ANY)],
            requests={"users": 1, "accounts": 1},
        ),
        Operation(
            name="accessible_argument",
            query="{ usersByType(type: ADMIN) { id type } }",
            data={"usersByType": [{"id": "u3", "type": "ADMIN"}]},
            requests={"users": 1},
        ),
        Operation(
            name="inaccessible_literal_rejected",
            query="{ usersByType(type: ANONYMOUS) { id } }",
            status=400,
            errors=[Err(code="GRAPHQL_VALIDATION_FAILED")],
            requests={},
            plan=False,
        ),
        Operation(
            name="inaccessible_variable_rejected",
            query="query($t: UserType!) { usersByType(type: $t) { id } }",
            variables={"t": "ANONYMOUS"},
            status=400,
            errors=[Err(code="VALIDATION_INVALID_TYPE_VARIABLE")],  # see 31_variable_errors
            requests={},
            plan=False,
        ),
        Operation(
            name="introspection_hides_value",
            query='{ __type(name: "UserType") { enumValues { name } } }',
            data={"__type": {"enumValues": [{"name": "REGULAR"}, {"name": "ADMIN"}]}},
            requests={},
        ),
    ],
)
