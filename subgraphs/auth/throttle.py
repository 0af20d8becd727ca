"""Login throttling: failed attempts counted per email and per client address.

The counters live in PostgreSQL (``login_throttle``), not in process memory: auth runs as
several stateless replicas behind a load balancer, and an in-memory window would give an
attacker N times the budget (one per replica) and forget everything on restart. One row
per key in a fixed window keeps it to one upsert per failure.

A throttled attempt is refused before its password is checked, so guessing cannot go on
while the window lasts. Success clears the email's counter, not the address's (one
address may be a whole office behind NAT, but it should not reset its own budget by
logging into an account it owns).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.auth.models import LoginThrottle

PURGE_EVERY = 100  # failures between clean-ups of expired windows


def address_key(address: str) -> str:
    """IPv6 clients are counted per /64: one host usually owns the whole prefix."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"addr:{address}"
    if ip.version == 6:
        return f"addr:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"addr:{ip}"


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The client's address: the peer, or, behind trusted proxies, the last untrusted hop of
    ``X-Forwarded-For`` (entries left of it could be forged by the client)."""
    networks = [ipaddress.ip_network(n, strict=False) for n in trusted]

    def is_trusted(value: str) -> bool:
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    address = peer or "unknown"
    if not forwarded_for or not is_trusted(address):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = hop
        if not is_trusted(hop):
            break
    return address


class Throttle:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        window_seconds: int,
        max_per_email: int,
        max_per_address: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessionmaker = sessionmaker
        self.window = timedelta(seconds=window_seconds)
        self.max_per_email = max_per_email
        self.max_per_address = max_per_address
        self._clock = clock
        self._failures_since_purge = 0

    def _limits(self, email: str, address: str) -> dict[str, int]:
        return {f"email:{email}": self.max_per_email, address_key(address): self.max_per_address}

    async def retry_after(self, email: str, address: str) -> int | None:
        """Seconds until another attempt is allowed, or None if it is allowed now."""
        limits = self._limits(email, address)
        now = self._clock()
        async with self._sessionmaker() as session:
            rows = (
                await session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(limits)))
            ).all()
        waits = [
            (row.window_started_at + self.window - now).total_seconds()
            for row in rows
            if row.failures >= limits[row.key] and row.window_started_at + self.window > now
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    async def record_failure(self, email: str, address: str) -> None:
        """Counts one failure under both keys, in its own committed transaction."""
        now = self._clock()
        expired = LoginThrottle.window_started_at <= now - self.window
        async with self._sessionmaker() as session, session.begin():
            for key in self._limits(email, address):
                statement = insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
                statement = statement.on_conflict_do_update(
                    index_elements=[LoginThrottle.key],
                    set_={
                        "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
                        "window_started_at": case(
                            (expired, now), else_=LoginThrottle.window_started_at
                        ),
                    },
                )
                await session.execute(statement)
            self._failures_since_purge += 1
            if self._failures_since_purge >= PURGE_EVERY:
                self._failures_since_purge = 0
                await session.execute(delete(LoginThrottle).where(expired))

    async def reset_email(self, email: str) -> None:
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                delete(LoginThrottle).where(LoginThrottle.key == f"email:{email}")
            )
