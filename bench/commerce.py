"""``python -m bench.commerce``: the commerce query through our router, on a real `polyshop up`.

One customer's PAID orders of 1, 10 and 50 items (distinct products) are read with one query
that touches five subgraphs (orders, products, inventory, payments, auth). Each cell loads the
router with wrk and reads, from ``/metrics`` before and after, the router's subgraph fetches
and every service's SQL statements (``polyshop_sql_statements_total``), divided by the GraphQL
requests the router answered meanwhile. Entity fetches are batched, so neither figure may grow
with the number of items: the run says whether it does.

Then `@defer`: the same query with everything but the order's own fields in one deferred
fragment (`DEFERRED_QUERY`: items, products, stock, payment and user arrive later), read
``--defer-requests`` times per order size, one at a time, interleaved with the plain query.
Printed per size: the plain query's median latency (the reference), the deferred query's median
time to its first payload and to its last, and their ratios to the reference, all measured in
the same run. The deferred answer, merged, must equal the plain one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import typer
from prometheus_client.parser import text_string_to_metric_families

from bench import install, load, table
from polyshop.devstack.demo_flow import Client, GraphQLFailure
from polyshop.services import ROUTER_PORT, SERVICES

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (1, 10, 50)
SERVICES_READ = ("orders", "products", "inventory", "payments", "auth")
"""The services the commerce query reads, in the table's column order."""
FLAT_TOLERANCE = 0.1
"""SQL statements per request that may differ between order sizes (background noise)."""

SQL_METRIC = "polyshop_sql_statements"
FETCH_METRIC = "polyshop_router_subgraph_request_duration_seconds"
REQUESTS_METRIC = "polyshop_router_requests"
ERRORS_METRIC = "polyshop_router_errors"
IN_FLIGHT_METRIC = "polyshop_router_requests_in_flight"
READY_LINE = "PolyShop is running"

COMMERCE_QUERY = (
    "query($id: ID!) { order(id: $id) { id status totalAmount items { quantity unitPrice "
    "product { name price stock { available } } } payment { status provider } "
    "user { email } } }"
)
DEFERRED_QUERY = (
    "query($id: ID!) { order(id: $id) { id status totalAmount "
    '... @defer(label: "details") { items { quantity unitPrice '
    "product { name price stock { available } } } payment { status provider } "
    "user { email } } } }"
)
"""`COMMERCE_QUERY` with the slow parts (four more subgraphs) in one deferred fragment."""
DEFER_ACCEPT = "multipart/mixed;deferSpec=20220824, application/json"
PART_END = b"\r\n--graphql"
PRIMARY_END = b'"hasNext":true}'
"""How the primary payload ends (its last key): it is complete before the next part begins."""
REGISTER = "mutation Register($input: RegisterInput!) { register(input: $input) { accessToken } }"
PRODUCTS = """
query Products {
  products(first: 100, orderBy: OLDEST, filter: {currency: "USD", active: true}) {
    edges { node { id stock { available } } }
  }
}
"""
PLACE = """
mutation Place($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id status }
}
"""
STATUS = "query Status($id: ID!) { order(id: $id) { status } }"
PAY = """
mutation Pay($orderId: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $orderId, card: $card, idempotencyKey: $key) { status }
}
"""
SUCCESS_CARD = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2040, "cvc": "123"}

WRK_SCRIPT = """-- written by bench/commerce.py: bench/wrk/graphql.lua plus an Authorization header
local body = nil
local path = "/graphql"
local auth = os.getenv("BENCH_AUTHORIZATION")

function init(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local tab = line:find("\\t", 1, true)
    if tab and body == nil then
      path = line:sub(1, tab - 1)
      body = line:sub(tab + 1)
    end
  end
  if body == nil then
    error("no request in " .. tostring(os.getenv("BENCH_REQUESTS")))
  end
end

function request()
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = auth }
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99)))
end
"""


# --- measuring: /metrics text → snapshots → per-request figures (pure, tested) ---------------


def counter_total(metrics_text: str, name: str, label: str | None = None) -> dict[str, float]:
    """A counter's ``_total`` samples summed per value of ``label`` (all under ``""`` when
    ``label`` is None); ``{}`` when the metric is absent."""
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name == f"{name}_total":
                key = "" if label is None else sample.labels.get(label, "")
                sums[key] = sums.get(key, 0.0) + sample.value
    return sums


def histogram_counts(metrics_text: str, name: str, label: str) -> dict[str, float]:
    """A histogram's ``_count`` per value of ``label``: observations, i.e. requests made."""
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name == f"{name}_count":
                key = sample.labels.get(label, "")
                counts[key] = counts.get(key, 0.0) + sample.value
    return counts


def gauge_value(metrics_text: str, name: str) -> float | None:
    for family in text_string_to_metric_families(metrics_text):
        if family.name == name:
            return sum(sample.value for sample in family.samples)
    return None


def sql_statements(metrics_text: str) -> float:
    """A service's SQL statements so far; 0 when it has sent none (or lacks the counter)."""
    return counter_total(metrics_text, SQL_METRIC).get("", 0.0)


@dataclass(frozen=True)
class Snapshot:
    """The counters a cell reads, at one moment."""

    requests: float
    """GraphQL requests the router answered."""
    graphql_errors: float
    fetches: Mapping[str, float]
    """Subgraph requests the router made, by subgraph."""
    sql: Mapping[str, float]
    """SQL statements sent, by service."""


def snapshot(router_text: str, service_texts: Mapping[str, str]) -> Snapshot:
    return Snapshot(
        requests=sum(counter_total(router_text, REQUESTS_METRIC, "status").values()),
        graphql_errors=sum(counter_total(router_text, ERRORS_METRIC, "code").values()),
        fetches=histogram_counts(router_text, FETCH_METRIC, "subgraph"),
        sql={name: sql_statements(text) for name, text in service_texts.items()},
    )


@dataclass(frozen=True)
class PerRequest:
    """Counter deltas between two snapshots, divided by the router's requests in between."""

    requests: int
    graphql_errors: int
    fetches: dict[str, float]
    sql: dict[str, float]

    @property
    def fetches_total(self) -> float:
        return sum(self.fetches.values())

    @property
    def sql_total(self) -> float:
        return sum(self.sql.values())


def _delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {key: after.get(key, 0.0) - before.get(key, 0.0) for key in after}


def per_request(before: Snapshot, after: Snapshot) -> PerRequest:
    """Deltas per request; the router's own count is the divisor, so requests wrk gave up on
    or left in flight at the end are still matched with the work they caused."""
    requests = round(after.requests - before.requests)
    if requests <= 0:
        raise ValueError("no request reached the router between the two snapshots")
    fetches = {k: v / requests for k, v in _delta(before.fetches, after.fetches).items() if v}
    sql = {name: value / requests for name, value in _delta(before.sql, after.sql).items()}
    return PerRequest(
        requests=requests,
        graphql_errors=round(after.graphql_errors - before.graphql_errors),
        fetches=dict(sorted(fetches.items())),
        sql=sql,
    )


@dataclass(frozen=True)
class Row:
    """One order size at one connection count."""

    items: int
    connections: int
    result: load.LoadResult
    measured: PerRequest

    @property
    def rps(self) -> float:
        return self.result.rps


def flatness(rows: Sequence[Row], tolerance: float = FLAT_TOLERANCE) -> tuple[bool, list[str]]:
    """Whether SQL statements per request (per service) and subgraph fetches per request are
    the same for every order size at each connection count; the lines that say so."""
    ok = True
    lines = []
    for connections in dict.fromkeys(row.connections for row in rows):
        group = [row for row in rows if row.connections == connections]
        sizes = "/".join(str(row.items) for row in group)
        services = sorted({name for row in group for name in row.measured.sql})
        grown = []
        for name in services:
            values = [row.measured.sql.get(name, 0.0) for row in group]
            if max(values) - min(values) > tolerance:
                grown.append(f"{name} {' → '.join(f'{v:.2f}' for v in values)}")
        fetches = [row.measured.fetches_total for row in group]
        if max(fetches) - min(fetches) > tolerance:
            grown.append(f"fetches {' → '.join(f'{v:.2f}' for v in fetches)}")
        if grown:
            ok = False
            lines.append(f"c={connections}: GROWS with items ({sizes}): " + "; ".join(grown))
        else:
            totals = ", ".join(f"{row.measured.sql_total:.2f}" for row in group)
            lines.append(
                f"c={connections}: OK, SQL statements per request are the same for {sizes} "
                f"items (total {totals}); fetches {fetches[0]:.2f}"
            )
    return ok, lines


def render(rows: Sequence[Row], services: Sequence[str] = SERVICES_READ) -> str:
    headers = [
        "items",
        "conns",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "fetches/req",
        *(f"SQL/req {name}" for name in services),
        "SQL/req all",
    ]
    lines = [
        [
            str(row.items),
            str(row.connections),
            f"{row.rps:,.0f}",
            f"{row.result.p50_ms:.2f}",
            f"{row.result.p99_ms:.2f}",
            str(row.result.errors + row.measured.graphql_errors),
            f"{row.measured.fetches_total:.2f}",
            *(f"{row.measured.sql.get(name, 0.0):.2f}" for name in services),
            f"{row.measured.sql_total:.2f}",
        ]
        for row in rows
    ]
    return table.render(headers, lines)


def as_json(row: Row) -> dict[str, Any]:
    return {
        "items": row.items,
        "connections": row.connections,
        "rps": row.rps,
        "load": dataclasses.asdict(row.result),
        **dataclasses.asdict(row.measured),
    }


# --- @defer: time to the first payload against the plain query (pure, tested) ---------------


@dataclass(frozen=True)
class DeferRow:
    """Median seconds per request for one order size, with the ratios to the plain query."""

    items: int
    plain: float
    first: float
    last: float

    @property
    def first_ratio(self) -> float:
        return self.first / self.plain if self.plain else float("nan")

    @property
    def last_ratio(self) -> float:
        return self.last / self.plain if self.plain else float("nan")


def defer_row(
    items: int, plain: Sequence[float], first: Sequence[float], last: Sequence[float]
) -> DeferRow:
    return DeferRow(
        items, statistics.median(plain), statistics.median(first), statistics.median(last)
    )


def multipart_payloads(body: bytes) -> list[dict[str, Any]]:
    """The JSON payloads of a `multipart/mixed;boundary="graphql"` answer, in order."""
    payloads = []
    for part in body.split(PART_END)[1:]:
        if part.startswith(b"--"):
            break
        _headers, _, content = part.partition(b"\r\n\r\n")
        payloads.append(json.loads(content))
    return payloads


def merge_incremental(payloads: Sequence[Mapping[str, Any]]) -> Any:
    """The data of incremental payloads merged as a client does (objects merged by key)."""
    data = payloads[0]["data"]

    def merge(into: Any, value: Any) -> None:
        for key, item in value.items():
            if isinstance(item, dict) and isinstance(into.get(key), dict):
                merge(into[key], item)
            else:
                into[key] = item

    for payload in payloads[1:]:
        for entry in payload.get("incremental", ()):
            target = data
            for segment in entry["path"]:
                target = target[segment]
            merge(target, entry["data"])
    return data


def render_defer(rows: Sequence[DeferRow]) -> str:
    return table.render(
        ["items", "plain ms", "first part ms", "first ÷ plain", "last part ms", "last ÷ plain"],
        [
            [
                str(row.items),
                f"{row.plain * 1000:.1f}",
                f"{row.first * 1000:.1f}",
                f"{row.first_ratio:.2f}",
                f"{row.last * 1000:.1f}",
                f"{row.last_ratio:.2f}",
            ]
            for row in rows
        ],
    )


async def defer_cell(
    session: aiohttp.ClientSession, url: str, token: str, order_id: str, size: int, requests: int
) -> DeferRow:
    """``requests`` plain and deferred queries, alternating, one at a time."""
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    plain_body = json.dumps({"query": COMMERCE_QUERY, "variables": {"id": order_id}})
    deferred_body = json.dumps({"query": DEFERRED_QUERY, "variables": {"id": order_id}})
    plain: list[float] = []
    first: list[float] = []
    last: list[float] = []
    expected: Any = None
    for _ in range(requests):
        started = time.perf_counter()
        async with session.post(url, data=plain_body, headers=headers) as response:
            answer = await response.json()
        plain.append(time.perf_counter() - started)
        expected = answer["data"]
        started = time.perf_counter()
        async with session.post(
            url, data=deferred_body, headers={**headers, "accept": DEFER_ACCEPT}
        ) as response:
            assert response.headers["content-type"].startswith("multipart/mixed"), response
            head = await response.content.readuntil(PRIMARY_END)
            first.append(time.perf_counter() - started)
            rest = await response.read()
        last.append(time.perf_counter() - started)
    merged = merge_incremental(multipart_payloads(head + rest))
    if json.dumps(merged, sort_keys=True) != json.dumps(expected, sort_keys=True):
        raise RuntimeError(f"the deferred answer differs: {merged} != {expected}")
    return defer_row(size, plain, first, last)


# --- the stack -------------------------------------------------------------------------------


@dataclass
class Stack:
    """A `polyshop up` child process with its ports moved by ``offset``."""

    offset: int
    log: Path
    process: asyncio.subprocess.Process | None = None
    data_dir: Path | None = None
    """The stack's ``POLYSHOP_DATA_DIR`` (its demo client secret is read from there)."""

    @property
    def router(self) -> str:
        return f"http://127.0.0.1:{ROUTER_PORT + self.offset}"

    def service(self, name: str) -> str:
        port = next(spec.port for spec in SERVICES if spec.name == name)
        return f"http://127.0.0.1:{port + self.offset}"


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_offset() -> int:
    """An offset putting the router and every service on free ports, below the ephemeral
    range the embedded PostgreSQL and NATS draw theirs from."""
    ports = [ROUTER_PORT, *(spec.port for spec in SERVICES)]
    for _ in range(200):
        offset = random.randrange(6000, 28000, 10)
        if all(_bindable(port + offset) for port in ports):
            return offset
    raise RuntimeError("no free block of ports for the stack")


@contextlib.asynccontextmanager
async def running_stack(out: Path, startup_seconds: float = 240.0) -> AsyncIterator[Stack]:
    """`polyshop up` (no demo orders) in a temp data dir; Ctrl-C (SIGINT) when done."""
    data_dir = Path(tempfile.mkdtemp(prefix="polyshop-commerce-"))
    stack = Stack(free_port_offset(), out / "polyshop-up.log", data_dir=data_dir / "data")
    env = {
        **os.environ,
        "POLYSHOP_DATA_DIR": str(data_dir / "data"),
        "POLYSHOP_PORT_OFFSET": str(stack.offset),
        "POLYSHOP_DEMO_ORDERS": "false",
    }
    try:
        with stack.log.open("wb") as log:
            stack.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "polyshop.cli",
                "up",
                env=env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        deadline = time.monotonic() + startup_seconds
        while READY_LINE not in stack.log.read_text(errors="replace"):
            if stack.process.returncode is not None:
                raise RuntimeError(f"polyshop up exited early; see {stack.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"polyshop up not running after {startup_seconds:.0f}s")
            await asyncio.sleep(0.3)
        yield stack
    finally:
        if stack.process is not None and stack.process.returncode is None:
            stack.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(stack.process.wait(), 60)
            except TimeoutError:
                stack.process.kill()
                await stack.process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


# --- the orders ------------------------------------------------------------------------------


async def eventually(client: Client, token: str, order_id: str, status: str) -> None:
    deadline = time.monotonic() + 60
    while (await client.call(STATUS, token, id=order_id))["order"]["status"] != status:
        if time.monotonic() > deadline:
            raise RuntimeError(f"order {order_id} did not reach {status}")
        await asyncio.sleep(0.2)


async def paid_order(client: Client, token: str, product_ids: Sequence[str]) -> str:
    """Place an order of one of each product, pay it with the sandbox card, wait for PAID."""
    items = [{"productId": product_id, "quantity": 1} for product_id in product_ids]
    placed = await client.call(
        PLACE, token, input={"items": items, "currency": "USD"}, key=str(uuid.uuid4())
    )
    order_id: str = placed["placeOrder"]["id"]
    await eventually(client, token, order_id, "PENDING_PAYMENT")
    deadline = time.monotonic() + 30
    while True:  # payments hears of the order from an event: NOT_FOUND until then
        try:
            await client.call(PAY, token, orderId=order_id, card=SUCCESS_CARD, key=order_id)
            break
        except GraphQLFailure as failure:
            if failure.codes != ["NOT_FOUND"] or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)
    await eventually(client, token, order_id, "PAID")
    return order_id


async def prepare(session: aiohttp.ClientSession, stack: Stack) -> tuple[str, dict[int, str]]:
    """A new customer's token and a PAID order per size."""
    client = Client(session, stack.router + "/graphql")
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    registration = {"email": email, "password": "a long enough passphrase", "name": "Bench"}
    token: str = (await client.call(REGISTER, input=registration))["register"]["accessToken"]
    edges = (await client.call(PRODUCTS, token))["products"]["edges"]
    stocked = [edge["node"]["id"] for edge in edges if edge["node"]["stock"]["available"] >= 10]
    if len(stocked) < max(SIZES):
        raise RuntimeError(f"only {len(stocked)} USD products have stock; need {max(SIZES)}")
    orders = {}
    for size in SIZES:
        orders[size] = await paid_order(client, token, stocked[:size])
        print(f"  order of {size} items: {orders[size]} PAID", flush=True)
    return token, orders


async def check_answer(client: Client, token: str, order_id: str, size: int) -> None:
    """The query must answer in full before it is worth loading."""
    order = (await client.call(COMMERCE_QUERY, token, id=order_id))["order"]
    if order["status"] != "PAID" or len(order["items"]) != size:
        raise RuntimeError(f"unexpected answer for order {order_id}: {str(order)[:300]}")
    if order["payment"] is None or order["user"] is None:
        raise RuntimeError(f"payment or user missing for order {order_id}")


# --- load ------------------------------------------------------------------------------------


async def run_wrk(
    url: str, requests_file: Path, script: Path, token: str, *, seconds: float, connections: int
) -> load.LoadResult:
    """wrk (one thread, keep-alive) with the Authorization header, like `load.run_wrk`."""
    binary = load.wrk_binary()
    if binary is None:
        raise load.LoadError("wrk is not installed")
    process = await asyncio.create_subprocess_exec(
        binary,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout=30s",
        "-s",
        str(script),
        url,
        env={"BENCH_REQUESTS": str(requests_file), "BENCH_AUTHORIZATION": f"Bearer {token}"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise load.LoadError(f"wrk exited with {process.returncode}:\n{text[-2000:]}")
    return load.parse_result(text)


async def metrics_text(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url + "/metrics") as response:
        response.raise_for_status()
        return await response.text()


async def settled(session: aiohttp.ClientSession, stack: Stack, within: float = 30.0) -> None:
    """Wait until the router serves nothing: wrk stops with requests in flight, which the
    router finishes after wrk is gone; counted half before and half after a snapshot, they
    would skew the per-request figures of a short cell."""
    deadline = time.monotonic() + within
    while gauge_value(await metrics_text(session, stack.router), IN_FLIGHT_METRIC):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the router still has requests in flight after {within:.0f}s")
        await asyncio.sleep(0.1)


async def scrape(session: aiohttp.ClientSession, stack: Stack, services: Iterable[str]) -> Snapshot:
    """Every counter once the router is idle."""
    await settled(session, stack)

    async def text(url: str) -> str:
        return await metrics_text(session, url)

    names = list(services)
    texts = await asyncio.gather(text(stack.router), *(text(stack.service(n)) for n in names))
    return snapshot(texts[0], dict(zip(names, texts[1:], strict=True)))


@dataclass(frozen=True)
class Options:
    seconds: float
    warmup: float
    connections: tuple[int, ...]
    services: tuple[str, ...] = field(default=SERVICES_READ)
    entity_cache: bool = True
    """Also load two routers of our own, entity cache off and on (`bench.entity_cache`)."""
    defer_requests: int = 50


async def run(options: Options) -> tuple[bool, Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"commerce-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    script = out / "commerce.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    rows: list[Row] = []
    print("starting polyshop up (no demo orders) ...", flush=True)
    async with (
        running_stack(out) as stack,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session,
    ):
        print(f"  router {stack.router}; placing and paying orders ...", flush=True)
        token, orders = await prepare(session, stack)
        client = Client(session, stack.router + "/graphql")
        for size, order_id in orders.items():
            await check_answer(client, token, order_id, size)
            body = json.dumps({"query": COMMERCE_QUERY, "variables": {"id": order_id}})
            requests_file = load.write_requests(out / f"order-{size}.tsv", [("/graphql", body)])
            for connections in options.connections:
                if options.warmup > 0:
                    await run_wrk(
                        stack.router,
                        requests_file,
                        script,
                        token,
                        seconds=options.warmup,
                        connections=connections,
                    )
                before = await scrape(session, stack, options.services)
                result = await run_wrk(
                    stack.router,
                    requests_file,
                    script,
                    token,
                    seconds=options.seconds,
                    connections=connections,
                )
                after = await scrape(session, stack, options.services)
                row = Row(size, connections, result, per_request(before, after))
                rows.append(row)
                print(
                    f"  items={size:<3} c={connections:<3} {row.rps:8,.0f} req/s  "
                    f"SQL/req {row.measured.sql_total:.2f}  fetches/req "
                    f"{row.measured.fetches_total:.2f}",
                    flush=True,
                )
        cache_cells = []
        if options.entity_cache:
            from bench import entity_cache

            print("entity cache: two routers of ours, cache off and on ...", flush=True)
            cache_cells = await entity_cache.compare(
                session,
                stack,
                out,
                script,
                token,
                orders,
                seconds=options.seconds,
                warmup=options.warmup,
                connections=max(options.connections),
                services=options.services,
            )
        defer_rows: list[DeferRow] = []
        if options.defer_requests > 0:
            print("  @defer: plain and deferred queries, alternating ...", flush=True)
            for size, order_id in orders.items():
                defer_rows.append(
                    await defer_cell(
                        session,
                        stack.router + "/graphql",
                        token,
                        order_id,
                        size,
                        options.defer_requests,
                    )
                )
    ordered = sorted(rows, key=lambda r: (r.connections, r.items))
    ok, verdict = flatness(ordered)
    print("\nCommerce query through the router (per request: router fetches, SQL per service)")
    print(render(ordered, options.services))
    print("\n".join(verdict))
    if cache_cells:
        from bench import entity_cache

        print(
            "\nEntity cache on the commerce query (same router, cache off vs on; "
            f"c={max(options.connections)})"
        )
        print(entity_cache.render(cache_cells))
    if defer_rows:
        print(
            "\n@defer: time to the first payload (order fields) and to the last (items, "
            "products, stock, payment, user) against the plain query, medians, same run"
        )
        print(render_defer(defer_rows))
    target = RESULTS / f"commerce-{stamp}.json"
    report = {
        "query": COMMERCE_QUERY,
        "options": dataclasses.asdict(options),
        "rows": [as_json(row) for row in ordered],
        "flat": ok,
        "verdict": verdict,
        "entity_cache": [
            {
                "items": cell.items,
                "router": cell.router,
                "rps": cell.result.rps,
                "hit_ratio": cell.hit_ratio,
                "cpu_ms_per_request": cell.cpu_ms,
                **dataclasses.asdict(cell.measured),
            }
            for cell in cache_cells
        ],
        "defer": {
            "query": DEFERRED_QUERY,
            "rows": [
                {
                    **dataclasses.asdict(row),
                    "first_ratio": row.first_ratio,
                    "last_ratio": row.last_ratio,
                }
                for row in defer_rows
            ],
        },
    }
    target.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nSaved {target} (wrk script, requests and the stack's log in {out})")
    return ok, target


def main(
    quick: Annotated[bool, typer.Option(help="A few seconds per cell, to try it out.")] = False,
    duration: Annotated[
        float | None, typer.Option(help="Seconds of load per cell (default 10, quick 3).")
    ] = None,
    warmup: Annotated[
        float | None, typer.Option(help="Warm-up seconds before each cell (default 2, quick 1).")
    ] = None,
    connections: Annotated[str, typer.Option(help="Connection counts, comma-separated.")] = "1,10",
    skip_install: Annotated[bool, typer.Option(help="Do not apt-get wrk.")] = False,
    entity_cache: Annotated[
        bool,
        typer.Option(help="Also compare our router with the entity cache off and on."),
    ] = True,
    defer_requests: Annotated[
        int | None,
        typer.Option(help="Plain and deferred queries per order size (default 50, quick 15)."),
    ] = None,
) -> None:
    """Load the router with the commerce query on orders of 1, 10 and 50 items; count the
    subgraph fetches and SQL statements per request. Exits 1 when they grow with the items."""
    if not skip_install:
        install.ensure_wrk()
    options = Options(
        seconds=duration if duration is not None else (3.0 if quick else 10.0),
        warmup=warmup if warmup is not None else (1.0 if quick else 2.0),
        connections=tuple(int(part) for part in connections.split(",") if part.strip()),
        entity_cache=entity_cache,
        defer_requests=defer_requests if defer_requests is not None else (15 if quick else 50),
    )
    ok, _ = asyncio.run(run(options))
    if not ok:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
