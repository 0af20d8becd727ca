"""Serve one engine at a time and swap it for a new supergraph without dropping requests.

`EngineHolder` hands out *leases* on the current engine; a swap makes the new engine current
at once (later requests use it), while requests that hold a lease on the old one finish there.
The old engine is closed when its last lease ends (or after ``drain_timeout``). Its
subscriptions are re-planned on the new engine: those whose plan changes end at once with an
error saying the supergraph changed, the others keep running on the old engine, which closes
once they have ended.

`SupergraphWatcher` polls the supergraph file (mtime and size, then a content hash) or URL
and builds an engine for changed content; content that does not read as a supergraph, or an
engine that fails to start, is logged and rejected, and the current engine keeps serving.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import structlog

from router.supergraph import Supergraph, SupergraphError, read_supergraph
from router.supergraph.reader import fetch_sdl

if TYPE_CHECKING:
    from router.engine import GraphQLRequest, GraphQLResponse, RequestContext

log = structlog.get_logger("router.hot_reload")


class ServingEngine(Protocol):
    """What the HTTP layer needs of an engine (`router.engine.Engine` is one)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def execute(
        self, request: GraphQLRequest, context: RequestContext
    ) -> GraphQLResponse: ...


@runtime_checkable
class StreamingEngine(Protocol):
    """An engine with subscriptions that may outlive a swap (`router.engine.Engine`)."""

    async def hand_over(self, successor: object) -> int: ...

    async def subscriptions_ended(self) -> None: ...

    async def end_subscriptions(self, reason: str) -> None: ...


EngineBuilder = Callable[[Supergraph], Awaitable[ServingEngine]]
"""Builds and starts an engine for a supergraph."""


class _Generation:
    """One engine and the requests it is still serving."""

    __slots__ = ("drained", "engine", "in_flight", "number", "retired", "supergraph")

    def __init__(self, engine: ServingEngine, supergraph: Supergraph, number: int) -> None:
        self.engine = engine
        self.supergraph = supergraph
        self.number = number
        self.in_flight = 0
        self.retired = False
        self.drained = asyncio.Event()


class Lease:
    """Use of one engine by one request; ``with holder.lease() as engine: ...``."""

    __slots__ = ("_generation",)

    def __init__(self, generation: _Generation) -> None:
        self._generation = generation
        generation.in_flight += 1

    def __enter__(self) -> ServingEngine:
        return self._generation.engine

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        generation = self._generation
        generation.in_flight -= 1
        if generation.retired and generation.in_flight == 0:
            generation.drained.set()


class EngineHolder:
    """The engine serving requests now, swapped atomically on reload."""

    def __init__(
        self, engine: ServingEngine, supergraph: Supergraph, *, drain_timeout: float = 30.0
    ) -> None:
        self._current = _Generation(engine, supergraph, 1)
        self._drain_timeout = drain_timeout
        self._retiring: set[asyncio.Task[None]] = set()
        self._streaming: set[StreamingEngine] = set()
        """Retired engines whose subscriptions still run (ended at `close`)."""

    @property
    def engine(self) -> ServingEngine:
        return self._current.engine

    @property
    def supergraph(self) -> Supergraph:
        return self._current.supergraph

    @property
    def generation(self) -> int:
        """1 for the first engine, +1 per swap."""
        return self._current.number

    def lease(self) -> Lease:
        return Lease(self._current)

    def swap(self, engine: ServingEngine, supergraph: Supergraph) -> None:
        """Make a started ``engine`` current; the old one closes once its requests are done
        and, for a `StreamingEngine`, once the subscriptions it hands over have ended: those
        whose plan the new engine changes end at once (`StreamingEngine.hand_over`)."""
        old = self._current
        self._current = _Generation(engine, supergraph, old.number + 1)
        self._retire(old, successor=engine)

    async def close(self) -> None:
        """Close the current engine after its requests, end the subscriptions still running
        on retired ones, and wait for every retiring engine."""
        self._retire(self._current)
        for engine in list(self._streaming):
            await engine.end_subscriptions("The router is shutting down")
        await asyncio.gather(*self._retiring, return_exceptions=True)

    def _retire(self, generation: _Generation, successor: ServingEngine | None = None) -> None:
        if generation.retired:
            return
        generation.retired = True
        if generation.in_flight == 0:
            generation.drained.set()
        if successor is not None and isinstance(generation.engine, StreamingEngine):
            self._streaming.add(generation.engine)
        task = asyncio.create_task(self._close_when_drained(generation, successor))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _close_when_drained(
        self, generation: _Generation, successor: ServingEngine | None = None
    ) -> None:
        engine = generation.engine
        if isinstance(engine, StreamingEngine) and engine in self._streaming:
            try:
                ended = await engine.hand_over(successor)
                log.info(
                    "engine.subscriptions_handed_over", generation=generation.number, ended=ended
                )
                await engine.subscriptions_ended()
            except Exception:
                log.exception("engine.hand_over_failed", generation=generation.number)
            finally:
                self._streaming.discard(engine)
        try:
            await asyncio.wait_for(generation.drained.wait(), self._drain_timeout)
        except TimeoutError:
            log.warning(
                "engine.drain_timeout",
                generation=generation.number,
                in_flight=generation.in_flight,
                timeout=self._drain_timeout,
            )
        try:
            await generation.engine.close()
        except Exception:
            log.exception("engine.close_failed", generation=generation.number)
        else:
            log.info("engine.closed", generation=generation.number)


class ReloadOutcome(enum.Enum):
    UNCHANGED = "unchanged"
    RELOADED = "reloaded"
    REJECTED = "rejected"


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime, size) of ``path``, or None when it cannot be read; a change means "read it"."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SupergraphWatcher:
    """Polls a supergraph file or URL and swaps the holder's engine when the content changes.

    A file is read only when its mtime or size moved; a URL is fetched every ``interval``.
    """

    def __init__(
        self,
        source: str | os.PathLike[str],
        holder: EngineHolder,
        build: EngineBuilder,
        *,
        interval: float = 1.0,
    ) -> None:
        self.source = os.fspath(source)
        self.path = None if is_url(self.source) else Path(self.source)
        self.holder = holder
        self.build = build
        self.interval = interval
        self._stamp = file_stamp(self.path) if self.path is not None else None
        self._rejected_hash: str | None = None
        self._unreadable = False

    async def run(self) -> None:
        """Check every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:
                log.exception("supergraph.watch_failed", source=self.source)

    async def check(self) -> ReloadOutcome:
        """Look at the source once; reload when its content changed."""
        if self.path is not None:
            stamp = await asyncio.to_thread(file_stamp, self.path)
            if stamp == self._stamp:
                return ReloadOutcome.UNCHANGED
            self._stamp = stamp
        try:
            text = await fetch_sdl(self.source)
        except SupergraphError as error:
            if self._unreadable:  # said so already; keep serving quietly
                return ReloadOutcome.UNCHANGED
            self._unreadable = True
            return self._reject(None, str(error))
        self._unreadable = False
        digest = _sha256(text)
        if digest == self.holder.supergraph.schema_hash or digest == self._rejected_hash:
            return ReloadOutcome.UNCHANGED
        try:
            supergraph = await asyncio.to_thread(read_supergraph, text)
        except SupergraphError as error:
            return self._reject(digest, str(error))
        try:
            engine = await self.build(supergraph)
        except Exception as error:
            log.exception("supergraph.engine_failed", source=self.source)
            return self._reject(digest, f"the engine failed to start: {error}")
        previous = self.holder.generation
        self.holder.swap(engine, supergraph)
        self._rejected_hash = None
        log.info(
            "supergraph.reloaded",
            source=self.source,
            schema_hash=supergraph.schema_hash,
            generation=self.holder.generation,
            previous_generation=previous,
        )
        return ReloadOutcome.RELOADED

    def _reject(self, digest: str | None, reason: str) -> ReloadOutcome:
        self._rejected_hash = digest
        log.error(
            "supergraph.rejected",
            source=self.source,
            reason=reason,
            serving_schema_hash=self.holder.supergraph.schema_hash,
        )
        return ReloadOutcome.REJECTED


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


__all__ = [
    "EngineBuilder",
    "EngineHolder",
    "Lease",
    "ReloadOutcome",
    "ServingEngine",
    "SupergraphWatcher",
    "file_stamp",
    "is_url",
]
