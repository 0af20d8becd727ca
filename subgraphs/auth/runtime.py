"""The auth service's long-lived parts, built once when the app starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jwt import PyJWK
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.auth.keys import KeyRing
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.settings import AuthSettings
from subgraphs.auth.throttle import Throttle
from subgraphs.auth.tokens import AccessTokenIssuer


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


def runtime_of(app: Any) -> AuthRuntime:
    runtime: AuthRuntime = app.state.auth
    return runtime


class RuntimeKeys:
    """`KeySource` for the service's own middleware, which exists before the runtime does."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def candidates(self, kid: str | None, algorithm: str) -> list[PyJWK]:
        return await runtime_of(self._app).keyring.candidates(kid, algorithm)
