"""Login throttling: failed attempts counted per (account, client address) and per address.

Two budgets, so that no one can lock anyone else out:

- ``login:<email>|<address>`` (5 by default): guesses at one account from one address. When
  it is spent, that address waits for that account; the owner, signing in from anywhere
  else, does not notice. There is deliberately no account-wide lock: it would let anyone
  lock any victim out by failing on purpose.
- ``addr:<address>`` (20 by default): failures from one address over all accounts
  (credential stuffing). Attempts refused by either budget are not counted, so one
  account's lockout can charge its address at most the per-account budget: 20 failures at
  one account leave that address 15 attempts for everyone else behind it (an office NAT).

The address is the TCP peer's, or the client address the router forwards in
``X-Forwarded-For`` (leftmost entry: the router forwards the chain starting at the client it
resolved with its own trusted-proxy settings), believed only on calls carrying the router's
identity: its client-credentials token, alone or with a user's token it forwards. Anyone
else's ``X-Forwarded-For`` is ignored.

The counters live in PostgreSQL (``login_throttle``), not in process memory: auth runs as
several stateless replicas behind a load balancer, and an in-memory window would give an
attacker N times the budget (one per replica) and forget everything on restart. One row
per key in a fixed window keeps it to one upsert per failure.

A throttled attempt is refused before its password is checked, so guessing cannot go on
while the window lasts. Success clears the (account, address) counter, not the address's
(it should not reset its own budget by logging into an account it owns).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
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


def forwarded_client(forwarded_for: str | None) -> str | None:
    """The client address in the router's ``X-Forwarded-For`` (its leftmost entry), if it is
    an IP address."""
    if not forwarded_for:
        return None
    first = forwarded_for.split(",", 1)[0].strip()
    try:
        return str(ipaddress.ip_address(first))
    except ValueError:
        return None


def login_key(email: str, address: str) -> str:
    return f"login:{email}|{address_key(address).removeprefix('addr:')}"


class Throttle:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        window_seconds: int,
        max_per_account_address: int,
        max_per_address: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessionmaker = sessionmaker
        self.window = timedelta(seconds=window_seconds)
        self.max_per_account_address = max_per_account_address
        self.max_per_address = max_per_address
        self._clock = clock
        self._failures_since_purge = 0

    def _limits(self, email: str, address: str) -> dict[str, int]:
        return {
            login_key(email, address): self.max_per_account_address,
            address_key(address): self.max_per_address,
        }

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

    async def reset_login(self, email: str, address: str) -> None:
        """After a successful sign-in: this address's failures at this account are forgotten."""
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                delete(LoginThrottle).where(LoginThrottle.key == login_key(email, address))
            )
