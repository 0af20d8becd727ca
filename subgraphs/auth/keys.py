"""Token-signing keys: generated, stored, rotated with overlap, published as a JWKS.

Keys live in ``signing_keys`` so that every replica signs with the same current key. The
newest unretired key signs. Rotation retires the current key but keeps publishing it until
every token it signed has expired (``publish_until`` = access-token lifetime + leeway + the
time other replicas may take to notice). A key older than the configured age is rotated
automatically at the next reload. An advisory lock makes creation and rotation happen once
when replicas race.

Private keys are stored encrypted (PKCS#8 PEM, ``BestAvailableEncryption``) under the
passphrase of `AuthSettings.key_passphrase`; a database check constraint refuses a plaintext
one, and migration 0002 encrypted the rows written before.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt import PyJWK
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from subgraphs.auth.models import SigningKey
from subgraphs.auth.settings import AuthSettings
from subgraphs.kit.logging import get_logger

log = get_logger("polyshop.auth.keys")

KEY_LOCK_ID = 0x504F4C59  # pg_advisory_xact_lock id for key creation/rotation ("POLY")
UNKNOWN_KID_RELOAD_SECONDS = 5.0
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True, slots=True)
class LoadedKey:
    kid: str
    algorithm: str
    private_key: PrivateKey
    public_jwk: Mapping[str, Any]
    created_at: datetime
    retired_at: datetime | None
    publish_until: datetime | None


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable ``kid`` derived from the public key itself."""
    members = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def generate_key(algorithm: str, rsa_bits: int) -> tuple[PrivateKey, dict[str, Any]]:
    """A new key pair and its public JWK (blocking: RSA generation takes a while)."""
    private_key: PrivateKey
    if algorithm == "ES256":
        private_key = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    elif algorithm == "RS256":
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
        jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    else:
        raise ValueError(f"unsupported signing algorithm {algorithm!r}")
    jwk = {**jwk, "use": "sig", "alg": algorithm}
    jwk["kid"] = thumbprint(jwk)
    return private_key, jwk


class KeyRing:
    """The process's view of the signing keys, reloaded from the database periodically."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: AuthSettings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessionmaker = sessionmaker
        self.settings = settings
        self._clock = clock
        self._keys: list[LoadedKey] = []
        self._parsed: dict[str, PrivateKey] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()
        self._passphrase = settings.key_passphrase()

    @property
    def overlap(self) -> timedelta:
        """How long a retired key stays published."""
        s = self.settings
        return timedelta(
            seconds=s.auth_access_token_seconds + s.auth_leeway_seconds + s.auth_key_reload_seconds
        )

    async def current(self) -> LoadedKey:
        await self._ensure_loaded()
        return next(k for k in self._keys if k.retired_at is None)

    async def published(self) -> list[LoadedKey]:
        await self._ensure_loaded()
        now = self._clock()
        return [k for k in self._keys if k.publish_until is None or k.publish_until > now]

    async def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(k.public_jwk) for k in await self.published()]}

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        """`KeySource` for verifying our own tokens without an HTTP round trip."""
        for attempt in range(2):
            if attempt:  # maybe another replica rotated: look again, at most every few seconds
                await self._ensure_loaded(max_age=UNKNOWN_KID_RELOAD_SECONDS)
            for key in await self.published():
                if key.kid == kid:
                    return [PyJWK(dict(key.public_jwk))]
        return []

    async def sign(self, claims: Mapping[str, Any]) -> str:
        key = await self.current()
        return jwt.encode(
            dict(claims),
            key.private_key,
            algorithm=key.algorithm,
            headers={"kid": key.kid, "typ": "at+jwt"},
        )

    async def rotate(self) -> LoadedKey:
        """Start signing with a new key now; the old one stays published for the overlap."""
        async with self._lock:
            await self._load(force_rotation=True)
        return await self.current()

    async def reload(self) -> None:
        async with self._lock:
            await self._load()

    async def _ensure_loaded(self, max_age: float | None = None) -> None:
        if self._fresh(max_age):
            return
        async with self._lock:
            if not self._fresh(max_age):
                await self._load()

    def _fresh(self, max_age: float | None) -> bool:
        limit = self.settings.auth_key_reload_seconds if max_age is None else max_age
        return self._loaded_at is not None and time.monotonic() - self._loaded_at < limit

    async def _load(self, *, force_rotation: bool = False) -> None:
        async with self._sessionmaker() as session, session.begin():
            rows = await self._select(session)
            if force_rotation or self._needs_new_key(rows):
                await session.execute(text(f"SELECT pg_advisory_xact_lock({KEY_LOCK_ID})"))
                rows = await self._select(session)  # another replica may have done it
                if force_rotation or self._needs_new_key(rows):
                    await self._create_key(session, rows)
                    rows = await self._select(session)
        keys = [await self._loaded(row) for row in rows]
        self._keys = keys
        self._parsed = {k.kid: k.private_key for k in keys}
        self._loaded_at = time.monotonic()

    async def _select(self, session: AsyncSession) -> list[SigningKey]:
        now = self._clock()
        statement = (
            select(SigningKey)
            .where(or_(SigningKey.publish_until.is_(None), SigningKey.publish_until > now))
            .order_by(SigningKey.created_at.desc(), SigningKey.kid)
            .execution_options(populate_existing=True)
        )
        return list((await session.scalars(statement)).all())

    def _needs_new_key(self, rows: list[SigningKey]) -> bool:
        current = next((r for r in rows if r.retired_at is None), None)
        if current is None:
            return True
        max_age = timedelta(days=self.settings.auth_signing_key_max_age_days)
        return current.created_at + max_age <= self._clock()

    async def _create_key(self, session: AsyncSession, rows: list[SigningKey]) -> None:
        now = self._clock()
        algorithm = self.settings.auth_signing_algorithm
        private_key, jwk = await asyncio.to_thread(
            generate_key, algorithm, self.settings.auth_rsa_key_bits
        )
        for row in rows:
            if row.retired_at is None:
                row.retired_at = now
                row.publish_until = now + self.overlap
        session.add(
            SigningKey(
                kid=jwk["kid"],
                algorithm=algorithm,
                private_key_pem=self._serialize(private_key),
                public_jwk=jwk,
                created_at=now,
            )
        )
        await session.flush()
        log.info("signing_key.created", kid=jwk["kid"], algorithm=algorithm)

    async def _loaded(self, row: SigningKey) -> LoadedKey:
        private_key = self._parsed.get(row.kid)
        if private_key is None:
            private_key = await asyncio.to_thread(self._deserialize, row.private_key_pem)
        return LoadedKey(
            kid=row.kid,
            algorithm=row.algorithm,
            private_key=private_key,
            public_jwk=row.public_jwk,
            created_at=row.created_at,
            retired_at=row.retired_at,
            publish_until=row.publish_until,
        )

    def _serialize(self, private_key: PrivateKey) -> str:
        return encrypt_private_key(private_key, self._passphrase)

    def _deserialize(self, pem: str) -> PrivateKey:
        return decrypt_private_key(pem, self._passphrase)


def encrypt_private_key(private_key: PrivateKey, passphrase: bytes) -> str:
    """PKCS#8 PEM encrypted under ``passphrase`` (what ``signing_keys`` stores)."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()


def decrypt_private_key(pem: str, passphrase: bytes | None) -> PrivateKey:
    """The key of a stored PEM; ``passphrase`` None only for a legacy plaintext one."""
    key = serialization.load_pem_private_key(pem.encode(), password=passphrase)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("a stored signing key is neither EC nor RSA")
    return key


async def rotate_signing_key(database_url: str, settings: AuthSettings) -> str:
    """For ``polyshop auth rotate-keys``: a new current key; returns its ``kid``.

    Running replicas pick it up at their next reload (``auth_key_reload_seconds``), and
    verifiers fetch it on first sight of its ``kid``.
    """
    engine = create_async_engine(database_url)
    try:
        keyring = KeyRing(async_sessionmaker(engine, expire_on_commit=False), settings)
        return (await keyring.rotate()).kid
    finally:
        await engine.dispose()
