"""The kit's token verification against the running auth service's JWKS (real HTTP)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec

from polyshop.devstack.ports import free_port
from subgraphs.kit.auth import (
    InvalidToken,
    JwksKeySet,
    JwtVerifier,
    KeysUnavailable,
    token_verifier,
)
from tests.support.auth_service import AuthServer, GraphQLClient


@pytest.fixture
async def jwks(auth_server: AuthServer) -> AsyncIterator[JwksKeySet]:
    cache = JwksKeySet(auth_server.jwks_url)
    yield cache
    await cache.aclose()


@pytest.fixture
def verifier(auth_server: AuthServer, jwks: JwksKeySet) -> JwtVerifier:
    return token_verifier(
        jwks,
        issuer=auth_server.settings.auth_issuer,
        audience=auth_server.settings.auth_audience,
        leeway_seconds=5,
    )


def claims(server: AuthServer, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "7b0c5a8e-0000-4000-8000-000000000001",
        "iss": server.settings.auth_issuer,
        "aud": server.settings.auth_audience,
        "iat": now,
        "exp": now + 300,
        "scope": "orders:read profile",
        "roles": ["customer"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


async def signed(server: AuthServer, **overrides: Any) -> str:
    return await server.runtime.keyring.sign(claims(server, **overrides))


async def test_a_user_token_becomes_a_user_identity(
    gql: GraphQLClient, verifier: JwtVerifier
) -> None:
    session = await gql.register()
    identity = await verifier.verify(session["accessToken"])
    assert identity.subject == session["user"]["id"]
    assert identity.user_id == session["user"]["id"]
    assert identity.roles == {"customer"}
    assert identity.scopes == {"profile", "orders:read", "orders:write", "payments:write"}
    assert identity.client_id is None
    assert not identity.is_service


async def test_a_service_token_becomes_a_service_identity(
    auth_server: AuthServer, verifier: JwtVerifier
) -> None:
    token = await signed(auth_server, sub="orders", client_id="orders", roles=[])
    identity = await verifier.verify(token)
    assert identity.is_service
    assert identity.client_id == "orders"
    assert identity.user_id is None


def in_seconds(offset: int) -> Callable[[], int]:
    """A time claim computed when the test runs (collection may be minutes earlier)."""
    return lambda: int(time.time()) + offset


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": in_seconds(-60)}, "expired"),
        ({"aud": "another-api"}, "audience"),
        ({"iss": "someone-else"}, "issuer"),
        ({"exp": None}, "'exp'"),
        ({"sub": None}, "'sub'"),
        ({"nbf": in_seconds(600)}, "not yet valid"),
    ],
)
async def test_bad_claims_are_rejected(
    auth_server: AuthServer, verifier: JwtVerifier, overrides: dict[str, Any], reason: str
) -> None:
    claims = {key: value() if callable(value) else value for key, value in overrides.items()}
    with pytest.raises(InvalidToken, match=reason):
        await verifier.verify(await signed(auth_server, **claims))


async def test_a_token_within_the_leeway_is_accepted(
    auth_server: AuthServer, verifier: JwtVerifier
) -> None:
    token = await signed(auth_server, exp=int(time.time()) - 2)  # leeway is 5 s
    assert (await verifier.verify(token)).roles == {"customer"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_a_tampered_payload_fails_the_signature(
    auth_server: AuthServer, verifier: JwtVerifier
) -> None:
    header, _, signature = (await signed(auth_server)).split(".")
    forged = _b64(json.dumps(claims(auth_server, roles=["admin"])).encode())
    with pytest.raises(InvalidToken, match="signature"):
        await verifier.verify(f"{header}.{forged}.{signature}")


async def test_unknown_kids_refetch_the_jwks_at_most_once_per_cooldown(
    auth_server: AuthServer,
) -> None:
    now = [1000.0]
    cache = JwksKeySet(auth_server.jwks_url, min_refresh_seconds=10, clock=lambda: now[0])
    verifier = token_verifier(
        cache, issuer=auth_server.settings.auth_issuer, audience=auth_server.settings.auth_audience
    )
    foreign = ec.generate_private_key(ec.SECP256R1())

    def made_up(kid: str) -> str:
        return jwt.encode(claims(auth_server), foreign, "ES256", headers={"kid": kid})

    try:
        await verifier.verify(await signed(auth_server))
        assert cache.fetch_count == 1
        for attempt in range(5):  # a flood of made-up kids right after a fetch
            with pytest.raises(InvalidToken, match="no signing key"):
                await verifier.verify(made_up(f"evil-{attempt}"))
        assert cache.fetch_count == 1
        now[0] += 11  # the cooldown has passed: one refetch, then quiet again
        for attempt in range(5):
            with pytest.raises(InvalidToken, match="no signing key"):
                await verifier.verify(made_up(f"later-{attempt}"))
        assert cache.fetch_count == 2
    finally:
        await cache.aclose()


async def test_a_foreign_key_claiming_our_kid_fails_the_signature(
    auth_server: AuthServer, verifier: JwtVerifier
) -> None:
    kid = (await auth_server.runtime.keyring.current()).kid
    foreign = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(auth_server), foreign, "ES256", headers={"kid": kid})
    with pytest.raises(InvalidToken, match="signature"):
        await verifier.verify(token)


async def test_symmetric_and_unsigned_tokens_are_refused(
    auth_server: AuthServer, verifier: JwtVerifier
) -> None:
    kid = (await auth_server.runtime.keyring.current()).kid
    hs256 = jwt.encode(claims(auth_server), "x" * 32, "HS256", headers={"kid": kid})
    unsigned = jwt.encode(claims(auth_server), None, "none", headers={"kid": kid})
    for token in (hs256, unsigned, "not.a.jwt", ""):
        with pytest.raises(InvalidToken):
            await verifier.verify(token)


async def test_an_unknown_kid_after_rotation_is_fetched(
    auth_server: AuthServer, gql: GraphQLClient
) -> None:
    cache = JwksKeySet(auth_server.jwks_url, cache_seconds=3600, min_refresh_seconds=0)
    verifier = token_verifier(
        cache, issuer=auth_server.settings.auth_issuer, audience=auth_server.settings.auth_audience
    )
    try:
        await verifier.verify(await signed(auth_server))
        await auth_server.runtime.keyring.rotate()
        identity = await verifier.verify(await signed(auth_server, sub="after-rotation"))
        assert identity.subject == "after-rotation"
        assert cache.fetch_count == 2
    finally:
        await cache.aclose()


async def test_an_unreachable_jwks_is_keys_unavailable() -> None:
    cache = JwksKeySet(f"http://127.0.0.1:{free_port()}/.well-known/jwks.json", timeout_seconds=2)
    verifier = token_verifier(cache, issuer="polyshop-auth", audience="polyshop")
    token = jwt.encode({"sub": "x"}, ec.generate_private_key(ec.SECP256R1()), "ES256", {"kid": "k"})
    try:
        with pytest.raises(KeysUnavailable):
            await verifier.verify(token)
    finally:
        await cache.aclose()


async def test_an_issuer_that_comes_up_late_is_fetched_at_the_next_lookup(
    auth_server: AuthServer,
) -> None:
    """A service starting before auth (``polyshop up`` starts them together) fails its first
    fetch; the first token after auth answers must verify, not wait out the cooldown (the
    clock is frozen, so only "never fetched means try again" lets it through)."""
    issuer_up = False

    async def jwks_document(request: web.Request) -> web.Response:
        if not issuer_up:
            return web.Response(status=503)
        async with aiohttp.ClientSession() as session, session.get(auth_server.jwks_url) as got:
            return web.Response(body=await got.read(), content_type="application/json")

    app = web.Application()
    app.router.add_get("/jwks.json", jwks_document)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    cache = JwksKeySet(
        f"http://127.0.0.1:{port}/jwks.json", min_refresh_seconds=10, clock=lambda: 1000.0
    )
    verifier = token_verifier(
        cache, issuer=auth_server.settings.auth_issuer, audience=auth_server.settings.auth_audience
    )
    try:
        await cache.start()  # the issuer is not up yet: nothing fetched
        assert cache.fetch_count == 1
        assert cache.kids == frozenset()
        with pytest.raises(KeysUnavailable):
            await verifier.verify(await signed(auth_server))
        issuer_up = True
        principal = await verifier.verify(await signed(auth_server, sub="first-after-start"))
        assert principal.subject == "first-after-start"
        assert cache.fetch_count == 3
        await verifier.verify(await signed(auth_server))  # fetched now: served from the cache
        assert cache.fetch_count == 3
    finally:
        await cache.aclose()
        await runner.cleanup()


def test_a_verifier_refuses_symmetric_algorithms() -> None:
    cache = JwksKeySet("http://127.0.0.1:1/jwks.json")
    with pytest.raises(ValueError, match="asymmetric"):
        token_verifier(cache, issuer="i", audience="a", algorithms=["HS256"])
