"""The auth service in dev mode, served by a real uvicorn: a NUL character anywhere in
``register`` is ``BAD_USER_INPUT`` and writes nothing, and no reply carries SQL, its
parameters or the password's argon2 hash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from subgraphs.auth.settings import AuthSettings
from tests.support.auth_service import (
    PASSWORD,
    REGISTER,
    GraphQLClient,
    fast_settings,
    serve_auth,
    unique_email,
)


@pytest.fixture(scope="module")
def auth_settings(auth_db: str) -> AuthSettings:
    return fast_settings(auth_db, dev_mode=True)


@pytest.fixture(scope="module")
async def dev_gql(auth_settings: AuthSettings) -> AsyncIterator[GraphQLClient]:
    async with (
        serve_auth(auth_settings) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        yield GraphQLClient(http)


@pytest.mark.parametrize("field", ["email", "password", "name"])
async def test_nul_in_register_is_bad_user_input_and_leaks_nothing(
    dev_gql: GraphQLClient, sql: Any, field: str
) -> None:
    email = unique_email()
    values = {"email": email, "password": PASSWORD, "name": "Nul"}
    values[field] = values[field][:3] + "\x00" + values[field][3:]
    body = await dev_gql(REGISTER, input=values)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
    text = str(body)
    for leak in ("argon2", "INSERT", "SELECT", "Traceback", PASSWORD):
        assert leak not in text
    users = await sql.fetchval(
        "SELECT count(*) FROM users WHERE email = $1", email.replace("\x00", "")
    )
    assert users == 0
