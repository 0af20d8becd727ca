"""The auth service's long-lived parts, built once when the app starts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import FastAPI
from jwt import PyJWK
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.auth.keys import KeyRing
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.settings import AuthSettings
from subgraphs.auth.throttle import Throttle
from subgraphs.auth.tokens import AccessTokenIssuer
from subgraphs.kit.context import ServiceProcess


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AuthRuntime:
    settings: AuthSettings
    sessionmaker: async_sessionmaker[AsyncSession]
    passwords: Passwords
    keyring: KeyRing
    throttle: Throttle
    issuer: AccessTokenIssuer
    clock: Callable[[], datetime] = field(default=utc_now)

    @classmethod
    async def start(
        cls, settings: AuthSettings, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> AuthRuntime:
        """Loads (or creates) the signing key and the dummy hash before the first request."""
        passwords = Passwords(
            time_cost=settings.auth_argon2_time_cost,
            memory_kib=settings.auth_argon2_memory_kib,
            parallelism=settings.auth_argon2_parallelism,
        )
        keyring = KeyRing(sessionmaker, settings)
        throttle = Throttle(
            sessionmaker,
            window_seconds=settings.auth_throttle_window_seconds,
            max_per_account_address=settings.auth_throttle_max_failures_per_account_address,
            max_per_address=settings.auth_throttle_max_failures_per_address,
        )
        await keyring.reload()
        await passwords.dummy_hash()
        return cls(
            settings=settings,
            sessionmaker=sessionmaker,
            passwords=passwords,
            keyring=keyring,
            throttle=throttle,
            issuer=AccessTokenIssuer(keyring, settings),
        )


@asynccontextmanager
async def auth_runtime(process: ServiceProcess[AuthSettings]) -> AsyncIterator[AuthRuntime]:
    """``resources=`` of the auth app: the runtime reaches resolvers as
    ``AuthContext.resources``."""
    yield await AuthRuntime.start(process.settings, process.sessionmaker)


def runtime_of(app: FastAPI) -> AuthRuntime:
    """The runtime, for the token endpoints and the middleware (outside GraphQL)."""
    runtime = getattr(app.state, "resources", None)
    if not isinstance(runtime, AuthRuntime):
        raise RuntimeError("the auth app has not started (its lifespan makes the runtime)")
    return runtime


class RuntimeKeys:
    """`KeySource` for the service's own middleware, which exists before the runtime does."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        return await runtime_of(self._app).keyring.candidates(kid, algorithm)
