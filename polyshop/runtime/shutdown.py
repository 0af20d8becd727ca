"""Graceful stop under uvicorn: readiness goes first, the listener closes after a delay.

uvicorn closes its listening socket as soon as SIGTERM arrives, so a load balancer that polls
``/ready`` would never see the process stop being ready. `ShutdownSignal` puts itself in front
of the server's own SIGTERM handler (installed by uvicorn before the app's lifespan starts):
it marks the app as draining at once, then hands the signal on after ``delay`` seconds. The
server then stops accepting, waits for requests in flight (bounded by ``drain_timeout`` when
the server was started without its own bound) and runs the lifespan shutdown.

Used by the router (`router.http.app`) and by every subgraph (`subgraphs.kit.app`).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import structlog

log = structlog.get_logger("polyshop.shutdown")

SignalHandler = Callable[[int, FrameType | None], Any]


class ShutdownSignal:
    def __init__(
        self, *, delay: float, drain_timeout: float, on_draining: Callable[[], None]
    ) -> None:
        self.delay = delay
        self.drain_timeout = drain_timeout
        self.on_draining = on_draining
        self._previous: SignalHandler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._received = False

    def install(self) -> bool:
        """Chain in front of the current SIGTERM handler; False (nothing done) outside the
        main thread or when no server handles SIGTERM (tests driving the app directly)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            return False
        self._previous = previous
        self._loop = asyncio.get_running_loop()
        signal.signal(signal.SIGTERM, self._handle)
        return True

    def uninstall(self) -> None:
        previous, self._previous = self._previous, None
        if previous is None or threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) == self._handle:
            signal.signal(signal.SIGTERM, previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._received:  # a second SIGTERM: no more waiting
            self._forward(signum, frame)
            return
        self._received = True
        self.on_draining()
        loop = self._loop
        if loop is None or loop.is_closed() or self.delay <= 0:
            self._forward(signum, frame)
            return
        loop.call_soon_threadsafe(loop.call_later, self.delay, self._forward, signum, frame)

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous
        if previous is None:
            return
        server = getattr(previous, "__self__", None)
        config = getattr(server, "config", None)
        if config is not None and getattr(config, "timeout_graceful_shutdown", 0) is None:
            config.timeout_graceful_shutdown = self.drain_timeout
        log.info("shutdown.listener_closing", delay=self.delay)
        previous(signum, frame)
