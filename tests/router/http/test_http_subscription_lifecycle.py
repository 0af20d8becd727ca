"""Subscription lifecycle on a real router (uvicorn) fed by a real subscription subgraph: the
ticks subgraph of `bench.subscriptions` (Node, the `graphql-ws` library), whose ``/publish``
emits events on demand and whose ``/stats`` says what it saw.

- A client that never reads is closed 1013 once a message has waited ``send_timeout`` for it,
  instead of being buffered for without bound, and the router goes on serving others.
- A multipart stream to a client that never reads is cut off after ``send_timeout`` (no
  closing boundary), its subscription ended.
- More than 100 distinct upstream subscriptions open at once (no HTTP pool limit holds the
  101st back) and each delivers.
- A silent connection gets a protocol ``ping``; unanswered, it is closed 4408; answered, it
  stays open.
- Header rules (``headers``) apply to the subgraph subscription: the upgrade request toward
  the subgraph carries what the rules insert and propagate.
- A supergraph reload ends only the subscriptions whose plan it changes, with an error saying
  so; the others go on receiving events.
- Plugins run on subscriptions at the router and supergraph stages, over WebSocket and
  multipart: a header set at the router stage reaches the subgraph, a variable rewritten at
  the supergraph stage picks the events, each event's response passes the response hooks,
  and a supergraph-stage answer stops the operation.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from bench.routers import BENCH
from bench.servers import Server
from bench.subscriptions import ticks_subgraph
from router.engine import SUPERGRAPH_CHANGED
from router.hot_reload import ReloadOutcome
from router.settings import RouterSettings
from tests.support.eventually import eventually
from tests.support.router_harness import running_router
from tests.support.ws_client import SUBPROTOCOL, connected, next_payload, receive, subscribe

TICKS = "subscription($topic: String!) { ticks(topic: $topic) { topic seq } }"
PADDED = "subscription($topic: String!) { ticks(topic: $topic) { seq pad } }"


@dataclass
class Ticks:
    server: Server
    supergraph: Path

    async def publish(self, count: int = 1, pad: int = 0) -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.server.url}/publish?count={count}&pad={pad}") as response,
        ):
            assert response.status == 200

    async def stats(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.server.url}/stats") as answer:
            stats: dict[str, Any] = await answer.json()
            return stats

    async def upstream(self, count: int) -> None:
        """Until the subgraph has ``count`` subscriptions open (its own count)."""
        async with asyncio.timeout(20):
            while (await self.stats())["subscriptions"] != count:  # noqa: ASYNC110 - polls a server
                await asyncio.sleep(0.02)

    def settings(
        self, plugins: list[dict[str, Any]] | None = None, **subscription: Any
    ) -> RouterSettings:
        return RouterSettings(
            supergraph=str(self.supergraph),
            port=0,
            hot_reload=False,
            subscription=subscription,
            plugins=plugins or [],
            headers={
                "all": {"request": [{"propagate": {"named": "x-tenant"}}]},
                "subgraphs": {
                    "ticks": {"request": [{"insert": {"name": "x-from-rule", "value": "ticks"}}]}
                },
            },
        )


@pytest_asyncio.fixture(scope="module")
async def ticks(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Ticks]:
    if shutil.which("node") is None or not (BENCH / "node_modules" / "graphql-ws").is_dir():
        pytest.skip("Node or bench/node_modules missing (npm ci --prefix bench)")
    async with ticks_subgraph(tmp_path_factory.mktemp("ticks")) as (server, supergraph):
        yield Ticks(server, supergraph)


class StalledClient:
    """A `graphql-transport-ws` client that stops reading: the protocol from `websockets`'
    sans-I/O `ClientProtocol`, over a plain socket with a small receive buffer that this
    client reads only when told to (`drain`)."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url), subprotocols=[Subprotocol(SUBPROTOCOL)])
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.socket.setblocking(False)
        self.messages: list[dict[str, Any]] = []

    async def open(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        await loop.sock_connect(self.socket, ("127.0.0.1", port))
        self.protocol.send_request(self.protocol.connect())
        await self._flush()
        while self.protocol.handshake_exc is None and not self._handshaken():
            self.protocol.receive_data(await loop.sock_recv(self.socket, 65536))
        await self.send({"type": "connection_init"})

    def _handshaken(self) -> bool:
        return any(isinstance(event, Response) for event in self.protocol.events_received())

    async def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        await self._flush()

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        for data in self.protocol.data_to_send():
            if data:
                await loop.sock_sendall(self.socket, data)

    async def drain(self) -> tuple[int | None, str | None]:
        """Reads everything up to the server's close frame; its code and reason."""
        loop = asyncio.get_running_loop()
        while self.protocol.close_rcvd is None:
            data = await asyncio.wait_for(loop.sock_recv(self.socket, 1 << 20), 20)
            if not data:
                self.protocol.receive_eof()
                break
            self.protocol.receive_data(data)
            for frame in self.protocol.events_received():
                if isinstance(frame, Frame) and frame.opcode is Opcode.TEXT:
                    self.messages.append(json.loads(frame.data))
        closed = self.protocol.close_rcvd
        if closed is None:
            return None, None
        await self._flush()  # the closing handshake's answer
        return closed.code, closed.reason


async def test_a_client_that_never_reads_is_closed_1013(ticks: Ticks) -> None:
    settings = ticks.settings(send_timeout=1.0, heartbeat_interval=60)
    async with running_router(settings) as router:
        ws = router.graphql.replace("http://", "ws://", 1)
        stalled = StalledClient(ws)
        try:
            await stalled.open(int(router.url.rsplit(":", 1)[1]))
            await stalled.send(
                {
                    "id": "s",
                    "type": "subscribe",
                    "payload": {"query": PADDED, "variables": {"topic": "flood"}},
                }
            )
            await eventually(
                lambda: router.app.open_subscriptions == 1, "the subscription", within=20.0
            )
            await ticks.upstream(1)
            # 400 events of 64 KiB (25 MiB): far more than the socket buffers hold.
            await ticks.publish(count=400, pad=64 * 1024)
            await eventually(
                lambda: router.app.open_subscriptions == 0, "the client dropped", within=20.0
            )
            code, reason = await stalled.drain()  # what the buffers held, then the close
        finally:
            stalled.socket.close()
        assert code == 1013
        assert reason == "Slow consumer: the client did not read its messages in time"
        received = [m for m in stalled.messages if m.get("type") == "next"]
        assert 0 < len(received) < 400  # some went out before the buffers filled, not all
        # The router goes on serving a client that reads.
        async with connected(ws) as reader:
            await subscribe(reader, "r", TICKS, {"topic": "calm"})
            await ticks.upstream(1)
            await ticks.publish()
            payload = await next_payload(reader, "r", wait=20)
            assert payload["data"]["ticks"]["topic"] == "calm"


async def test_a_multipart_client_that_never_reads_is_cut_off(ticks: Ticks) -> None:
    settings = ticks.settings(send_timeout=1.0, heartbeat_interval=60)
    async with running_router(settings) as router:
        loop = asyncio.get_running_loop()
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.setblocking(False)
        try:
            await loop.sock_connect(raw, ("127.0.0.1", int(router.url.rsplit(":", 1)[1])))
            body = json.dumps({"query": PADDED, "variables": {"topic": "flood-http"}}).encode()
            head = (
                "POST /graphql HTTP/1.1\r\nhost: router\r\ncontent-type: application/json\r\n"
                "accept: multipart/mixed;subscriptionSpec=1.0\r\n"
                f"content-length: {len(body)}\r\n\r\n"
            ).encode()
            await loop.sock_sendall(raw, head + body)
            await eventually(
                lambda: router.app.open_subscriptions == 1, "the subscription", within=20.0
            )
            await ticks.upstream(1)
            # 24 events of 1 MiB: more than the socket buffers hold, too few to overflow the
            # subscription's event queue (128), so it is the send that waits.
            await ticks.publish(count=24, pad=1024 * 1024)
            await eventually(
                lambda: router.app.open_subscriptions == 0, "the stream cut off", within=20.0
            )
            received = b""
            async with asyncio.timeout(30):
                while chunk := await loop.sock_recv(raw, 1 << 20):
                    received += chunk
        finally:
            raw.close()
        assert received.startswith(b"HTTP/1.1 200")
        assert b"--graphql--" not in received  # cut off, not ended
        assert 0 < received.count(b'"seq":') < 24
        assert b"SUBSCRIPTION_SLOW_CONSUMER" not in received
        await ticks.upstream(0)


async def test_more_than_a_hundred_upstream_subscriptions_open_and_deliver(ticks: Ticks) -> None:
    async with running_router(ticks.settings(heartbeat_interval=60)) as router:
        ws = router.graphql.replace("http://", "ws://", 1)
        async with connected(ws) as one, connected(ws) as two:
            for n in range(120):
                await subscribe(one if n % 2 else two, str(n), TICKS, {"topic": f"many-{n}"})
            await ticks.upstream(120)
            await ticks.publish()
            seen = {}
            for socket_ in (one, two):
                for _ in range(60):  # in whatever order the events come
                    message = await receive(socket_, wait=20)
                    assert message["type"] == "next", message
                    seen[message["id"]] = message["payload"]["data"]["ticks"]["topic"]
            assert seen == {str(n): f"many-{n}" for n in range(120)}


async def test_silent_clients_are_pinged_and_closed_4408_when_they_do_not_answer(
    ticks: Ticks,
) -> None:
    settings = ticks.settings(heartbeat_interval=0.3)
    async with running_router(settings) as router:
        ws = router.graphql.replace("http://", "ws://", 1)
        async with websockets.connect(ws, subprotocols=[SUBPROTOCOL]) as mute:  # type: ignore[list-item]
            await mute.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await mute.recv())["type"] == "connection_ack"
            assert json.loads(await asyncio.wait_for(mute.recv(), 10)) == {"type": "ping"}
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(mute.recv(), 10)
            assert mute.close_code == 4408
            assert mute.close_reason == "Keep-alive timeout"
        async with websockets.connect(ws, subprotocols=[SUBPROTOCOL]) as alive:  # type: ignore[list-item]
            await alive.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await alive.recv())["type"] == "connection_ack"
            for _ in range(4):  # four pings answered: well past the 4408 deadline
                assert json.loads(await asyncio.wait_for(alive.recv(), 10)) == {"type": "ping"}
                await alive.send(json.dumps({"type": "pong"}))
            await alive.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(alive.recv(), 10))["type"] in ("pong", "ping")


async def test_header_rules_apply_to_the_subgraph_subscription(ticks: Ticks) -> None:
    async with running_router(ticks.settings(heartbeat_interval=60)) as router:
        ws = router.graphql.replace("http://", "ws://", 1)
        async with connected(ws, headers={"x-tenant": "acme", "x-secret": "no"}) as socket:
            await subscribe(socket, "h", TICKS, {"topic": "headers"})
            await ticks.upstream(1)
            seen = (await ticks.stats())["headers"]
            assert seen["x-tenant"] == "acme"
            assert seen["x-from-rule"] == "ticks"
            assert "x-secret" not in seen


LIVE = {"name": "tests.support.sample_plugins:Live"}
STOP = {
    "name": "tests.support.sample_plugins:Stop",
    "config": {"stage": "supergraph_request"},
}


async def test_plugins_run_on_websocket_subscriptions(ticks: Ticks) -> None:
    async with running_router(ticks.settings([LIVE], heartbeat_interval=60)) as router:
        ws = router.graphql.replace("http://", "ws://", 1)
        async with connected(ws) as socket:
            await subscribe(socket, "p", TICKS, {"topic": "asked"})
            await ticks.upstream(1)
            assert (await ticks.stats())["headers"]["x-tenant"] == "from-plugin"
            await ticks.publish()
            payload = await next_payload(socket, "p", wait=20)
            assert payload["data"]["ticks"]["topic"] == "rewritten"
            assert payload["extensions"] == {"live": True}
    async with running_router(ticks.settings([STOP], heartbeat_interval=60)) as router:
        ws = router.graphql.replace("http://", "ws://", 1)
        async with connected(ws) as socket:
            await subscribe(socket, "s", TICKS, {"topic": "asked"})
            message = await receive(socket)
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == "STOPPED"
            assert router.app.open_subscriptions == 0


async def test_plugins_run_on_multipart_subscriptions(ticks: Ticks) -> None:
    async with running_router(ticks.settings([LIVE], heartbeat_interval=60)) as router:
        headers = {"accept": "multipart/mixed;subscriptionSpec=1.0"}
        body = {"query": TICKS, "variables": {"topic": "asked"}}
        async with router.session.post(router.graphql, json=body, headers=headers) as response:
            assert response.status == 200
            await ticks.upstream(1)
            assert (await ticks.stats())["headers"]["x-tenant"] == "from-plugin"
            await ticks.publish()
            text = ""
            async with asyncio.timeout(20):
                while '"ticks"' not in text:
                    text += (await response.content.readany()).decode()
        part = json.loads(text.split('"payload":', 1)[1].split("\r\n", 1)[0][:-1])
        assert part["data"]["ticks"]["topic"] == "rewritten"
        assert part["extensions"] == {"live": True}


async def test_a_reload_ends_only_the_subscriptions_whose_plan_changed(
    ticks: Ticks, tmp_path: Path
) -> None:
    """The new supergraph drops ``Tick.pad``: the subscription selecting it ends with
    SUBSCRIPTION_ENDED saying why; the one selecting ``topic seq`` goes on (same plan)."""
    current = tmp_path / "supergraph.graphql"
    current.write_text(ticks.supergraph.read_text())
    folder = tmp_path / "v2"
    folder.mkdir()
    sdl = (BENCH / "subgraphs" / "ticks" / "ticks.graphql").read_text()
    without_pad = "\n".join(line for line in sdl.splitlines() if "pad" not in line)
    (folder / "ticks.graphql").write_text(without_pad)
    next_supergraph = tmp_path / "v2.graphql"
    compose = await asyncio.create_subprocess_exec(
        "node", "compose_dir.mjs", str(folder), str(next_supergraph), ticks.server.url, cwd=BENCH
    )
    assert await compose.wait() == 0
    settings = ticks.settings(heartbeat_interval=60).model_copy(
        update={"supergraph": str(current), "hot_reload": True, "reload_interval": 60.0}
    )
    async with running_router(settings) as router:
        ws = router.graphql.replace("http://", "ws://", 1)
        async with connected(ws) as changed, connected(ws) as same:
            await subscribe(changed, "a", PADDED, {"topic": "reload"})
            await subscribe(same, "b", TICKS, {"topic": "reload"})
            await ticks.upstream(2)
            await ticks.publish(pad=3)
            assert (await next_payload(changed, "a"))["data"]["ticks"]["pad"] == "xxx"
            first = (await next_payload(same, "b"))["data"]["ticks"]["seq"]
            current.write_text(next_supergraph.read_text())
            watcher = router.app.watcher
            assert watcher is not None
            assert await watcher.check() is ReloadOutcome.RELOADED
            ended = await next_payload(changed, "a")
            assert ended["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_ENDED"
            assert ended["errors"][0]["message"] == SUPERGRAPH_CHANGED
            assert (await receive(changed)) == {"id": "a", "type": "complete"}
            await ticks.upstream(1)  # the changed one's upstream is gone, the other runs on
            await ticks.publish()
            assert (await next_payload(same, "b"))["data"]["ticks"] == {
                "topic": "reload",
                "seq": first + 1,
            }
            # New subscriptions use the new supergraph: `pad` is gone.
            await subscribe(changed, "c", PADDED, {"topic": "reload"})
            refused = await receive(changed)
            assert refused["type"] == "error", refused
            assert refused["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
