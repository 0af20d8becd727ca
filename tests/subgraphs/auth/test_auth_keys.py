"""Signing keys: JWKS contents, rotation with overlap, retirement, RS256, encryption at rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from subgraphs.auth.keys import rotate_signing_key
from subgraphs.kit.auth import InvalidToken, JwksKeySet, JwtVerifier, token_verifier
from tests.support.auth_service import (
    ME,
    AuthServer,
    GraphQLClient,
    fast_settings,
    serve_auth,
)


def verifier_for(server: AuthServer) -> JwtVerifier:
    return token_verifier(
        JwksKeySet(server.jwks_url, min_refresh_seconds=0),
        issuer=server.settings.auth_issuer,
        audience=server.settings.auth_audience,
    )


@pytest.fixture
async def verifier(auth_server: AuthServer) -> AsyncIterator[JwtVerifier]:
    verifier = verifier_for(auth_server)
    yield verifier
    await verifier.aclose()


async def jwks(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    assert response.headers["cache-control"] == "public, max-age=300"
    body: dict[str, Any] = response.json()
    return body


async def test_jwks_publishes_the_public_signing_key_only(
    http: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    (key,) = (await jwks(http))["keys"]
    assert key["kty"] == "EC"
    assert key["crv"] == "P-256"
    assert key["alg"] == "ES256"
    assert key["use"] == "sig"
    assert "d" not in key  # no private part
    token = (await gql.register())["accessToken"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": key["kid"], "typ": "at+jwt"}


async def test_rotation_keeps_old_tokens_valid_until_the_old_key_retires(
    auth_server: AuthServer,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    verifier: JwtVerifier,
    sql: Any,
) -> None:
    session = await gql.register()
    old_token = session["accessToken"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    assert (await verifier.verify(old_token)).subject == session["user"]["id"]

    new_key = await auth_server.runtime.keyring.rotate()
    assert new_key.kid != old_kid
    assert {k["kid"] for k in (await jwks(http))["keys"]} == {old_kid, new_key.kid}

    fresh = (await gql.login(session["user"]["email"]))["data"]["login"]["accessToken"]
    assert jwt.get_unverified_header(fresh)["kid"] == new_key.kid
    # Both verify: the old token during the overlap, the new one after a refetch on its kid.
    assert (await verifier.verify(old_token)).subject == session["user"]["id"]
    assert (await verifier.verify(fresh)).subject == session["user"]["id"]
    assert (await gql(ME, token=old_token))["data"]["me"]["id"] == session["user"]["id"]

    # The overlap ends: the old key leaves the JWKS and its tokens stop verifying.
    await retire(auth_server, sql, old_kid)
    assert [k["kid"] for k in (await jwks(http))["keys"]] == [new_key.kid]
    rejecting = verifier_for(auth_server)
    try:
        with pytest.raises(InvalidToken, match="no signing key"):
            await rejecting.verify(old_token)
    finally:
        await rejecting.aclose()


async def retire(server: AuthServer, sql: Any, kid: str) -> None:
    """Moves the key's publication end into the past, as time passing would."""
    await sql.execute(
        "UPDATE signing_keys SET publish_until = now() - interval '1 second' WHERE kid = $1", kid
    )
    await server.runtime.keyring.reload()


async def test_retired_key_stays_published_for_the_token_lifetime_and_more(
    auth_server: AuthServer, sql: Any
) -> None:
    old = await auth_server.runtime.keyring.current()
    await auth_server.runtime.keyring.rotate()
    publish_until, retired_at = await sql.fetchrow(
        "SELECT publish_until, retired_at FROM signing_keys WHERE kid = $1", old.kid
    )
    settings = auth_server.settings
    overlap = (publish_until - retired_at).total_seconds()
    assert overlap >= settings.auth_access_token_seconds + settings.auth_leeway_seconds


async def test_an_aged_key_is_rotated_automatically(auth_server: AuthServer, sql: Any) -> None:
    keyring = auth_server.runtime.keyring
    old = await keyring.current()
    await sql.execute(
        "UPDATE signing_keys SET created_at = now() - interval '31 days' WHERE kid = $1", old.kid
    )
    await keyring.reload()
    current = await keyring.current()
    assert current.kid != old.kid
    assert await sql.fetchval(
        "SELECT retired_at IS NOT NULL FROM signing_keys WHERE kid = $1", old.kid
    )


async def test_rs256_keys_encrypted_at_rest(service_database: Any) -> None:
    url = await service_database("auth")
    settings = fast_settings(
        url,
        auth_signing_algorithm="RS256",
        auth_rsa_key_bits=2048,
        auth_key_passphrase="correct horse",
    )
    async with serve_auth(settings) as server, httpx.AsyncClient(base_url=server.url) as http:
        (key,) = (await jwks(http))["keys"]
        assert (key["kty"], key["alg"]) == ("RSA", "RS256")
        session = await GraphQLClient(http).register()
        token = session["accessToken"]
        assert jwt.get_unverified_header(token)["alg"] == "RS256"
        verifier = verifier_for(server)
        try:
            assert (await verifier.verify(token)).subject == session["user"]["id"]
        finally:
            await verifier.aclose()
        async with server.runtime.sessionmaker() as db:
            pem = await db.scalar(text("SELECT private_key_pem FROM signing_keys"))
        assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")


async def test_rotate_signing_key_for_the_cli(
    auth_db: str, auth_server: AuthServer, http: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    before = {k["kid"] for k in (await jwks(http))["keys"]}
    kid = await rotate_signing_key(auth_db, auth_server.settings)
    assert kid not in before
    await auth_server.runtime.keyring.reload()  # what the periodic reload does
    assert {k["kid"] for k in (await jwks(http))["keys"]} == before | {kid}
    token = (await gql.register())["accessToken"]
    assert jwt.get_unverified_header(token)["kid"] == kid
