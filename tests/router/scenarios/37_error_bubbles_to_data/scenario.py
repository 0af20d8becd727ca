"""A non-null chain up to the root (`shop: Shop!` → `owner: User!` → `email: String!`): an
error on `email` nulls `data` itself, even the sibling root field that succeeded."""

from typing import Any

from graphql import GraphQLError

from tests.support.subgraph_server import SubgraphSpec

from ..model import Err, Operation, Scenario


def email(user: dict[str, Any], _info: Any) -> str:
    raise GraphQLError("email hidden", extensions={"code": "EMAIL_HIDDEN"})


SCENARIO = Scenario(
    description=__doc__ or "",
    subgraphs=[
        SubgraphSpec(
            "shop",
            resolvers={
                "Query": {
                    "shop": lambda _p, _i: {"name": "Corner", "owner": {"id": "u1"}},
                    "motd": lambda _p, _i: "hello",
                }
            },
        ),
        SubgraphSpec(
            "users",
            resolvers={"User": {"email": email}},
            entities={"User": lambda rep, _i: {"id": rep["id"]}},
        ),
    ],
    operations=[
        Operation(
            name="data_nulled",
            query="{ motd shop { name owner { email } } }",
            data=None,
            errors=[
                Err(code="EMAIL_HIDDEN", message="email hidden", path=["shop", "owner", "email"])
            ],
            requests={"shop": 1, "users": 1},
        ),
        Operation(
            name="without_the_failing_field",
            query="{ motd shop { name owner { id } } }",
            data={"motd": "hello", "shop": {"name": "Corner", "owner": {"id": "u1"}}},
            requests={"shop": 1},
        ),
    ],
)
