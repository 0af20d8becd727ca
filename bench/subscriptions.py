"""``python -m bench.subscriptions [--quick]``: subscriptions at scale, and nothing lost.

Two parts, each printing its figures:

**Scale** (`scale`). One router process holds ``--subscriptions`` concurrent WebSocket
subscriptions (5,000; 500 with ``--quick``), ``--per-connection`` on each client connection,
spread over ``--topics`` topics of a synthetic subgraph (``bench/subgraphs/ticks.mjs``: one
``Subscription.ticks(topic)`` field served over ``graphql-transport-ws`` with the `graphql-ws`
library; a POST to its ``/publish`` emits one event on every topic, stamped with the time of
publishing). After a warm-up round that every subscriber must receive, ``--rounds`` rounds are
published, each waited for until every subscriber has its event. Measured per router:

- **RSS per subscription**: (peak RSS of the router's process tree while the subscriptions
  are open - its RSS before the first one) ÷ subscriptions;
- **fan-out latency** p50/p99: from the subgraph's publish stamp to the client reading the
  event (all on this machine's clock; the client is this process, the same for every router);
- **CPU per delivered event**: the router tree's user+system CPU during the rounds ÷ events
  the clients received;
- the upstream subscriptions the subgraph saw open (our router shares one per distinct root
  fetch, so ``--topics`` of them).

The same runs against Hive Gateway (``@graphql-hive/gateway`` of ``bench/package.json``, its
subgraph subscriptions over WebSocket: ``bench/peers/hive-subscriptions.config.mjs``) on the
same subgraph, and the ratios ours ÷ Hive are printed (below 1: ours uses less).

**No loss** (`no_loss`, skipped with ``--no-loss-orders 0``). On a real `polyshop up` (the
stack of `bench.commerce`), ``--no-loss-orders`` orders (1,000; 100 with ``--quick``) are placed
through the router, each watched by ``--subscribers-per-order`` ``orderUpdated`` subscriptions
on different WebSocket connections, then paid. Every subscriber must see each status change
from the state it subscribed in up to PAID exactly once and in order (CREATED →
PENDING_PAYMENT → PAID); the counts of delivered, expected, missing, duplicated and
out-of-order changes are printed, and the run fails unless the last three are zero.
``tests/e2e/test_subscriptions_through_router.py`` runs the same count on 100 orders.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import orjson
import typer

from bench import install
from bench.commerce import PAY, PLACE, PRODUCTS, REGISTER, SUCCESS_CARD
from bench.procstat import TreeUsage, cpu_seconds, process_tree, rss_bytes
from bench.routers import BENCH, RouterSpec
from bench.servers import Server, free_port
from polyshop.devstack.demo_flow import Client, GraphQLFailure

RESULTS = BENCH / "results"
PROTOCOL = "graphql-transport-ws"

# --- no loss ---------------------------------------------------------------------------------

STATUSES = ("CREATED", "PENDING_PAYMENT", "PAID")
"""An order's status changes on the paid path, in order; PAID is where this run ends."""
WATCH = "subscription Watch($id: ID!) { orderUpdated(orderId: $id) { id status } }"
OPS_PER_CONNECTION = 50


@dataclass
class Watcher:
    """One subscriber of one order: the statuses it received, in order."""

    order_id: str
    op_id: str
    statuses: list[str] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def judge(self) -> tuple[int, int, int, int]:
        """(expected, missing, duplicated, out of order) changes for this subscriber: every
        status from the first one it got (the state it subscribed in) up to PAID, once each,
        in `STATUSES` order."""
        if not self.statuses or self.statuses[0] not in STATUSES:
            return len(STATUSES), len(STATUSES), 0, 0
        expected = STATUSES[STATUSES.index(self.statuses[0]) :]
        missing = sum(1 for status in expected if status not in self.statuses)
        duplicated = len(self.statuses) - len(set(self.statuses))
        seen = list(dict.fromkeys(self.statuses))
        ranks = [STATUSES.index(s) if s in STATUSES else -1 for s in seen]
        out_of_order = sum(1 for a, b in itertools.pairwise(ranks) if b <= a)
        return len(expected), missing, duplicated, out_of_order


@dataclass
class NoLossReport:
    orders: int
    subscribers: int
    delivered: int = 0
    expected: int = 0
    missing: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.missing == 0
            and self.duplicated == 0
            and self.out_of_order == 0
            and self.delivered == self.expected
        )

    def render(self) -> str:
        verdict = "OK" if self.ok else "FAILED"
        text = (
            f"no loss: {self.orders} orders x {self.subscribers} subscribers in "
            f"{self.seconds:.1f} s: {self.delivered} status changes delivered of "
            f"{self.expected} expected; missing {self.missing}, duplicated {self.duplicated}, "
            f"out of order {self.out_of_order}: {verdict}"
        )
        if self.errors:
            text += "\n  errors: " + "; ".join(self.errors[:5])
        return text


class _Connection:
    """One client WebSocket carrying many operations; a reader task routes ``next`` messages
    to their `Watcher` by operation id."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.watchers: dict[str, Watcher] = {}
        self.pongs: asyncio.Queue[None] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            body = orjson.loads(message.data)
            kind = body.get("type")
            if kind == "ping":
                await self.socket.send_str('{"type":"pong"}')
            elif kind == "pong":
                self.pongs.put_nowait(None)
            elif kind in ("next", "error"):
                watcher = self.watchers.get(body.get("id"))
                if watcher is None:
                    continue
                payload = body.get("payload")
                if kind == "next" and isinstance(payload, dict) and not payload.get("errors"):
                    watcher.statuses.append(payload["data"]["orderUpdated"]["status"])
                else:
                    watcher.errors.append(payload)
                watcher.changed.set()

    async def watch(self, watcher: Watcher) -> None:
        self.watchers[watcher.op_id] = watcher
        message = {
            "id": watcher.op_id,
            "type": "subscribe",
            "payload": {"query": WATCH, "variables": {"id": watcher.order_id}},
        }
        await self.socket.send_str(json.dumps(message))

    async def settle(self) -> None:
        """A ping round trip: every event the router sent before it has been read."""
        await self.socket.send_str('{"type":"ping"}')
        await asyncio.wait_for(self.pongs.get(), 30)


async def _open(session: aiohttp.ClientSession, ws: str, token: str) -> _Connection:
    socket = await session.ws_connect(ws, protocols=(PROTOCOL,), heartbeat=None)
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await socket.send_str(json.dumps(init))
    ack = await socket.receive_json(timeout=30)
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    return _Connection(socket)


async def _until(watcher: Watcher, status: str, within: float) -> None:
    deadline = time.monotonic() + within
    while status not in watcher.statuses and not watcher.errors:
        watcher.changed.clear()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watcher.changed.wait(), remaining)


async def no_loss(
    router_url: str,
    *,
    orders: int,
    subscribers: int = 2,
    concurrency: int = 16,
    within: float = 90.0,
) -> NoLossReport:
    """Place ``orders`` orders through the router at ``router_url`` (its ``/graphql``), watch
    each with ``subscribers`` subscriptions on distinct connections, pay each once all its
    subscribers have seen PENDING_PAYMENT, and count what every subscriber received (see the
    module docstring)."""
    report = NoLossReport(orders, subscribers)
    started = time.monotonic()
    ws = router_url.replace("http://", "ws://", 1)
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0)  # the WebSockets hold theirs
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        client = Client(session, router_url)
        email = f"noloss-{uuid.uuid4().hex[:10]}@example.com"
        registration = {"email": email, "password": "a long enough passphrase", "name": "Live"}
        token: str = (await client.call(REGISTER, input=registration))["register"]["accessToken"]
        edges = (await client.call(PRODUCTS, token))["products"]["edges"]
        slots = [
            edge["node"]["id"]
            for edge in edges
            for _ in range(max(0, edge["node"]["stock"]["available"] - 2))
        ]
        if len(slots) < orders:
            raise RuntimeError(f"stock for {len(slots)} orders only; {orders} asked")
        by_product: dict[str, list[str]] = {}
        for product in slots:
            by_product.setdefault(product, []).append(product)
        rotation = [p for group in itertools.zip_longest(*by_product.values()) for p in group if p]
        pools = max(1, -(-orders // OPS_PER_CONNECTION))
        connections = [
            [await _open(session, ws, token) for _ in range(pools)] for _ in range(subscribers)
        ]
        watchers: list[Watcher] = []
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> None:
            async with gate:
                try:
                    placed = await client.call(
                        PLACE,
                        token,
                        input={
                            "items": [{"productId": rotation[index], "quantity": 1}],
                            "currency": "USD",
                        },
                        key=uuid.uuid4().hex,
                    )
                    order_id = placed["placeOrder"]["id"]
                    mine = [Watcher(order_id, f"{order_id}-{n}") for n in range(subscribers)]
                    watchers.extend(mine)
                    for n, watcher in enumerate(mine):
                        await connections[n][index % pools].watch(watcher)
                    for watcher in mine:
                        await _until(watcher, "PENDING_PAYMENT", within)
                    await _pay(client, token, order_id, within)
                    for watcher in mine:
                        await _until(watcher, "PAID", within)
                except (GraphQLFailure, aiohttp.ClientError, TimeoutError) as error:
                    report.errors.append(f"order #{index}: {error!r}"[:300])

        await asyncio.gather(*(one(index) for index in range(orders)))
        for pool in connections:
            for connection in pool:
                await connection.settle()  # late duplicates are counted too
        for watcher in watchers:
            expected, missing, duplicated, out_of_order = watcher.judge()
            report.delivered += len(watcher.statuses)
            report.expected += expected
            report.missing += missing
            report.duplicated += duplicated
            report.out_of_order += out_of_order
            if watcher.errors:
                report.errors.append(f"{watcher.op_id}: {str(watcher.errors[0])[:200]}")
        for pool in connections:
            for connection in pool:
                await connection.socket.close()
                connection.reader.cancel()
    report.seconds = time.monotonic() - started
    return report


async def _pay(client: Client, token: str, order_id: str, within: float) -> None:
    deadline = time.monotonic() + within
    while True:  # payments hears of the order from an event: NOT_FOUND until then
        try:
            await client.call(PAY, token, orderId=order_id, card=SUCCESS_CARD, key=order_id)
            return
        except GraphQLFailure as failure:
            if failure.codes != ["NOT_FOUND"] or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)


# --- scale -----------------------------------------------------------------------------------

TICKS = "subscription Ticks($topic: String!) { ticks(topic: $topic) { topic seq sentAt } }"
OURS = RouterSpec("polyshop", "polyshop (1 worker)", ours=True)
HIVE = RouterSpec("hive-gateway", "Hive Gateway", kind="hive-gateway-subscriptions")
SCALE_ROUTERS = (OURS, HIVE)


@dataclass
class ScaleResult:
    router: str
    subscriptions: int
    connections: int
    upstream: int
    baseline_rss: int
    peak_rss: int
    latencies_ms: list[float]
    delivered: int
    expected: int
    cpu_seconds: float
    errors: list[str] = field(default_factory=list)

    @property
    def rss_per_subscription(self) -> float:
        return max(0, self.peak_rss - self.baseline_rss) / max(1, self.subscriptions)

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def cpu_us_per_event(self) -> float:
        return self.cpu_seconds * 1e6 / max(1, self.delivered)

    def as_json(self) -> dict[str, Any]:
        return {
            "router": self.router,
            "subscriptions": self.subscriptions,
            "connections": self.connections,
            "upstream_subscriptions": self.upstream,
            "baseline_rss": self.baseline_rss,
            "peak_rss": self.peak_rss,
            "rss_per_subscription": self.rss_per_subscription,
            "p50_ms": self.percentile(0.5),
            "p99_ms": self.percentile(0.99),
            "delivered": self.delivered,
            "expected": self.expected,
            "cpu_us_per_event": self.cpu_us_per_event,
            "errors": self.errors[:10],
        }


class _TickClient:
    """One client connection with ``ops`` subscriptions to ``ticks``; records the latency of
    each event (now - its ``sentAt``) and counts them per round (``seq``)."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse, counter: _Counter) -> None:
        self.socket = socket
        self.counter = counter
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            body = orjson.loads(message.data)
            kind = body.get("type")
            if kind == "next":
                received = time.time() * 1000
                payload = body["payload"]
                tick = (payload.get("data") or {}).get("ticks")
                if tick is None:
                    self.counter.errors.append(str(payload)[:200])
                    continue
                self.counter.record(tick["topic"], tick["seq"], received - tick["sentAt"])
            elif kind == "ping":
                await self.socket.send_str('{"type":"pong"}')
            elif kind in ("error", "complete"):
                self.counter.errors.append(str(body)[:200])
        if self.socket.close_code not in (None, 1000):
            self.counter.errors.append(f"closed {self.socket.close_code}")

    async def subscribe(self, op_id: str, topic: str) -> None:
        message = {
            "id": op_id,
            "type": "subscribe",
            "payload": {"query": TICKS, "variables": {"topic": topic}},
        }
        await self.socket.send_str(orjson.dumps(message).decode())


class _Counter:
    def __init__(self) -> None:
        self.by_round: dict[int, int] = {}
        self.latencies: list[float] = []
        self.measuring = False
        self.errors: list[str] = []
        self.changed = asyncio.Event()

    def record(self, topic: str, seq: int, latency: float) -> None:
        self.by_round[seq] = self.by_round.get(seq, 0) + 1
        if self.measuring:
            self.latencies.append(latency)
        self.changed.set()

    async def wait_round(self, seq: int, count: int, within: float) -> bool:
        deadline = time.monotonic() + within
        while self.by_round.get(seq, 0) < count:
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.errors:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 1.0))
        return True


async def _publish(session: aiohttp.ClientSession, subgraph: str) -> dict[str, Any]:
    async with session.post(f"{subgraph}/publish") as response:
        stats: dict[str, Any] = await response.json()
        return stats


async def _stats(session: aiohttp.ClientSession, subgraph: str) -> dict[str, Any]:
    async with session.get(f"{subgraph}/stats") as response:
        stats: dict[str, Any] = await response.json()
        return stats


async def measure(
    spec: RouterSpec,
    supergraph: Path,
    subgraph: str,
    logs: Path,
    *,
    subscriptions: int,
    per_connection: int,
    topics: int,
    rounds: int,
    within: float = 60.0,
) -> ScaleResult:
    """One router under ``subscriptions`` subscriptions (see the module docstring)."""
    server = spec.server(supergraph, free_port(), logs)
    counter = _Counter()
    connections = -(-subscriptions // per_connection)
    async with (
        server,
        aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=120),
            connector=aiohttp.TCPConnector(limit=0),  # one connection per client socket
        ) as http,
    ):
        ws = server.url.replace("http://", "ws://", 1) + "/graphql"
        # Warm-up: one subscription and one event, so code loaded lazily on the first
        # subscription is not counted per subscription.
        warm = await _tick_client(http, ws, counter)
        await warm.subscribe("warm", "warm")
        await _settled_upstream(http, subgraph, 1, within)
        seq = (await _publish(http, subgraph))["seq"]
        if not await counter.wait_round(seq, 1, within):
            raise RuntimeError(f"{spec.label}: no warm-up event ({counter.errors[:3]})")
        await warm.socket.close()
        warm.reader.cancel()
        await _settled_upstream(http, subgraph, 0, within)
        baseline = rss_bytes(process_tree(server.pid))
        usage = TreeUsage(server.pid, interval=0.05)
        usage.start()
        clients = [await _tick_client(http, ws, counter) for _ in range(connections)]
        for op in range(subscriptions):
            await clients[op // per_connection].subscribe(str(op), f"topic-{op % topics}")
        # Publish until one event reaches every subscriber: then all are subscribed upstream.
        deadline = time.monotonic() + within
        while True:
            seq = (await _publish(http, subgraph))["seq"]
            if await counter.wait_round(seq, subscriptions, 2.0):
                break
            if time.monotonic() > deadline or counter.errors:
                raise RuntimeError(
                    f"{spec.label}: {counter.by_round.get(seq, 0)} of {subscriptions} "
                    f"subscribers got an event ({counter.errors[:3]})"
                )
        upstream = (await _stats(http, subgraph))["subscriptions"]
        counter.measuring = True
        before = cpu_seconds(process_tree(server.pid))
        delivered = 0
        for _ in range(rounds):
            seq = (await _publish(http, subgraph))["seq"]
            await counter.wait_round(seq, subscriptions, within)
            delivered += counter.by_round.get(seq, 0)
        after = cpu_seconds(process_tree(server.pid))
        cpu = sum(max(0.0, used - before.get(pid, 0.0)) for pid, used in after.items())
        await usage.stop()
        for client in clients:
            await client.socket.close()
            client.reader.cancel()
    return ScaleResult(
        spec.label,
        subscriptions,
        connections,
        upstream,
        baseline,
        usage.peak_rss,
        counter.latencies,
        delivered,
        subscriptions * rounds,
        cpu,
        counter.errors,
    )


async def _tick_client(http: aiohttp.ClientSession, ws: str, counter: _Counter) -> _TickClient:
    socket = await http.ws_connect(ws, protocols=(PROTOCOL,), heartbeat=None, max_msg_size=0)
    await socket.send_str('{"type":"connection_init","payload":{}}')
    ack = await socket.receive_json(timeout=30)
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack from {ws}: {ack}")
    return _TickClient(socket, counter)


async def _settled_upstream(
    http: aiohttp.ClientSession, subgraph: str, count: int, within: float
) -> None:
    deadline = time.monotonic() + within
    while (await _stats(http, subgraph))["subscriptions"] != count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the subgraph did not reach {count} open subscriptions")
        await asyncio.sleep(0.05)


def render_scale(results: Sequence[ScaleResult]) -> str:
    lines = [
        f"{'router':<32} {'subs':>6} {'conns':>6} {'upstream':>8} {'KiB/sub':>8} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'CPU us/event':>12} {'delivered':>10}"
    ]
    for r in results:
        lines.append(
            f"{r.router:<32} {r.subscriptions:>6} {r.connections:>6} {r.upstream:>8} "
            f"{r.rss_per_subscription / 1024:>8.1f} {r.percentile(0.5):>8.1f} "
            f"{r.percentile(0.99):>8.1f} {r.cpu_us_per_event:>12.1f} "
            f"{r.delivered:>5}/{r.expected:<5}"
        )
        if r.errors:
            lines.append(f"  errors: {'; '.join(r.errors[:3])}")
    if len(results) == 2:
        ours, peer = results
        lines.append(
            f"ratio ours / {peer.router}: memory per subscription "
            f"{_ratio(ours.rss_per_subscription, peer.rss_per_subscription)}, "
            f"p50 {_ratio(ours.percentile(0.5), peer.percentile(0.5))}, "
            f"p99 {_ratio(ours.percentile(0.99), peer.percentile(0.99))}, "
            f"CPU per event {_ratio(ours.cpu_us_per_event, peer.cpu_us_per_event)} "
            "(below 1: ours uses less)"
        )
    return "\n".join(lines)


def _ratio(ours: float, peer: float) -> str:
    return f"{ours / peer:.2f}x" if peer > 0 else "n/a"


async def scale(
    out: Path,
    *,
    subscriptions: int,
    per_connection: int,
    topics: int,
    rounds: int,
    routers: Sequence[RouterSpec] = SCALE_ROUTERS,
) -> list[ScaleResult]:
    """The scale part: the ticks subgraph, the supergraph composed over it, each router."""
    logs = out / "logs"
    results = []
    async with ticks_subgraph(out) as (subgraph, supergraph):
        for spec in routers:
            print(f"  {spec.label}: {subscriptions} subscriptions ...", flush=True)
            results.append(
                await measure(
                    spec,
                    supergraph,
                    subgraph.url,
                    logs,
                    subscriptions=subscriptions,
                    per_connection=per_connection,
                    topics=topics,
                    rounds=rounds,
                )
            )
    return results


@contextlib.asynccontextmanager
async def ticks_subgraph(out: Path) -> AsyncIterator[tuple[Server, Path]]:
    """The running ticks subgraph (``bench/subgraphs/ticks.mjs``) and a supergraph composed
    over it in ``out`` (its log in ``out/logs``)."""
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    subgraph = Server(
        "ticks",
        ["node", "subgraphs/ticks.mjs", "--port", str(port)],
        port,
        BENCH,
        logs / "ticks.log",
        ready_path="/health",
    )
    supergraph = out / "ticks-supergraph.graphql"
    async with subgraph:
        compose = await asyncio.create_subprocess_exec(
            "node", "compose_dir.mjs", "subgraphs/ticks", str(supergraph), subgraph.url, cwd=BENCH
        )
        if await compose.wait() != 0:
            raise RuntimeError("composing the ticks supergraph failed")
        yield subgraph, supergraph


app = typer.Typer(add_completion=False)


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="Fewer subscriptions, rounds and orders.")] = False,
    subscriptions: Annotated[int | None, typer.Option(help="5000; 500 with --quick.")] = None,
    per_connection: Annotated[int, typer.Option(help="Subscriptions per connection.")] = 10,
    topics: Annotated[int, typer.Option(help="Distinct topics subscribed to.")] = 100,
    rounds: Annotated[int | None, typer.Option(help="Measured events per topic.")] = None,
    no_loss_orders: Annotated[
        int | None, typer.Option(help="Orders of the no-loss count (0: skip); 1000, 100 quick.")
    ] = None,
    subscribers_per_order: Annotated[int, typer.Option(help="Subscribers per order.")] = 2,
    peers: Annotated[bool, typer.Option(help="Also measure Hive Gateway.")] = True,
    skip_install: Annotated[bool, typer.Option(help="Skip npm ci in bench/.")] = False,
) -> None:
    """Subscriptions at scale against Hive Gateway, and the no-loss count (see the module
    docstring)."""
    count = subscriptions or (500 if quick else 5000)
    measured_rounds = rounds or (5 if quick else 20)
    orders = (100 if quick else 1000) if no_loss_orders is None else no_loss_orders
    ok = asyncio.run(
        _run(
            count,
            per_connection,
            min(topics, count),
            measured_rounds,
            orders,
            subscribers_per_order,
            peers,
            skip_install,
        )
    )
    raise typer.Exit(0 if ok else 1)


async def _run(
    count: int,
    per_connection: int,
    topics: int,
    rounds: int,
    orders: int,
    subscribers: int,
    peers: bool,
    skip_install: bool,
) -> bool:
    if shutil.which("node") is None:
        print("Node.js is needed (the ticks subgraph and Hive Gateway)", file=sys.stderr)
        return False
    if not skip_install:
        install.ensure_node_modules()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"subscriptions-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"scale: {count} subscriptions, {per_connection} per connection, {topics} topics, "
        f"{rounds} measured events each",
        flush=True,
    )
    results = await scale(
        out,
        subscriptions=count,
        per_connection=per_connection,
        topics=topics,
        rounds=rounds,
        routers=SCALE_ROUTERS if peers else (OURS,),
    )
    print(render_scale(results), flush=True)
    record: dict[str, Any] = {"scale": [r.as_json() for r in results]}
    ok = all(r.delivered == r.expected and not r.errors for r in results[:1])
    if orders:
        from bench.commerce import running_stack

        print(f"no loss: {orders} orders on polyshop up ...", flush=True)
        async with running_stack(out) as stack:
            report = await no_loss(
                stack.router + "/graphql", orders=orders, subscribers=subscribers
            )
        print(report.render(), flush=True)
        record["no_loss"] = {
            "orders": report.orders,
            "subscribers": report.subscribers,
            "delivered": report.delivered,
            "expected": report.expected,
            "missing": report.missing,
            "duplicated": report.duplicated,
            "out_of_order": report.out_of_order,
            "errors": report.errors[:20],
            "ok": report.ok,
        }
        ok = ok and report.ok
    (RESULTS / f"subscriptions-{stamp}.json").write_text(json.dumps(record, indent=2))
    print(f"saved {RESULTS / f'subscriptions-{stamp}.json'}")
    return ok


if __name__ == "__main__":
    app()
