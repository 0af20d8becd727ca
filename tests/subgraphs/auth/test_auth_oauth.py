"""POST /oauth/token (client credentials, RFC 6749 §4.4/§5) and the kit's token client."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import httpx
import pytest

from subgraphs.auth.clients import create_service_client
from subgraphs.kit.auth import (
    ClientCredentialsTokenClient,
    JwksKeySet,
    TokenRequestError,
    token_verifier,
)
from subgraphs.kit.errors import BadUserInput
from tests.support.auth_service import AuthServer

SCOPES = ["orders:read", "products:read", "users:read"]


@pytest.fixture(scope="module")
async def client_secret(auth_db: str, auth_server: AuthServer) -> str:
    return await create_service_client(auth_db, "orders-svc", SCOPES, description="orders")


def basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def token_request(
    http: httpx.AsyncClient, form: dict[str, str] | str, headers: dict[str, str] | None = None
) -> httpx.Response:
    if isinstance(form, str):
        content_type = {"Content-Type": "application/x-www-form-urlencoded"}
        return await http.post(
            "/oauth/token", content=form, headers={**content_type, **(headers or {})}
        )
    return await http.post("/oauth/token", data=form, headers=headers or {})


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"].startswith("application/json")


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert_no_store(response)
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str)


async def test_basic_authentication_gets_all_allowed_scopes(
    http: httpx.AsyncClient, client_secret: str, auth_server: AuthServer
) -> None:
    response = await token_request(
        http, {"grant_type": "client_credentials"}, basic("orders-svc", client_secret)
    )
    assert response.status_code == 200, response.text
    assert_no_store(response)
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == " ".join(SCOPES)
    cache = JwksKeySet(auth_server.jwks_url)
    try:
        verifier = token_verifier(cache, issuer="polyshop-auth", audience="polyshop")
        identity = await verifier.verify(body["access_token"])
    finally:
        await cache.aclose()
    assert identity.is_service
    assert identity.client_id == "orders-svc"
    assert identity.scopes == set(SCOPES)
    assert identity.roles == frozenset()


async def test_body_credentials_and_a_narrower_scope(
    http: httpx.AsyncClient, client_secret: str
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "orders-svc",
        "client_secret": client_secret,
        "scope": "products:read",
    }
    response = await token_request(http, form)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "products:read"


@pytest.mark.parametrize(
    "scope",
    ["products:write", "products:read admin", 'bad"scope', "back\\slash"],
)
async def test_scopes_beyond_the_allowed_ones_are_invalid_scope(
    http: httpx.AsyncClient, client_secret: str, scope: str
) -> None:
    form = {"grant_type": "client_credentials", "scope": scope}
    response = await token_request(http, form, basic("orders-svc", client_secret))
    assert_error(response, 400, "invalid_scope")


async def test_other_grant_types_are_unsupported(
    http: httpx.AsyncClient, client_secret: str
) -> None:
    form = {"grant_type": "password", "username": "a", "password": "b"}
    response = await token_request(http, form, basic("orders-svc", client_secret))
    assert_error(response, 400, "unsupported_grant_type")


async def test_wrong_secret_with_basic_is_401_with_a_challenge(
    http: httpx.AsyncClient, client_secret: str
) -> None:
    response = await token_request(
        http, {"grant_type": "client_credentials"}, basic("orders-svc", client_secret + "x")
    )
    assert_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith('Basic realm="polyshop"')


@pytest.mark.parametrize(
    ("form", "headers"),
    [
        ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}, {}),
        ({"grant_type": "client_credentials"}, {}),
        ({"grant_type": "client_credentials"}, {"Authorization": "Basic !!!not-base64"}),
        ({"grant_type": "client_credentials"}, {"Authorization": "Bearer abc"}),
    ],
)
async def test_unknown_or_missing_clients_are_invalid_client(
    http: httpx.AsyncClient, form: dict[str, str], headers: dict[str, str]
) -> None:
    assert_error(await token_request(http, form, headers), 401, "invalid_client")


async def test_an_inactive_client_is_invalid_client(
    http: httpx.AsyncClient, auth_db: str, sql: Any
) -> None:
    secret = await create_service_client(auth_db, "retired-svc", ["products:read"])
    await sql.execute("UPDATE service_clients SET active = false WHERE client_id = 'retired-svc'")
    response = await token_request(
        http, {"grant_type": "client_credentials"}, basic("retired-svc", secret)
    )
    assert_error(response, 401, "invalid_client")


async def test_malformed_requests_are_invalid_request(
    http: httpx.AsyncClient, client_secret: str
) -> None:
    auth = basic("orders-svc", client_secret)
    missing_grant = await token_request(http, {"scope": "products:read"}, auth)
    assert_error(missing_grant, 400, "invalid_request")
    repeated = await token_request(http, "grant_type=client_credentials&scope=a&scope=b", auth)
    assert_error(repeated, 400, "invalid_request")
    assert "scope" in repeated.json()["error_description"]
    two_methods = await token_request(
        http,
        {"grant_type": "client_credentials", "client_id": "orders-svc", "client_secret": "x"},
        auth,
    )
    assert_error(two_methods, 400, "invalid_request")
    as_json = await http.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, headers=auth
    )
    assert_error(as_json, 400, "invalid_request")


async def test_the_token_endpoint_only_takes_post(http: httpx.AsyncClient) -> None:
    assert (await http.get("/oauth/token")).status_code == 405


async def test_created_clients_keep_only_a_hash_and_unique_ids(
    auth_db: str, sql: Any, client_secret: str
) -> None:
    stored = await sql.fetchval(
        "SELECT secret_hash FROM service_clients WHERE client_id = 'orders-svc'"
    )
    assert stored == hashlib.sha256(client_secret.encode()).hexdigest()
    assert len(client_secret) >= 43  # 256 bits, url-safe base64
    with pytest.raises(BadUserInput, match="already exists"):
        await create_service_client(auth_db, "orders-svc", ["x"])
    with pytest.raises(BadUserInput, match="client id"):
        await create_service_client(auth_db, "has spaces", ["x"])


async def test_the_token_client_caches_until_shortly_before_expiry(
    auth_server: AuthServer, client_secret: str
) -> None:
    now = [0.0]
    token_client = ClientCredentialsTokenClient(
        f"{auth_server.url}/oauth/token",
        "orders-svc",
        client_secret,
        scope="products:read",
        clock=lambda: now[0],
    )
    try:
        first = await token_client.token()
        assert await token_client.token() == first
        assert token_client.fetch_count == 1
        now[0] += 900 - 31  # still more than the 30 s margin left
        assert await token_client.token() == first
        now[0] += 2  # inside the margin: fetch a new one
        second = await token_client.token()
        assert token_client.fetch_count == 2
        assert second != first
        assert await token_client.authorization() == {"Authorization": f"Bearer {second}"}
        token_client.invalidate()
        await token_client.token()
        assert token_client.fetch_count == 3
    finally:
        await token_client.aclose()


async def test_concurrent_callers_share_one_token_fetch(
    auth_server: AuthServer, client_secret: str
) -> None:
    token_client = ClientCredentialsTokenClient(
        f"{auth_server.url}/oauth/token", "orders-svc", client_secret
    )
    try:
        tokens = await asyncio.gather(*(token_client.token() for _ in range(10)))
    finally:
        await token_client.aclose()
    assert len(set(tokens)) == 1
    assert token_client.fetch_count == 1


async def test_the_token_client_reports_refusals(auth_server: AuthServer) -> None:
    client = ClientCredentialsTokenClient(
        f"{auth_server.url}/oauth/token", "orders-svc", "wrong secret"
    )
    try:
        with pytest.raises(TokenRequestError) as caught:
            await client.token()
    finally:
        await client.aclose()
    assert caught.value.error == "invalid_client"
    assert caught.value.status == 401
