"""Service clients of the client-credentials grant: creation and authentication.

A client secret is 256 random bits shown once at creation; the table keeps its SHA-256.
With that much entropy a slow password hash adds no protection, and a fast hash keeps the
token endpoint cheap for services that fetch tokens often.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from subgraphs.auth.models import ServiceClient
from subgraphs.kit.errors import BadUserInput

CLIENT_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")  # RFC 6749 §3.3 scope-token
_DUMMY_SECRET_HASH = hashlib.sha256(b"no such client").hexdigest()


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def valid_scope_token(scope: str) -> bool:
    return bool(SCOPE_TOKEN.match(scope))


async def create_client(
    session: AsyncSession,
    client_id: str,
    scopes: Iterable[str],
    *,
    description: str = "",
    secret: str | None = None,
) -> str:
    """Adds a client and returns its secret (the only time it can be seen)."""
    scope_list = sorted(set(scopes))
    if not CLIENT_ID.match(client_id):
        raise BadUserInput("A client id is 1-128 letters, digits, '.', '_' or '-'")
    bad = [s for s in scope_list if not valid_scope_token(s)]
    if bad:
        raise BadUserInput(f"Invalid scope: {' '.join(bad)}")
    if await session.get(ServiceClient, client_id) is not None:
        raise BadUserInput(f"A client named {client_id!r} already exists")
    secret = secret or secrets.token_urlsafe(32)
    session.add(
        ServiceClient(
            client_id=client_id,
            secret_hash=hash_secret(secret),
            allowed_scopes=scope_list,
            description=description,
            active=True,
        )
    )
    await session.flush()
    return secret


async def authenticate_client(
    session: AsyncSession, client_id: str, secret: str
) -> ServiceClient | None:
    """The active client whose secret this is, else None (constant-time comparison)."""
    client = await session.scalar(select(ServiceClient).where(ServiceClient.client_id == client_id))
    expected = client.secret_hash if client is not None else _DUMMY_SECRET_HASH
    matches = hmac.compare_digest(expected, hash_secret(secret))
    if client is None or not matches or not client.active:
        return None
    return client


async def create_service_client(
    database_url: str, client_id: str, scopes: Iterable[str], *, description: str = ""
) -> str:
    """For ``polyshop auth create-client``: creates the client, returns its secret once."""
    engine = create_async_engine(database_url)
    try:
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        async with sessionmaker() as session, session.begin():
            return await create_client(session, client_id, scopes, description=description)
    finally:
        await engine.dispose()
