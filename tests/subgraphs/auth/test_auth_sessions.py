"""Refresh-token rotation and family revocation, and login throttling."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest

from subgraphs.auth.clients import create_service_client
from subgraphs.auth.throttle import address_key, forwarded_client
from tests.support.auth_service import (
    ME,
    PASSWORD,
    REFRESH,
    AuthServer,
    GraphQLClient,
    error_codes,
    unique_email,
)


async def test_refresh_rotates_the_token_and_stores_only_hashes(
    gql: GraphQLClient, sql: Any
) -> None:
    session = await gql.register()
    body = await gql(REFRESH, rt=session["refreshToken"])
    assert "errors" not in body, body
    rotated = body["data"]["refreshToken"]
    assert rotated["refreshToken"] != session["refreshToken"]
    assert rotated["user"]["id"] == session["user"]["id"]
    assert (await gql(ME, token=rotated["accessToken"]))["data"]["me"]["id"] == rotated["user"][
        "id"
    ]

    rows = await sql.fetch(
        "SELECT id, token_hash, family_id, revoked, replaced_by FROM refresh_tokens "
        "WHERE user_id = $1::uuid ORDER BY created_at",
        session["user"]["id"],
    )
    old, new = rows
    assert old["token_hash"] == hashlib.sha256(session["refreshToken"].encode()).hexdigest()
    assert old["revoked"] is True
    assert old["replaced_by"] == new["id"]
    assert new["family_id"] == old["family_id"]
    assert new["revoked"] is False
    raw_values = {session["refreshToken"], rotated["refreshToken"]}
    assert raw_values.isdisjoint({r["token_hash"] for r in rows})


async def test_reusing_a_rotated_token_revokes_the_whole_family(
    gql: GraphQLClient, sql: Any
) -> None:
    email = unique_email("reuse")
    stolen = await gql.register(email)
    other_login = (await gql.login(email))["data"]["login"]
    legit = (await gql(REFRESH, rt=stolen["refreshToken"]))["data"]["refreshToken"]

    body = await gql(REFRESH, rt=stolen["refreshToken"])  # the copy is replayed
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "reused"}
    assert error["path"] == ["refreshToken"]

    # The legitimate successor dies with its family, although the operation failed...
    body = await gql(REFRESH, rt=legit["refreshToken"])
    assert body["errors"][0]["extensions"]["reason"] == "reused"
    # ...while the user's other login (another family) is untouched.
    assert "errors" not in await gql(REFRESH, rt=other_login["refreshToken"])
    open_tokens = await sql.fetchval(
        "SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE u.email = $1 AND NOT t.revoked",
        email,
    )
    assert open_tokens == 1


async def test_expired_and_unknown_refresh_tokens_are_refused(gql: GraphQLClient, sql: Any) -> None:
    session = await gql.register()
    await sql.execute(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' "
        "WHERE user_id = $1::uuid",
        session["user"]["id"],
    )
    expired = await gql(REFRESH, rt=session["refreshToken"])
    assert expired["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "expired"}
    unknown = await gql(REFRESH, rt="made-up")
    assert unknown["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "invalid"}


async def test_refresh_picks_up_role_changes(gql: GraphQLClient, sql: Any) -> None:
    session = await gql.register()
    await sql.execute(
        "INSERT INTO user_roles (user_id, role_id) "
        "SELECT $1::uuid, id FROM roles WHERE name = 'admin'",
        session["user"]["id"],
    )
    rotated = (await gql(REFRESH, rt=session["refreshToken"]))["data"]["refreshToken"]
    assert rotated["user"]["roles"] == ["admin", "customer"]


@pytest.fixture(scope="module")
async def router_token(auth_db: str, auth_server: AuthServer, http: httpx.AsyncClient) -> str:
    """A client-credentials token of the ``router`` client: the identity whose
    ``X-Forwarded-For`` auth believes."""
    secret = await create_service_client(auth_db, "router", ["users:read"])
    basic = base64.b64encode(f"router:{secret}".encode()).decode()
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_failed_logins_are_throttled_per_account_and_address(
    gql: GraphQLClient, sql: Any
) -> None:
    email = unique_email("throttle")
    await gql.register(email)
    for _ in range(5):  # the default limit
        assert error_codes(await gql.login(email, "wrong password")) == ["UNAUTHENTICATED"]
    body = await gql.login(email)  # even the right password waits now
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_REQUESTS"
    assert 0 < error["extensions"]["retryAfter"] <= 900
    # The counter was committed although every one of those operations failed.
    key = f"login:{email}|127.0.0.1"
    failures = await sql.fetchval("SELECT failures FROM login_throttle WHERE key = $1", key)
    assert failures == 5
    # Other accounts from the same address are not affected.
    other = unique_email("bystander")
    await gql.register(other)
    assert "errors" not in await gql.login(other)
    # When the window has passed, the account can sign in again.
    await sql.execute(
        "UPDATE login_throttle SET window_started_at = now() - interval '1 hour' WHERE key = $1",
        key,
    )
    assert "errors" not in await gql.login(email)


async def test_a_successful_login_resets_the_email_counter(gql: GraphQLClient) -> None:
    email = unique_email("reset")
    await gql.register(email)
    for _ in range(4):
        await gql.login(email, "wrong password")
    assert "errors" not in await gql.login(email)
    for _ in range(4):
        await gql.login(email, "wrong password")
    assert "errors" not in await gql.login(email, PASSWORD)


async def test_failed_logins_are_throttled_per_client_address(
    gql: GraphQLClient, router_token: str
) -> None:
    """Through the router's identity, the forwarded address is the client's."""
    attacker = {"X-Forwarded-For": "203.0.113.7, 127.0.0.1"}
    for _ in range(20):  # the default per-address limit, spread over many emails
        body = await gql.login(unique_email("spray"), "guess", token=router_token, headers=attacker)
        assert error_codes(body) == ["UNAUTHENTICATED"]
    victim = unique_email("victim")
    await gql.register(victim)
    blocked = await gql.login(victim, token=router_token, headers=attacker)
    assert error_codes(blocked) == ["TOO_MANY_REQUESTS"]
    elsewhere = {"X-Forwarded-For": "198.51.100.1, 127.0.0.1"}
    assert "errors" not in await gql.login(victim, token=router_token, headers=elsewhere)


async def test_forwarded_for_without_the_routers_identity_is_ignored(
    gql: GraphQLClient, sql: Any, router_token: str
) -> None:
    """A caller that is not the router cannot choose the address it is counted under."""
    email = unique_email("spoof")
    await gql.register(email)
    body = await gql.login(email, "guess", headers={"X-Forwarded-For": "192.0.2.99"})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    keys = {
        row["key"]
        for row in await sql.fetch(
            "SELECT key FROM login_throttle WHERE key LIKE $1", f"login:{email}|%"
        )
    }
    assert keys == {f"login:{email}|127.0.0.1"}
    await gql.login(
        email, "guess", token=router_token, headers={"X-Forwarded-For": "192.0.2.99, 127.0.0.1"}
    )
    keys = {
        row["key"]
        for row in await sql.fetch(
            "SELECT key FROM login_throttle WHERE key LIKE $1", f"login:{email}|%"
        )
    }
    assert keys == {f"login:{email}|127.0.0.1", f"login:{email}|192.0.2.99"}


def test_forwarded_client_is_the_leftmost_address() -> None:
    assert forwarded_client("203.0.113.7, 10.0.0.5, 127.0.0.1") == "203.0.113.7"
    assert forwarded_client(" 2001:db8::1 ") == "2001:db8::1"
    assert forwarded_client("not-an-address, 127.0.0.1") is None
    assert forwarded_client(None) is None


def test_ipv6_addresses_are_counted_per_64_prefix() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("192.0.2.1") == "addr:192.0.2.1"
