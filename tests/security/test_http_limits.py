"""Header-size and read-time limits on every server, tried with raw sockets against real
processes started with the exact command the container runs (`deploy.entrypoint`): a subgraph
(auth, under uvicorn with the kit's protocol; it reads bodies without a token, so the body
timeout is what ends the wait) and the router.

1 MB of headers is refused with 431 before it is all read; a request whose headers or body
never arrive gets 408 and its connection closed within the configured seconds, not minutes;
a normal request on the same server still works.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.entrypoint import DeploySettings, serve_command
from polyshop.devstack.ports import free_port
from tests.support.auth_service import TEST_KEY_PASSPHRASE

REPO = Path(__file__).resolve().parents[2]
READ_TIMEOUT = 1.5
SLACK = 3.0  # scheduling on a busy machine; far below "minutes"


@dataclass
class Server:
    name: str
    port: int


async def _wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.returncode is None, "the server exited at start-up"
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        return
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module", params=["auth", "router"])
async def server(
    request: pytest.FixtureRequest, service_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[Server]:
    name: str = request.param
    database = await service_database("auth") if name == "auth" else ""
    port = free_port()
    limits = {"HTTP_HEADER_READ_TIMEOUT": str(READ_TIMEOUT), "HTTP_BODY_READ_TIMEOUT": "1.5"}
    prefix = "POLYSHOP_ROUTER_" if name == "router" else "POLYSHOP_"
    env = {
        **os.environ,
        **{prefix + key: value for key, value in limits.items()},
        "POLYSHOP_LOG_LEVEL": "WARNING",
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
        "POLYSHOP_DATABASE_URL": database,
        "POLYSHOP_AUTH_KEY_PASSPHRASE": TEST_KEY_PASSPHRASE,
        "POLYSHOP_ROUTER_PORT": str(port),
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
    }
    settings = DeploySettings(host="127.0.0.1", port=port, router_port=port)
    process = await asyncio.create_subprocess_exec(
        *serve_command(name, settings),
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _wait_listening(port, process)
        yield Server(name, port)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _exchange(port: int, *chunks: bytes) -> tuple[bytes, float]:
    """Sends ``chunks``, then reads until the server closes; the answer and the seconds
    from the last byte sent to the close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for chunk in chunks:
            try:
                writer.write(chunk)
                await writer.drain()
            except (ConnectionResetError, BrokenPipeError):
                break  # the server refused before reading it all
        sent = time.monotonic()
        answer = b""
        async with asyncio.timeout(READ_TIMEOUT + SLACK + 30):
            while True:
                try:
                    data = await reader.read(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                answer += data
        return answer, time.monotonic() - sent
    finally:
        writer.close()


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split(b" ", 2)[1])


async def test_a_megabyte_of_headers_is_refused_with_431(server: Server) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: localhost\r\n"
    padding = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(1024))
    answer, _ = await _exchange(server.port, head, padding, b"\r\n")
    assert _status(answer) == 431
    assert b"connection: close" in answer.lower()


async def test_headers_that_never_end_get_408_and_a_closed_connection(server: Server) -> None:
    answer, waited = await _exchange(
        server.port, b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n"
    )
    assert _status(answer) == 408
    assert waited < READ_TIMEOUT + SLACK


async def test_a_body_that_never_arrives_gets_408_and_a_closed_connection(
    server: Server,
) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    answer, waited = await _exchange(server.port, head, b'{"query": "{ __typ')
    assert _status(answer) == 408
    assert waited < READ_TIMEOUT + SLACK


async def test_an_idle_connection_that_sends_nothing_is_closed(server: Server) -> None:
    answer, waited = await _exchange(server.port)
    assert answer == b"" or _status(answer) == 408
    assert waited < READ_TIMEOUT + SLACK


async def test_ordinary_requests_still_pass(server: Server) -> None:
    header = b"X-Fine: " + b"b" * 4000 + b"\r\n"
    answer, _ = await _exchange(
        server.port,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + header + b"\r\n",
    )
    assert _status(answer) == 200


def test_the_limits_default_to_production_values() -> None:
    from router.settings import RouterSettings
    from subgraphs.kit.settings import ServiceSettings

    service, router = ServiceSettings(), RouterSettings()
    assert service.http_max_header_bytes == router.limits.http1_max_request_buf_size == 32 * 1024
    for settings in (service, router):
        assert settings.http_header_read_timeout == 10.0
        assert settings.http_body_read_timeout == 30.0
    assert socket  # raw sockets: asyncio streams over TCP, no HTTP client in between
