"""Access tokens (JWT, RFC 9068 shape) and refresh tokens (opaque, hashed, rotated).

A refresh token is a random secret shown to the client once; the database keeps its
SHA-256 (the secret has 256 bits of entropy, so a slow hash would add nothing). Each use
revokes it and issues the next link of the same family. Presenting an already-rotated
token means it was copied: the whole family is revoked, logging out the thief and the
victim alike (RFC 9700 §4.14.2).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.auth.keys import KeyRing
from subgraphs.auth.models import RefreshToken
from subgraphs.auth.settings import AuthSettings


def scopes_for_roles(roles: Iterable[str], role_scopes: Mapping[str, list[str]]) -> list[str]:
    return sorted({scope for role in roles for scope in role_scopes.get(role, [])})


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int
    scope: str


class AccessTokenIssuer:
    def __init__(self, keyring: KeyRing, settings: AuthSettings) -> None:
        self.keyring = keyring
        self.settings = settings

    async def for_user(
        self, user_id: uuid.UUID, roles: Iterable[str], now: datetime
    ) -> AccessToken:
        role_list = sorted(set(roles))
        scope = " ".join(scopes_for_roles(role_list, self.settings.auth_role_scopes))
        return await self._issue({"sub": str(user_id), "scope": scope, "roles": role_list}, now)

    async def for_client(self, client_id: str, scopes: Iterable[str], now: datetime) -> AccessToken:
        scope = " ".join(sorted(set(scopes)))
        claims = {"sub": client_id, "client_id": client_id, "scope": scope, "roles": []}
        return await self._issue(claims, now)

    async def _issue(self, claims: dict[str, Any], now: datetime) -> AccessToken:
        lifetime = self.settings.auth_access_token_seconds
        issued_at = int(now.timestamp())
        payload = {
            **claims,
            "iss": self.settings.auth_issuer,
            "aud": self.settings.auth_audience,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + lifetime,
            "jti": uuid.uuid4().hex,
        }
        token = await self.keyring.sign(payload)
        return AccessToken(token=token, expires_in=lifetime, scope=str(claims["scope"]))


def hash_refresh_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def issue_refresh_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    now: datetime,
    lifetime: timedelta,
    family_id: uuid.UUID | None = None,
) -> tuple[str, RefreshToken]:
    raw = secrets.token_urlsafe(32)
    row = RefreshToken(
        id=uuid.uuid4(),
        user_id=user_id,
        token_hash=hash_refresh_token(raw),
        family_id=family_id or uuid.uuid4(),
        expires_at=now + lifetime,
        revoked=False,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return raw, row


class RotationOutcome(enum.Enum):
    ROTATED = "rotated"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REUSED = "reused"


@dataclass(frozen=True, slots=True)
class Rotation:
    outcome: RotationOutcome
    user_id: uuid.UUID | None = None
    raw_token: str | None = None


async def rotate_refresh_token(
    session: AsyncSession, raw: str, *, now: datetime, lifetime: timedelta
) -> Rotation:
    """Spend ``raw`` and issue its successor, or say why not (REUSED revoked the family).

    The row is locked, so two concurrent uses of one token cannot both succeed: the second
    sees it revoked and is treated as reuse. The caller commits whatever the outcome.
    """
    statement = (
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_refresh_token(raw))
        .with_for_update()
    )
    current = await session.scalar(statement)
    if current is None:
        return Rotation(RotationOutcome.UNKNOWN)
    if current.revoked:
        await revoke_family(session, current.family_id, now=now)
        return Rotation(RotationOutcome.REUSED, user_id=current.user_id)
    if current.expires_at <= now:
        return Rotation(RotationOutcome.EXPIRED, user_id=current.user_id)
    new_raw, successor = await issue_refresh_token(
        session, current.user_id, now=now, lifetime=lifetime, family_id=current.family_id
    )
    current.revoked = True
    current.revoked_at = now
    current.replaced_by = successor.id
    return Rotation(RotationOutcome.ROTATED, user_id=current.user_id, raw_token=new_raw)


async def find_refresh_token(session: AsyncSession, raw: str) -> RefreshToken | None:
    statement = select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(raw))
    found: RefreshToken | None = await session.scalar(statement)
    return found


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, *, now: datetime) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked.is_(False))
        .values(revoked=True, revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked.is_(False))
        .values(revoked=True, revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
