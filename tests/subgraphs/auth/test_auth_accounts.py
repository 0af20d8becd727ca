"""Accounts over GraphQL: register, login, me, changePassword, logout, password hashing."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.auth.passwords import Passwords
from tests.support.auth_service import (
    CHANGE_PASSWORD,
    LOGIN,
    LOGOUT,
    ME,
    PASSWORD,
    REFRESH,
    AuthServer,
    GraphQLClient,
    error_codes,
    unique_email,
)


async def test_register_returns_a_session_and_me_answers_with_its_token(gql: GraphQLClient) -> None:
    email = unique_email("reg")
    payload = await gql.register(email.upper())  # stored lower-cased
    assert payload["tokenType"] == "Bearer"
    assert payload["expiresIn"] == 900
    assert payload["user"]["email"] == email
    assert payload["user"]["roles"] == ["customer"]
    body = await gql(ME, token=payload["accessToken"])
    assert body == {"data": {"me": payload["user"]}}


async def test_me_is_null_without_a_token_and_ignores_a_garbage_token(gql: GraphQLClient) -> None:
    assert await gql(ME) == {"data": {"me": None}}
    assert await gql(ME, token="not-a-jwt") == {"data": {"me": None}}


async def test_register_stores_an_argon2id_hash(gql: GraphQLClient, sql: Any) -> None:
    email = unique_email("hash")
    await gql.register(email)
    stored = await sql.fetchval("SELECT password_hash FROM users WHERE email = $1", email)
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "name": "X"}, "email"),
        ({"email": "short@example.com", "password": "short", "name": "X"}, "password"),
        ({"email": "blank@example.com", "password": PASSWORD, "name": "   "}, "name"),
        ({"email": "same@example.com", "password": "same@example.com", "name": "X"}, "password"),
    ],
)
async def test_register_rejects_bad_input(
    gql: GraphQLClient, variables: dict[str, str], field: str
) -> None:
    body = await gql(
        "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
        input=variables,
    )
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["path"] == ["register"]


async def test_register_twice_with_one_email_is_refused(gql: GraphQLClient, sql: Any) -> None:
    email = unique_email("dup")
    await gql.register(email)
    body = await gql(
        "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
        input={"email": email, "password": PASSWORD, "name": "Again"},
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await sql.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 1


async def test_login_with_the_right_password_and_any_email_case(gql: GraphQLClient) -> None:
    email = unique_email("login")
    registered = await gql.register(email)
    body = await gql.login(email.upper())
    assert "errors" not in body, body
    assert body["data"]["login"]["user"]["id"] == registered["user"]["id"]
    assert body["data"]["login"]["refreshToken"] != registered["refreshToken"]


async def test_login_failures_look_the_same_for_unknown_and_known_emails(
    gql: GraphQLClient,
) -> None:
    email = unique_email("known")
    await gql.register(email)
    wrong_password = await gql.login(email, "wrong password!")
    unknown_email = await gql.login(unique_email("nobody"), "wrong password!")
    for body in (wrong_password, unknown_email):
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["message"] == "Invalid email or password"
        assert error["extensions"] == {"code": "UNAUTHENTICATED"}


class RecordingPasswords(Passwords):
    """The real hasher, noting which hashes it verified against."""

    def __init__(self, real: Passwords) -> None:
        self.__dict__.update(real.__dict__)
        self.verified: list[str] = []

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return await super().verify(password_hash, password)


async def test_unknown_email_still_verifies_against_the_dummy_hash(
    gql: GraphQLClient, auth_server: AuthServer, sql: Any
) -> None:
    runtime = auth_server.runtime
    real = runtime.passwords
    recording = RecordingPasswords(real)
    runtime.passwords = recording
    try:
        email = unique_email("timing")
        await gql.register(email)
        await gql.login(unique_email("ghost"), "some password")
        await gql.login(email, "some password")
    finally:
        runtime.passwords = real
    dummy = await real.dummy_hash()
    stored = await sql.fetchval("SELECT password_hash FROM users WHERE email = $1", email)
    assert recording.verified == [dummy, stored]
    # Same algorithm and cost parameters, so both verifications cost the same.
    assert dummy.rsplit("$", 2)[0] == stored.rsplit("$", 2)[0]


async def test_login_rehashes_a_password_hashed_with_old_parameters(
    gql: GraphQLClient, sql: Any
) -> None:
    email = unique_email("rehash")
    await gql.register(email)
    old = Passwords(time_cost=1, memory_kib=512, parallelism=1)
    await sql.execute(
        "UPDATE users SET password_hash = $1 WHERE email = $2", await old.hash(PASSWORD), email
    )
    body = await gql.login(email)
    assert "errors" not in body, body
    stored = await sql.fetchval("SELECT password_hash FROM users WHERE email = $1", email)
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")


async def test_change_password_needs_a_user_token(gql: GraphQLClient) -> None:
    body = await gql(CHANGE_PASSWORD, current=PASSWORD, new="another password")
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_change_password_checks_the_current_one(gql: GraphQLClient) -> None:
    session = await gql.register()
    body = await gql(
        CHANGE_PASSWORD, token=session["accessToken"], current="wrong one!", new="another pass"
    )
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "currentPassword"}


async def test_change_password_switches_passwords_and_ends_other_sessions(
    gql: GraphQLClient,
) -> None:
    email = unique_email("change")
    first = await gql.register(email)
    second = (await gql.login(email))["data"]["login"]
    body = await gql(
        CHANGE_PASSWORD, token=first["accessToken"], current=PASSWORD, new="a brand new secret"
    )
    assert "errors" not in body, body
    fresh = body["data"]["changePassword"]
    assert error_codes(await gql.login(email)) == ["UNAUTHENTICATED"]
    assert "errors" not in await gql.login(email, "a brand new secret")
    for old in (first, second):
        assert error_codes(await gql(REFRESH, rt=old["refreshToken"])) == ["UNAUTHENTICATED"]
    assert "errors" not in await gql(REFRESH, rt=fresh["refreshToken"])


async def test_logout_ends_one_session_and_reports_repeats(gql: GraphQLClient) -> None:
    email = unique_email("logout")
    first = await gql.register(email)
    second = (await gql.login(email))["data"]["login"]
    assert await gql(LOGOUT, rt=first["refreshToken"]) == {"data": {"logout": True}}
    assert await gql(LOGOUT, rt=first["refreshToken"]) == {"data": {"logout": False}}
    assert await gql(LOGOUT, rt="never issued") == {"data": {"logout": False}}
    assert error_codes(await gql(REFRESH, rt=first["refreshToken"])) == ["UNAUTHENTICATED"]
    assert "errors" not in await gql(REFRESH, rt=second["refreshToken"])


async def test_logout_of_all_sessions(gql: GraphQLClient) -> None:
    email = unique_email("logoutall")
    first = await gql.register(email)
    second = (await gql.login(email))["data"]["login"]
    assert await gql(LOGOUT, rt=first["refreshToken"], all=True) == {"data": {"logout": True}}
    assert error_codes(await gql(REFRESH, rt=second["refreshToken"])) == ["UNAUTHENTICATED"]


async def test_login_query_document_is_exported(gql: GraphQLClient) -> None:
    # The helpers' documents are the ones a client would send; keep them valid.
    body = await gql(LOGIN, email="", password="")
    assert error_codes(body) == ["BAD_USER_INPUT"]
