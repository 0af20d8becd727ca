"""State shared by router replicas: Redis when ``POLYSHOP_REDIS_URL`` is set, else none.

`SharedState.run` runs one Redis operation and answers `UNAVAILABLE` instead of raising when
Redis is not configured or not reachable; callers then use their local, per-process state.
A Redis that goes away is logged once (``shared_state.redis_unavailable``, with the error),
counted (``polyshop_router_shared_state_fallbacks_total``) and shown by the gauge
``polyshop_router_shared_state_up`` (0); for ``retry_interval`` seconds nobody waits on it,
then the next operation tries again and, when it works, ``shared_state.redis_restored`` is
logged and the gauge goes back to 1. Requests never fail because Redis did.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, TypeVar

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError

log = structlog.get_logger("router.shared")

T = TypeVar("T")


class _Unavailable:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Final = _Unavailable()
"""What `SharedState.run` answers when Redis cannot: use local state."""

KEY_PREFIX = "polyshop:router:"


class SharedStateObserver(Protocol):
    """Metrics hooks (`router.telemetry.metrics.RouterMetrics` implements them)."""

    def shared_state_up(self, up: bool) -> None:
        """Redis answers (True) or not (False)."""

    def shared_state_fallback(self, operation: str) -> None:
        """One operation fell back to local state."""


class SharedState:
    """One Redis client per router process (None: no Redis configured)."""

    def __init__(
        self,
        url: str | None,
        *,
        observer: SharedStateObserver | None = None,
        timeout: float = 0.5,
        retry_interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.observer = observer
        self.retry_interval = retry_interval
        self._clock = clock
        self._down_until = 0.0
        self.down = False
        self.client: aioredis.Redis | None = None
        if url is not None:
            self.client = aioredis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry_on_timeout=False,
                health_check_interval=0,
            )
            if observer is not None:
                observer.shared_state_up(True)

    @property
    def configured(self) -> bool:
        return self.client is not None

    def key(self, *parts: str) -> str:
        return KEY_PREFIX + ":".join(parts)

    async def run(
        self, operation: str, call: Callable[[aioredis.Redis], Awaitable[T]]
    ) -> T | _Unavailable:
        """``call(redis)``, or `UNAVAILABLE` (never an exception) when Redis cannot answer."""
        client = self.client
        if client is None:
            return UNAVAILABLE
        if self.down and self._clock() < self._down_until:
            self._fallback(operation)
            return UNAVAILABLE
        try:
            result = await call(client)
        except (RedisError, OSError, TimeoutError) as error:
            self._went_down(operation, error)
            return UNAVAILABLE
        if self.down:
            self.down = False
            log.warning("shared_state.redis_restored", url=_redacted(self.url))
            if self.observer is not None:
                self.observer.shared_state_up(True)
        return result

    def _went_down(self, operation: str, error: BaseException) -> None:
        self._down_until = self._clock() + self.retry_interval
        if not self.down:
            self.down = True
            log.error(
                "shared_state.redis_unavailable",
                url=_redacted(self.url),
                operation=operation,
                error=str(error) or type(error).__name__,
                fallback="serving with this process's local state",
            )
            if self.observer is not None:
                self.observer.shared_state_up(False)
        self._fallback(operation)

    def _fallback(self, operation: str) -> None:
        if self.observer is not None:
            self.observer.shared_state_fallback(operation)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None


def _redacted(url: str | None) -> str | None:
    """The URL without a password (``redis://:secret@host`` → ``redis://:***@host``)."""
    if url is None or "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def as_text(value: Any) -> str | None:
    """A Redis reply as text (bytes decoded), None for a missing value."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)
