"""Demo data for ``polyshop up``: users, roles and the service clients of the other services.

Idempotent: what exists is left alone, so a restart changes nothing and a password a
developer changed stays changed. Demo users share ``POLYSHOP_AUTH_DEMO_PASSWORD`` (default
``polyshop-demo``). Client secrets come from ``POLYSHOP_AUTH_DEMO_CLIENT_SECRET`` when set
(the supervisor passes the same value to the services); otherwise each new client gets a
random secret, printed once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from subgraphs.auth.clients import create_client
from subgraphs.auth.models import ServiceClient, User
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.service import add_role
from subgraphs.auth.settings import AuthSettings, get_auth_settings

DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("alice@example.com", "Alice Anders", ("customer",)),
    ("bob@example.com", "Bob Brandt", ("customer",)),
    ("admin@example.com", "Ada Admin", ("admin", "customer")),
)

DEMO_CLIENTS: dict[str, tuple[str, ...]] = {
    # The router's token proves only that a call came through the router; subgraphs never
    # authorize on it (docs/decisions/0011), so it carries no scope at all.
    "router": (),
    "orders": ("products:read", "users:read", "inventory:read"),
    "inventory": ("products:read", "orders:read"),
    "payments": ("orders:read",),
    "notifications": ("users:read", "orders:read"),
    "analytics": ("products:read", "orders:read"),
}


async def load_demo_data(database_url: str, settings: AuthSettings | None = None) -> int:
    """Inserts what is missing; returns the number of users and clients created."""
    settings = settings or get_auth_settings()
    passwords = Passwords(
        time_cost=settings.auth_argon2_time_cost,
        memory_kib=settings.auth_argon2_memory_kib,
        parallelism=settings.auth_argon2_parallelism,
    )
    engine = create_async_engine(database_url)
    created = 0
    try:
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        async with sessionmaker() as session, session.begin():
            demo_password = settings.auth_demo_password.get_secret_value()
            for email, name, roles in DEMO_USERS:
                if await session.scalar(select(User.id).where(User.email == email)) is not None:
                    continue
                now = datetime.now(UTC)
                user = User(
                    id=uuid.uuid4(),
                    email=email,
                    password_hash=await passwords.hash(demo_password),
                    name=name,
                    created_at=now,
                    updated_at=now,
                )
                session.add(user)
                await session.flush()
                for role in roles:
                    await add_role(session, user.id, role)
                created += 1
            shared = settings.auth_demo_client_secret
            for client_id, scopes in DEMO_CLIENTS.items():
                if await session.get(ServiceClient, client_id) is not None:
                    continue
                secret = await create_client(
                    session,
                    client_id,
                    scopes,
                    description=f"demo client of the {client_id} service",
                    secret=shared.get_secret_value() if shared else None,
                )
                if shared is None:
                    print(f"auth: service client {client_id!r} secret (shown once): {secret}")
                created += 1
    finally:
        await engine.dispose()
    return created
