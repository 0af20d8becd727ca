"""Token-signing keys at rest: the raw ``signing_keys`` row holds no usable private key.

Read as an attacker with a copy of ``auth_db`` would: straight from PostgreSQL with asyncpg,
not through the service. The key the service signs with must not appear in any encoding
(PEM, DER, the private scalar), the row must not load without the passphrase, and the
database itself refuses a plaintext key. Migration 0002 encrypts rows written in the clear
before it.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from polyshop.devstack.migrations import downgrade, upgrade
from polyshop.devstack.postgres import plain_url
from subgraphs.auth.keys import decrypt_private_key, generate_key
from subgraphs.auth.settings import AuthSettings
from tests.support.auth_service import (
    TEST_KEY_PASSPHRASE,
    AuthServer,
    GraphQLClient,
    fast_settings,
    serve_auth,
)


def plaintext_forms(private_key: Any) -> list[bytes]:
    """Every way the private key could sit in the row unencrypted."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    forms = [pem, der, base64.b64encode(der), body[:40]]
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        scalar = private_key.private_numbers().private_value.to_bytes(32, "big")
        forms += [scalar, scalar.hex().encode(), base64.urlsafe_b64encode(scalar).rstrip(b"=")]
    return forms


async def test_the_raw_row_holds_no_plaintext_private_key(auth_server: AuthServer) -> None:
    async with httpx.AsyncClient(base_url=auth_server.url) as http:
        token = (await GraphQLClient(http).register())["accessToken"]
    kid = jwt.get_unverified_header(token)["kid"]
    signing = (await auth_server.runtime.keyring.current()).private_key

    conn = await asyncpg.connect(plain_url(auth_server.settings.database_url))
    try:
        raw: str = await conn.fetchval(
            "SELECT private_key_pem FROM signing_keys WHERE kid = $1", kid
        )
        with pytest.raises(asyncpg.CheckViolationError, match="private_key_encrypted"):
            await conn.execute(
                "UPDATE signing_keys SET private_key_pem = $1 WHERE kid = $2",
                plaintext_forms(signing)[0].decode(),
                kid,
            )
    finally:
        await conn.close()

    assert raw.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    stored = raw.encode()
    for form in plaintext_forms(signing):
        assert form not in stored
    with pytest.raises(TypeError, match="encrypted"):
        serialization.load_pem_private_key(stored, password=None)
    with pytest.raises(ValueError, match=r"[Bb]ad decrypt|[Ii]ncorrect password"):
        serialization.load_pem_private_key(stored, password=b"not the passphrase")
    # ...but it is the key that signs, under the passphrase from settings.
    recovered = decrypt_private_key(raw, TEST_KEY_PASSPHRASE.encode())
    assert isinstance(recovered, ec.EllipticCurvePrivateKey)
    assert recovered.private_numbers() == signing.private_numbers()


def test_a_passphrase_is_required_outside_dev_mode() -> None:
    settings = AuthSettings(database_url="postgresql+asyncpg://x/y", dev_mode=False)
    with pytest.raises(RuntimeError, match="POLYSHOP_AUTH_KEY_PASSPHRASE is required"):
        settings.key_passphrase()
    assert AuthSettings(dev_mode=True).key_passphrase()  # dev mode: still encrypted


async def test_migration_0002_encrypts_keys_stored_in_the_clear(service_database: Any) -> None:
    """An ``auth_db`` from before 0002 holds a plaintext key; upgrading encrypts it in place,
    with the passphrase the service will use, and the service then signs with that key."""
    url = await service_database("auth")
    await asyncio.to_thread(downgrade, "auth", url, "0001")
    private_key, jwk = generate_key("ES256", 2048)
    legacy = plaintext_forms(private_key)[0].decode()
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute(
            "INSERT INTO signing_keys (kid, algorithm, private_key_pem, public_jwk)"
            " VALUES ($1, 'ES256', $2, $3::jsonb)",
            jwk["kid"],
            legacy,
            json.dumps(jwk),
        )
        await asyncio.to_thread(
            upgrade, "auth", url, "head", {"auth_key_passphrase": TEST_KEY_PASSPHRASE}
        )
        raw: str = await conn.fetchval(
            "SELECT private_key_pem FROM signing_keys WHERE kid = $1", jwk["kid"]
        )
    finally:
        await conn.close()
    assert raw.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for form in plaintext_forms(private_key):
        assert form not in raw.encode()

    async with (
        serve_auth(fast_settings(url)) as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        token = (await GraphQLClient(http).register())["accessToken"]
        assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
        public = jwt.PyJWK(jwk).key
        assert jwt.decode(token, public, algorithms=["ES256"], audience="polyshop")["sub"]
