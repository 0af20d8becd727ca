"""A kit service as a real uvicorn process: graceful stop under load, and a start before
its database.

Stop: requests run continuously while SIGTERM arrives. ``/ready`` must answer 503 while the
listener is still open (the client stops sending then, as a load balancer would), every
request sent gets its complete answer, including those still running when the listener
closed, and the process exits 0. Start: with no database at the URL, the service listens,
says 503 on ``/ready``, and becomes ready once an embedded PostgreSQL starts on that port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from polyshop.devstack.ports import free_port
from polyshop.devstack.postgres import SUPERUSER, EmbeddedPostgres, database_url, plain_url
from tests.conftest import server_data_dir

ServiceDatabaseFactory = Callable[[str], Awaitable[str]]
ROOT = Path(__file__).resolve().parents[4]
APP = "tests.support.slow_app:app"
SLOW = 1.5
IN_FLIGHT_SQL = (
    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep%'"
)
"""Seconds each load request takes: longer than the shutdown delay below."""
DELAY = 0.8
GRACEFUL_EXIT = (0, -signal.SIGTERM)


@dataclass
class Service:
    process: asyncio.subprocess.Process
    url: str
    log: list[bytes] = field(default_factory=list)

    async def collect_log(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.log.append(line)


@asynccontextmanager
async def service(env: dict[str, str]) -> AsyncIterator[Service]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        APP,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        cwd=ROOT,
        env={**os.environ, "POLYSHOP_LOG_LEVEL": "INFO", **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Service(process, f"http://127.0.0.1:{port}")
    reader = asyncio.create_task(running.collect_log())
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await reader


async def wait_for(url: str, status: int, within: float) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(url)).status_code == status:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer {status} within {within} s")
            await asyncio.sleep(0.1)


def json_lines(log: list[bytes]) -> list[dict[str, Any]]:
    """The log as JSON objects. Only uvicorn's own first lines, printed before the app's
    lifespan configures logging, may be plain text."""
    plain = [line for line in log if line.strip() and not line.startswith(b"{")]
    assert all(line.startswith((b"INFO:     Started", b"INFO:     Waiting")) for line in plain)
    return [orjson.loads(line) for line in log if line.startswith(b"{")]


@dataclass
class Outcome:
    started: float
    ended: float
    status: int | None
    body: bytes | str


async def test_sigterm_drains_requests_after_readiness_turns_false(
    service_database: ServiceDatabaseFactory,
) -> None:
    url = await service_database("kit")
    env = {
        "POLYSHOP_DATABASE_URL": url,
        "POLYSHOP_SHUTDOWN_DELAY": str(DELAY),
        "POLYSHOP_SHUTDOWN_TIMEOUT": "10",
        "POLYSHOP_DB_POOL_SIZE": "10",
    }
    async with service(env) as running:
        await wait_for(f"{running.url}/ready", 200, within=30)
        outcomes: list[Outcome] = []
        readiness: list[tuple[float, int | str]] = []
        stop_sending = asyncio.Event()
        query = {"query": f"{{ slow(seconds: {SLOW}) }}"}

        async def load() -> None:
            # A fresh connection per request: each one is either refused or served.
            limits = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(timeout=30, limits=limits) as http:
                while not stop_sending.is_set():
                    started = time.monotonic()
                    try:
                        response = await http.post(f"{running.url}/graphql", json=query)
                        outcome = Outcome(
                            started, time.monotonic(), response.status_code, response.content
                        )
                    except httpx.HTTPError as error:
                        outcome = Outcome(started, time.monotonic(), None, repr(error))
                    outcomes.append(outcome)

        async def watch_readiness() -> None:
            async with httpx.AsyncClient(timeout=2) as http:
                while True:
                    try:
                        status: int | str = (await http.get(f"{running.url}/ready")).status_code
                    except httpx.ConnectError:
                        status = "refused"
                    readiness.append((time.monotonic(), status))
                    if status != 200:
                        stop_sending.set()  # what a load balancer does
                    if status == "refused":
                        return
                    await asyncio.sleep(0.05)

        workers = [asyncio.create_task(load()) for _ in range(6)]
        # Mid-load: every worker's request is running, as the database counts them.
        watch_db = await asyncpg.connect(plain_url(url))
        try:
            deadline = time.monotonic() + 30
            while (running_now := await watch_db.fetchval(IN_FLIGHT_SQL)) < len(workers):
                assert time.monotonic() < deadline, f"{running_now} requests in flight"
                await asyncio.sleep(0.01)
        finally:
            await watch_db.close()
        watcher = asyncio.create_task(watch_readiness())
        signalled = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(*workers, watcher), 30)
        exit_code = await asyncio.wait_for(running.process.wait(), 30)
        pid = running.process.pid

    # uvicorn re-raises the signal it handled once it is done: "killed by SIGTERM" after a
    # complete graceful shutdown (the log's last line says so).
    assert exit_code in GRACEFUL_EXIT, b"".join(running.log[-20:]).decode()
    statuses = [status for _, status in readiness]
    first_503 = statuses.index(503)
    assert "refused" in statuses[first_503:], statuses
    assert 200 not in statuses[first_503:], statuses
    not_ready_at = readiness[first_503][0]
    closed_at = readiness[statuses.index("refused")][0]
    assert not_ready_at < closed_at
    assert closed_at - signalled >= DELAY - 0.1

    assert outcomes, "no load was sent"
    failed = [o for o in outcomes if o.status != 200]
    assert not failed, failed
    for outcome in outcomes:
        assert orjson.loads(outcome.body) == {"data": {"slow": SLOW}}
    # Requests were still running when the listener closed, and finished afterwards.
    drained = [o for o in outcomes if o.started < closed_at < o.ended]
    assert drained, [(o.started - signalled, o.ended - signalled) for o in outcomes]

    lines = json_lines(running.log)
    events = [line["event"] for line in lines]
    assert events[-1] == f"Finished server process [{pid}]"
    assert events.index("shutdown requested; not ready") < events.index("service stopped")
    requests = [line for line in lines if line["event"] == "request"]
    assert requests
    assert all(line.get("correlation_id") for line in requests)


async def test_a_service_started_before_its_database_comes_up_with_it() -> None:
    port = free_port()
    server_url = f"postgresql://{SUPERUSER}@127.0.0.1:{port}"
    env = {
        "POLYSHOP_DATABASE_URL": database_url(server_url, "postgres"),
        "POLYSHOP_DB_STARTUP_BACKOFF_MAX": "0.5",
        "POLYSHOP_DB_POOL_TIMEOUT": "2",
    }
    with server_data_dir("late") as data_dir:
        postgres = EmbeddedPostgres(data_dir / "data", port=port)
        try:
            async with service(env) as running:
                await wait_for(f"{running.url}/health", 200, within=30)
                async with httpx.AsyncClient(timeout=5) as http:
                    assert (await http.get(f"{running.url}/ready")).status_code == 503
                await asyncio.to_thread(postgres.start)
                await wait_for(f"{running.url}/ready", 200, within=30)
                async with httpx.AsyncClient(timeout=5) as http:
                    response = await http.post(
                        f"{running.url}/graphql", json={"query": "{ slow(seconds: 0) }"}
                    )
                assert response.json() == {"data": {"slow": 0.0}}
                # The background wait has seen it too (and started what waits for it).
                deadline = time.monotonic() + 10
                while b"database reachable" not in b"".join(running.log):
                    assert time.monotonic() < deadline, "the start-up wait never ended"
                    await asyncio.sleep(0.1)
                running.process.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(running.process.wait(), 30) in GRACEFUL_EXIT
        finally:
            await asyncio.to_thread(postgres.stop)
    events = [line["event"] for line in json_lines(running.log)]
    assert "database unreachable; retrying" in events
    assert "database reachable" in events


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx must talk to 127.0.0.1 directly."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
