"""Database access: one async engine per process, one session (one transaction) per request.

One transaction per operation, shared by resolvers that run concurrently. An `AsyncSession`
serves one statement at a time, so every use goes through `UnitOfWork.session()`, which holds
an `asyncio.Lock` around the use: resolvers interleave between statements, never inside one.
We serialise with a lock rather than give each resolver its own session because the operation
must stay one transaction (a mutation's writes commit or roll back together) and one pooled
connection per request (a 50-field query must not drain the pool).

Concurrent resolvers have two hazards the lock alone does not cover, and `UnitOfWork` handles:

- Cancellation. When a non-null field fails, graphql-core cancels its siblings' tasks, possibly
  in the middle of a statement; asyncpg then drops the connection. The use is marked broken and
  the end of the operation invalidates the connection instead of rolling back on it (the
  server rolls back a dropped transaction itself).
- Stragglers. A task that outlives its resolver (a DataLoader batch) may still hold the session
  when the operation ends. Ending the transaction takes the same lock, so it waits for that use
  instead of closing the session under it (``IllegalStateChangeError: Method 'close()' can't be
  called here``); once the operation is over, further uses fail with `OperationFinished`
  instead of opening a transaction nobody would end.

The transaction ends with the operation: committed when it produced no error, rolled back
otherwise, so a failed mutation writes nothing.

A service waits for its database in the background (`wait_for_database`) rather than crash:
in a cluster the database may come up after the service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from graphql import GraphQLError
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from strawberry.extensions import SchemaExtension

from subgraphs.kit.errors import INTERNAL_MESSAGE, INTERNAL_SERVER_ERROR, map_database_error
from subgraphs.kit.logging import get_logger
from subgraphs.kit.settings import ServiceSettings

log = get_logger("polyshop.db")


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    """The process's connection pool, sized and timed out by settings; parameters hidden."""
    server_settings = {"application_name": settings.service_name}
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        pool_pre_ping=True,
        echo=settings.db_echo,
        # Bound parameters (a password hash, an address) never reach exception texts or logs.
        hide_parameters=True,
        connect_args={"server_settings": server_settings},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: resolvers of a mutation's result run later.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


async def ping(engine: AsyncEngine) -> None:
    """Raises when the database cannot answer ``SELECT 1``. Untraced: a readiness probe
    every few seconds must not make a trace each time."""
    with suppress_instrumentation():
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


async def wait_for_database(
    engine: AsyncEngine, *, within: float, backoff_max: float = 5.0, initial: float = 0.1
) -> int:
    """Ping until the database answers, backing off exponentially up to ``backoff_max``
    seconds between attempts; the last error once ``within`` seconds have passed. Returns
    the number of failed attempts."""
    deadline = time.monotonic() + within
    delay = initial
    failures = 0
    while True:
        try:
            await ping(engine)
        except Exception as exc:
            failures += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.error("database unreachable; giving up", attempts=failures, error=repr(exc))
                raise
            wait = min(delay, backoff_max, remaining)
            log.warning("database unreachable; retrying", retry_in=round(wait, 3), error=repr(exc))
            await asyncio.sleep(wait)
            delay *= 2
        else:
            if failures:
                log.info("database reachable", failed_attempts=failures)
            return failures


class OperationFinished(RuntimeError):
    """The operation's transaction has ended; a straggling task may not start another."""


class UnitOfWork:
    """The request's session, opened on first use, serialised by a lock, ended by `finish`
    (which a resolver may call to give the connection back early; the next use opens a new
    transaction) and for good by `close` (see the module docstring)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self._broken = False
        self._closed = False

    @property
    def started(self) -> bool:
        return self._session is not None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Exclusive use of the request's session (never hold it across another acquire)."""
        async with self._lock:
            if self._closed:
                raise OperationFinished("the operation's transaction has already ended")
            if self._session is None:
                self._session = self._sessionmaker()
            try:
                yield self._session
            except asyncio.CancelledError:
                # Possibly mid-statement: the connection's state is unknown.
                self._broken = True
                raise

    async def finish(self, *, commit: bool) -> None:
        """Commit or roll back, then return the connection to the pool. Waits for a use in
        progress. A transaction interrupted by cancellation is never committed: its
        connection is invalidated (the server rolls it back) and a commit raises."""
        async with self._lock:
            session, self._session = self._session, None
            broken, self._broken = self._broken, False
            if session is None:
                return
            if broken:
                try:
                    await session.invalidate()
                except Exception as exc:  # the connection is gone either way
                    log.warning("invalidating an interrupted session failed", error=repr(exc))
                if commit:
                    raise OperationFinished("the transaction was interrupted; nothing was written")
                return
            try:
                if commit:
                    await session.commit()
                else:
                    await session.rollback()
            finally:
                await session.close()

    async def close(self, *, commit: bool) -> None:
        """`finish`, and refuse any later use (the operation is over)."""
        try:
            await self.finish(commit=commit)
        finally:
            self._closed = True


class TransactionPerOperation(SchemaExtension):
    """Ends the request's transaction when the operation ends (see the module docstring)."""

    async def on_operation(self) -> AsyncGenerator[None, None]:
        yield
        context: Any = self.execution_context.context
        uow = getattr(context, "uow", None)
        if not isinstance(uow, UnitOfWork):
            return
        result = self.execution_context.result
        failed = bool(getattr(result, "errors", None))
        if failed or result is None:
            try:
                await uow.close(commit=False)
            except Exception as exc:
                # The operation already failed; a connection lost on the way is rolled back
                # by the server, so the client learns nothing more from it.
                log.warning("rollback failed", error=repr(exc))
            return
        try:
            await uow.close(commit=True)
        except Exception as exc:
            # A deferred constraint or a lost connection at COMMIT: report it like any
            # other error, with no data (nothing was written).
            await uow.close(commit=False)
            mapped = map_database_error(exc)
            if mapped is None:
                log.exception("commit failed")
                error = GraphQLError(INTERNAL_MESSAGE, extensions={"code": INTERNAL_SERVER_ERROR})
            else:
                error = GraphQLError(mapped.message, original_error=mapped)
            result.data = None
            result.errors = [*(getattr(result, "errors", None) or []), error]
