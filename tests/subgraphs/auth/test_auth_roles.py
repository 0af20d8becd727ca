"""Admin role management, who may read a user's email, and `User` as a federation entity."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.auth.clients import create_service_client
from tests.support.auth_service import (
    REFRESH,
    AuthServer,
    GraphQLClient,
    error_codes,
    unique_email,
)

GRANT = """
mutation($userId: ID!, $role: String!) { grantRole(userId: $userId, role: $role) { id roles } }
"""
REVOKE = """
mutation($userId: ID!, $role: String!) { revokeRole(userId: $userId, role: $role) { id roles } }
"""
USER = "query($id: ID!) { user(id: $id) { id name email } }"
ENTITIES = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id name roles } } }
"""


@pytest.fixture(scope="module")
async def admin(gql: GraphQLClient, sql: Any) -> dict[str, Any]:
    email = unique_email("admin")
    registered = await gql.register(email)
    await sql.execute(
        "INSERT INTO user_roles (user_id, role_id) "
        "SELECT $1::uuid, id FROM roles WHERE name = 'admin'",
        registered["user"]["id"],
    )
    session: dict[str, Any] = (await gql.login(email))["data"]["login"]
    assert session["user"]["roles"] == ["admin", "customer"]
    return session


@pytest.fixture(scope="module")
async def service_token(auth_db: str, auth_server: AuthServer, http: Any) -> str:
    secret = await create_service_client(auth_db, "notifications", ["users:read"])
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("notifications", secret),
    )
    token: str = response.json()["access_token"]
    return token


async def test_an_admin_grants_and_revokes_roles(gql: GraphQLClient, admin: dict[str, Any]) -> None:
    user = await gql.register()
    user_id = user["user"]["id"]
    granted = await gql(GRANT, token=admin["accessToken"], userId=user_id, role="admin")
    assert granted["data"] == {"grantRole": {"id": user_id, "roles": ["admin", "customer"]}}
    # the router's entity cache drops the user's cached account before it answers
    assert granted["extensions"] == {
        "invalidation": [{"kind": "entity", "type": "User", "key": {"id": user_id}}]
    }
    again = await gql(GRANT, token=admin["accessToken"], userId=user_id, role="admin")
    assert again["data"]["grantRole"]["roles"] == ["admin", "customer"]  # idempotent

    # The new role shows in the user's next token, and with it the admin's powers.
    refreshed = (await gql(REFRESH, rt=user["refreshToken"]))["data"]["refreshToken"]
    other = await gql.register()
    body = await gql(
        GRANT, token=refreshed["accessToken"], userId=other["user"]["id"], role="admin"
    )
    assert "errors" not in body, body

    revoked = await gql(REVOKE, token=admin["accessToken"], userId=user_id, role="admin")
    assert revoked["data"] == {"revokeRole": {"id": user_id, "roles": ["customer"]}}


@pytest.mark.parametrize("who", ["anonymous", "customer", "service"])
async def test_only_admins_may_grant(gql: GraphQLClient, service_token: str, who: str) -> None:
    target = await gql.register()
    token = {
        "anonymous": None,
        "customer": target["accessToken"],
        "service": service_token,
    }[who]
    body = await gql(GRANT, token=token, userId=target["user"]["id"], role="admin")
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN"]
    assert body["errors"][0]["path"] == ["grantRole"]


async def test_grant_and_revoke_validate_their_input(
    gql: GraphQLClient, admin: dict[str, Any]
) -> None:
    token = admin["accessToken"]
    user_id = (await gql.register())["user"]["id"]
    unknown_role = await gql(GRANT, token=token, userId=user_id, role="emperor")
    assert unknown_role["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "role"}
    for missing in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        body = await gql(GRANT, token=token, userId=missing, role="admin")
        assert error_codes(body) == ["NOT_FOUND"]


async def test_the_last_admin_keeps_the_role(
    gql: GraphQLClient, admin: dict[str, Any], sql: Any
) -> None:
    # Leave exactly one admin in this module's database.
    await sql.execute(
        "DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin') "
        "AND user_id <> $1::uuid",
        admin["user"]["id"],
    )
    body = await gql(REVOKE, token=admin["accessToken"], userId=admin["user"]["id"], role="admin")
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "role"}


async def test_email_is_visible_to_the_user_admins_and_services_only(
    gql: GraphQLClient, admin: dict[str, Any], service_token: str
) -> None:
    owner = await gql.register()
    stranger = await gql.register()
    user_id = owner["user"]["id"]
    for token in (owner["accessToken"], admin["accessToken"], service_token):
        body = await gql(USER, token=token, id=user_id)
        assert body == {
            "data": {"user": {"id": user_id, "name": "T", "email": owner["user"]["email"]}}
        }
    body = await gql(USER, token=stranger["accessToken"], id=user_id)
    assert body["data"] == {"user": {"id": user_id, "name": "T", "email": None}}
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert error["path"] == ["user", "email"]
    anonymous = await gql(USER, id=user_id)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_users_resolve_as_entities_for_authenticated_callers(
    gql: GraphQLClient, service_token: str
) -> None:
    first, second = await gql.register(), await gql.register()
    reps = [
        {"__typename": "User", "id": second["user"]["id"]},
        {"__typename": "User", "id": "00000000-0000-4000-8000-000000000000"},
        {"__typename": "User", "id": first["user"]["id"]},
    ]
    body = await gql(ENTITIES, token=service_token, reps=reps)
    assert body == {
        "data": {
            "_entities": [
                {"id": second["user"]["id"], "name": "T", "roles": ["customer"]},
                None,
                {"id": first["user"]["id"], "name": "T", "roles": ["customer"]},
            ]
        }
    }
    anonymous = await gql(ENTITIES, reps=reps[:1])
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
