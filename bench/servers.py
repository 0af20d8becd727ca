"""Start, probe and stop the server processes of a run (subgraphs, routers).

Each server runs in its own session (process group), so stopping it also stops the workers it
forked, and nothing outlives the run: `Server` is an async context manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import aiohttp


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerError(RuntimeError):
    """A server did not come up (its log tail is in the message)."""


@dataclass
class Server:
    name: str
    argv: Sequence[str]
    port: int
    cwd: Path
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/health"
    """GET path that answers 2xx once the server is up (or a GraphQL path probed by POST)."""
    ready_query: bytes | None = None
    """When set, readiness is a POST of this body to ``ready_path``."""
    stop_signal: int = signal.SIGTERM
    process: asyncio.subprocess.Process | None = None
    ready_seconds: float | None = None
    """Seconds from the process start to its first good answer (set by `start`)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ServerError(f"{self.name} is not running")
        return self.process.pid

    async def start(self, ready_within: float = 60.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        await self._wait_ready(ready_within)
        self.ready_seconds = time.monotonic() - started

    async def _wait_ready(self, ready_within: float) -> None:
        deadline = time.monotonic() + ready_within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.returncode is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    if await self._probe(session):
                        return
                await asyncio.sleep(0.02)
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        await self.stop()
        raise ServerError(f"{self.name} did not become ready on port {self.port}:\n{tail}")

    async def _probe(self, session: aiohttp.ClientSession) -> bool:
        url = self.url + self.ready_path
        timeout = aiohttp.ClientTimeout(total=5)
        if self.ready_query is None:
            async with session.get(url, timeout=timeout) as response:
                return 200 <= response.status < 300
        headers = {"content-type": "application/json"}
        async with session.post(
            url, data=self.ready_query, headers=headers, timeout=timeout
        ) as response:
            return response.status == 200

    async def stop(self, grace: float = 10.0) -> None:
        """Signal the server's process group; SIGKILL it after ``grace`` seconds."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, self.stop_signal)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        # Workers may outlive their parent for a moment; the group id is still ours to end.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
