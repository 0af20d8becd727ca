"""The security layer end to end: settings → real JWKS and token servers → the three hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from graphql import parse

from router.security import (
    USER_ID_HEADER,
    USER_TOKEN_HEADER,
    AuthenticationError,
    SecurityLayer,
    SecuritySettings,
)
from router.supergraph import read_supergraph
from tests.support.keys import TestKeys
from tests.support.router_security import JwksServer, TokenServer, shop_supergraph_sdl


@pytest_asyncio.fixture
async def servers() -> AsyncIterator[tuple[TestKeys, JwksServer, TokenServer]]:
    key = TestKeys.ec("k1")
    jwks = await JwksServer(key).start()
    tokens = await TokenServer().start()
    yield key, jwks, tokens
    await jwks.close()
    await tokens.close()


@pytest_asyncio.fixture
async def layer(
    servers: tuple[TestKeys, JwksServer, TokenServer],
) -> AsyncIterator[SecurityLayer]:
    _, jwks, tokens = servers
    settings = SecuritySettings(
        jwks_urls=(jwks.url,),
        issuers=("polyshop-auth",),
        audiences=("polyshop",),
        token_url=tokens.url,
        client_id="router",
        client_secret="s3cret",
        client_scope="subgraphs",
    )
    security = SecurityLayer(settings)
    await security.start()
    yield security
    await security.aclose()


async def test_request_flow(
    layer: SecurityLayer, servers: tuple[TestKeys, JwksServer, TokenServer]
) -> None:
    key, jwks, tokens = servers
    assert jwks.hits == 1  # loaded at start
    token = key.sign(sub="user-7", scope="read:others")
    principal = await layer.authenticate({"authorization": f"Bearer {token}"})
    assert principal is not None
    assert principal.subject == "user-7"

    supergraph = read_supergraph(shop_supergraph_sdl())
    authorizer = layer.authorizer(supergraph)
    assert layer.authorizer(supergraph) is authorizer
    query = "{ users { username email } me { id } }"
    result = await authorizer.authorize(parse(query), None, principal, cache_key=query)
    assert [e["path"] for e in result.errors()] == [["users", "email"]]

    headers = await layer.subgraph_headers(
        {"authorization": f"Bearer {token}", "x-polyshop-user-id": "spoof"}, principal
    )
    assert headers == {
        "authorization": "Bearer service-token-1",
        USER_TOKEN_HEADER: token,
        USER_ID_HEADER: "user-7",
    }
    assert tokens.requests == [{"grant_type": "client_credentials", "scope": "subgraphs"}]


async def test_invalid_token_stops_at_the_edge(
    layer: SecurityLayer, servers: tuple[TestKeys, JwksServer, TokenServer]
) -> None:
    key, _, _ = servers
    with pytest.raises(AuthenticationError) as caught:
        await layer.authenticate({"authorization": f"Bearer {key.sign(aud='other')}"})
    assert caught.value.status == 401
    assert caught.value.body() == {
        "errors": [
            {
                "message": "Invalid token: invalid audience",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    assert await layer.authenticate({}) is None


async def test_without_jwks_tokens_are_not_read() -> None:
    security = SecurityLayer(SecuritySettings())
    await security.start()
    try:
        assert await security.authenticate({"authorization": "Bearer whatever"}) is None
        assert await security.subgraph_headers({"x-polyshop-user-id": "x", "a": "1"}, None) == {
            "a": "1"
        }
    finally:
        await security.aclose()


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_AUTH_JWKS_URLS", "http://a/jwks.json, http://b/jwks.json")
    monkeypatch.setenv("POLYSHOP_ROUTER_AUTH_AUDIENCES", '["polyshop"]')
    monkeypatch.setenv("POLYSHOP_ROUTER_AUTH_REJECT_UNAUTHORIZED", "true")
    monkeypatch.setenv("POLYSHOP_ROUTER_AUTH_CLIENT_SECRET", "hidden")
    settings = SecuritySettings()
    assert settings.jwks_urls == ("http://a/jwks.json", "http://b/jwks.json")
    assert settings.audiences == ("polyshop",)
    assert settings.reject_unauthorized
    assert "hidden" not in repr(settings)
    assert not settings.service_credentials
