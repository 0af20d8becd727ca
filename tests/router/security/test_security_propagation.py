"""Subgraph call identity: the router's client-credentials token and the user's headers.

The token client talks to a real RFC 6749 §4.4 token endpoint (aiohttp, free port).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from polyshop.runtime.principal import Principal
from polyshop.runtime.tokens import ClientCredentialsTokenClient, TokenRequestError
from router.security.propagation import (
    USER_ID_HEADER,
    USER_TOKEN_HEADER,
    SubgraphIdentity,
    subgraph_headers,
)
from tests.support.router_security import TokenServer


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def server() -> AsyncIterator[TokenServer]:
    token_server = TokenServer(client_id="router gw", client_secret="s3cret:&=", expires_in=300)
    await token_server.start()
    yield token_server
    await token_server.close()


@pytest_asyncio.fixture
async def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def client(server: TokenServer, clock: Clock) -> AsyncIterator[ClientCredentialsTokenClient]:
    tokens = ClientCredentialsTokenClient(
        server.url, "router gw", "s3cret:&=", scope="products:read orders:read", clock=clock
    )
    yield tokens
    await tokens.aclose()


async def test_fetches_with_client_credentials(
    server: TokenServer, client: ClientCredentialsTokenClient
) -> None:
    assert await client.token() == "service-token-1"
    assert server.requests == [
        {"grant_type": "client_credentials", "scope": "products:read orders:read"}
    ]


async def test_token_is_cached_until_shortly_before_expiry(
    server: TokenServer, client: ClientCredentialsTokenClient, clock: Clock
) -> None:
    assert await client.token() == "service-token-1"
    clock.now += 269  # 300 s token, 30 s margin: still fresh
    assert await client.token() == "service-token-1"
    assert len(server.requests) == 1
    clock.now += 2  # inside the margin: renewed before it expires
    assert await client.token() == "service-token-2"
    assert len(server.requests) == 2


async def test_short_tokens_refresh_at_half_life(server: TokenServer, clock: Clock) -> None:
    server.expires_in = 20
    tokens = ClientCredentialsTokenClient(server.url, "router gw", "s3cret:&=", clock=clock)
    try:
        await tokens.token()
        clock.now += 9
        assert await tokens.token() == "service-token-1"
        clock.now += 2
        assert await tokens.token() == "service-token-2"
    finally:
        await tokens.aclose()


async def test_concurrent_callers_share_one_fetch(
    server: TokenServer, client: ClientCredentialsTokenClient
) -> None:
    tokens = await asyncio.gather(*(client.token() for _ in range(10)))
    assert set(tokens) == {"service-token-1"}
    assert len(server.requests) == 1


async def test_wrong_secret_is_a_clear_error(server: TokenServer) -> None:
    tokens = ClientCredentialsTokenClient(server.url, "router gw", "wrong")
    try:
        with pytest.raises(TokenRequestError, match="401: invalid_client"):
            await tokens.token()
    finally:
        await tokens.aclose()


async def test_outage_serves_the_cached_token_while_it_is_valid(
    server: TokenServer, client: ClientCredentialsTokenClient, clock: Clock
) -> None:
    assert await client.token() == "service-token-1"
    server.fail_with = 503
    clock.now += 280  # due for renewal, not yet expired
    assert await client.token() == "service-token-1"
    clock.now += 30  # expired now
    with pytest.raises(TokenRequestError, match="503: server_error"):
        await client.token()
    server.fail_with = None
    assert await client.token() == "service-token-2"


async def test_unreachable_endpoint(clock: Clock) -> None:
    tokens = ClientCredentialsTokenClient(
        "http://127.0.0.1:9/oauth/token", "a", "b", timeout_seconds=1
    )
    try:
        with pytest.raises(TokenRequestError, match="unreachable"):
            await tokens.token()
    finally:
        await tokens.aclose()


async def test_invalidate_forces_a_new_token(
    server: TokenServer, client: ClientCredentialsTokenClient
) -> None:
    await client.token()
    client.invalidate()
    assert await client.token() == "service-token-2"


# -- headers ----------------------------------------------------------------------------

USER = Principal.from_claims({"sub": "user-42", "scope": "a b"}, token="user.jwt.token")


def test_client_identity_headers_are_always_stripped() -> None:
    spoofed = {
        "x-correlation-id": "c1",
        "X-PolyShop-User-Id": "admin",
        "x-polyshop-user-token": "forged",
        "x-polyshop-anything": "x",
    }
    assert subgraph_headers(spoofed, None, None) == {"x-correlation-id": "c1"}
    headers = subgraph_headers(spoofed, USER, "svc")
    assert headers == {
        "x-correlation-id": "c1",
        "authorization": "Bearer svc",
        USER_TOKEN_HEADER: "user.jwt.token",
        USER_ID_HEADER: "user-42",
    }


def test_service_token_replaces_the_clients_authorization() -> None:
    incoming = {"Authorization": "Bearer user.jwt.token", "x-correlation-id": "c1"}
    headers = subgraph_headers(incoming, USER, "svc")
    assert headers["authorization"] == "Bearer svc"
    assert "Authorization" not in headers
    assert headers[USER_TOKEN_HEADER] == "user.jwt.token"


def test_without_service_credentials_the_users_authorization_passes() -> None:
    incoming = {"authorization": "Bearer user.jwt.token"}
    headers = subgraph_headers(incoming, USER, None)
    assert headers["authorization"] == "Bearer user.jwt.token"
    assert headers[USER_ID_HEADER] == "user-42"


async def test_subgraph_identity_uses_the_token_client(
    server: TokenServer, client: ClientCredentialsTokenClient
) -> None:
    identity = SubgraphIdentity(client)
    first = await identity.headers({"x-polyshop-user-id": "evil"}, USER)
    second = await identity.headers({}, None)
    assert first["authorization"] == second["authorization"] == "Bearer service-token-1"
    assert first[USER_ID_HEADER] == "user-42"
    assert USER_ID_HEADER not in second
    assert len(server.requests) == 1
    assert await SubgraphIdentity().headers({"a": "b"}, None) == {"a": "b"}
