"""The chain of a plan's fetches sent directly to the subgraphs: what our router adds.

Issue 20's latency target is "our p50 minus the p50 of the same plan's fetches sent directly to the
subgraphs ≤ 1 ms". The *chain* is that second term: the subgraph requests our router sends for one
client request, replayed without the router, in the plan's order and parallelism, one client
request's worth at a time (1 connection), timed from the first request out to the last answer in.

How the chain is made faithful (`build`):

- the requests are the router's own: the bench records what the subgraphs received for one client
  request through our router (``POST /__bench/record`` on the benchmark subgraphs), so query text,
  variables and the representations built from earlier answers are byte for byte what the router
  sent (the subgraphs answer repeated bodies from their cache, for the router and the chain alike);
- the order is the plan's: the bench plans the query with the router's own planner on the run's
  supergraph (`router.engine.Engine.plan`, what ``polyshop plan`` prints) and puts each recorded
  request at its fetch node (matched by the operation text): ``Sequence`` steps one after another,
  ``Parallel`` branches (and the several requests of one fetch, per `@fromContext` value) at the
  same time. A recorded request that no fetch node of the plan explains, or a plan whose fetch
  sent nothing, is reported (`ChainError`) instead of measured.

How it is replayed (`replay`, ``python -m bench.chain CHAIN.json BASE_URL``): a child process on
uvloop with a minimal HTTP/1.1 keep-alive client (each request's bytes built once at load; one
connection per concurrent fetch, kept between chains as the router's pool keeps its own), so the
client adds as little as it can to the chain: whatever it adds makes the chain slower and the
router's added latency look *smaller*, so it is kept to a raw socket write and a Content-Length
read. It prints wrk's ``BENCH_RESULT`` line (`bench.load.parse_result` reads both).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlsplit

import typer

MARKER = "BENCH_RESULT "


class ChainError(ValueError):
    """The recorded requests and the plan do not match: the chain would not be the plan's."""


@dataclass(frozen=True)
class ChainFetch:
    """One subgraph request exactly as the router sent it."""

    path: str
    """The subgraph's URL path on the benchmark subgraph server (``/products``...)."""
    body: str


@dataclass(frozen=True)
class ChainSteps:
    """Steps run one after another, or all at once when ``parallel``."""

    parallel: bool
    steps: tuple[ChainNode, ...]


ChainNode = ChainFetch | ChainSteps


def fetch_count(node: ChainNode) -> int:
    if isinstance(node, ChainFetch):
        return 1
    return sum(fetch_count(step) for step in node.steps)


def stages(node: ChainNode) -> int:
    """Round trips one after another: the chain's critical path in fetches."""
    if isinstance(node, ChainFetch):
        return 1
    depths = [stages(step) for step in node.steps]
    if not depths:
        return 0
    return max(depths) if node.parallel else sum(depths)


def _steps(parallel: bool, steps: Sequence[ChainNode | None]) -> ChainNode | None:
    kept = tuple(step for step in steps if step is not None)
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return ChainSteps(parallel, kept)


def from_plan(plan_node: Any, recorded: Sequence[tuple[str, str]]) -> ChainNode:
    """Put each recorded ``(path, body)`` at its fetch node of the plan (`router.planning.nodes`).

    A fetch's requests are the recorded ones whose ``query`` is its operation text (all of them
    when that text is the fetch's own, one per fetch when several fetches share it)."""
    from router.planning import nodes

    pending: dict[str, list[tuple[str, str]]] = {}
    for path, body in recorded:
        pending.setdefault(json.loads(body)["query"], []).append((path, body))
    fetches: list[Any] = []

    def gather(node: Any) -> None:
        if isinstance(node, nodes.FetchNode | nodes.BatchFetchNode):
            fetches.append(node)
        elif isinstance(node, nodes.FlattenNode):
            gather(node.node)
        elif isinstance(node, nodes.SequenceNode | nodes.ParallelNode):
            for child in node.nodes:
                gather(child)
        elif isinstance(node, nodes.ConditionNode):
            gather(node.if_clause)
            gather(node.else_clause)
        elif isinstance(node, nodes.DeferNode):
            gather(node.primary)
            for deferred in node.deferred:
                gather(deferred.node)

    gather(plan_node)
    sharing: dict[str, int] = {}
    for fetch in fetches:
        sharing[fetch.operation] = sharing.get(fetch.operation, 0) + 1

    def build(node: Any) -> ChainNode | None:
        if node is None:
            return None
        if isinstance(node, nodes.FetchNode | nodes.BatchFetchNode):
            mine = pending.get(node.operation, [])
            taken = mine if sharing[node.operation] == 1 else mine[:1]
            pending[node.operation] = mine[len(taken) :]
            if not taken:
                raise ChainError(f"the plan's fetch to {node.service} sent nothing")
            return _steps(True, [ChainFetch(path, body) for path, body in taken])
        if isinstance(node, nodes.FlattenNode):
            return build(node.node)
        if isinstance(node, nodes.SequenceNode):
            return _steps(False, [build(child) for child in node.nodes])
        if isinstance(node, nodes.ParallelNode):
            return _steps(True, [build(child) for child in node.nodes])
        if isinstance(node, nodes.DeferNode):
            deferred = _steps(True, [build(d.node) for d in node.deferred])
            return _steps(False, [build(node.primary), deferred])
        raise ChainError(f"no chain for a {type(node).__name__} (a condition or an unknown node)")

    chain = build(plan_node)
    left = [path for requests in pending.values() for path, _ in requests]
    if left:
        raise ChainError(f"recorded requests the plan does not explain: {left}")
    if chain is None:
        raise ChainError("the plan sends no request")
    return chain


def build(supergraph: Path, query: str, recorded: Sequence[tuple[str, str]]) -> ChainNode:
    """The chain of ``query`` on ``supergraph``: our router's plan (its own planner, default
    settings as the bench runs it) with the ``recorded`` requests at its fetches."""
    from router.engine import Engine
    from router.http.runtime import engine_config
    from router.settings import RouterSettings
    from router.supergraph import read_supergraph

    settings = RouterSettings(supergraph=str(supergraph))
    engine = Engine(
        read_supergraph(supergraph.read_text(encoding="utf-8")), engine_config(settings)
    )
    plan = engine.plan(query)
    return from_plan(plan.node, recorded)


def to_json(node: ChainNode) -> Any:
    if isinstance(node, ChainFetch):
        return {"fetch": [node.path, node.body]}
    return {"parallel" if node.parallel else "sequence": [to_json(step) for step in node.steps]}


def from_json(value: Any) -> ChainNode:
    if "fetch" in value:
        path, body = value["fetch"]
        return ChainFetch(str(path), str(body))
    parallel = "parallel" in value
    steps = value["parallel" if parallel else "sequence"]
    return ChainSteps(parallel, tuple(from_json(step) for step in steps))


def save(node: ChainNode, target: Path) -> Path:
    target.write_text(json.dumps(to_json(node), indent=1), encoding="utf-8")
    return target


# -- the replay client (runs in its own process) ----------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time, Content-Length answers."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            waiter.set_exception(ConnectionError("answer without content-length"))
            return
        line_end = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        del self.buffer[:total]
        waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("connection closed"))


class _Client:
    """A pool of keep-alive connections to one host: a connection per concurrent request."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.idle: list[_Connection] = []

    async def send(self, request: bytes) -> int:
        loop = asyncio.get_running_loop()
        connection = None
        while self.idle and connection is None:
            candidate = self.idle.pop()
            if candidate.transport is not None:
                connection = candidate
        if connection is None:
            _, connection = await loop.create_connection(_Connection, self.host, self.port)
        connection.waiter = loop.create_future()
        assert connection.transport is not None
        connection.transport.write(request)
        status = await connection.waiter
        connection.waiter = None
        self.idle.append(connection)
        return status


@dataclass(frozen=True)
class _Prepared:
    parallel: bool
    steps: tuple[_Prepared | bytes, ...]


def _prepare(node: ChainNode, host: str) -> _Prepared | bytes:
    if isinstance(node, ChainFetch):
        body = node.body.encode()
        head = (
            f"POST {node.path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body
    return _Prepared(node.parallel, tuple(_prepare(step, host) for step in node.steps))


async def _run(client: _Client, node: _Prepared | bytes, errors: list[int]) -> None:
    if isinstance(node, bytes):
        try:
            status = await client.send(node)
        except OSError:  # a refused or dropped connection counts as wrk counts it: an error
            status = 0
        if status != 200:
            errors[0] += 1
    elif node.parallel:
        await asyncio.gather(*(_run(client, step, errors) for step in node.steps))
    else:
        for step in node.steps:
            await _run(client, step, errors)


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of sorted values (0 for none)."""
    if not ordered:
        return 0.0
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def replay(chain: ChainNode, base_url: str, *, seconds: float, warmup: float) -> str:
    """Run the chain over and over, one at a time, for ``warmup`` then ``seconds``; the
    ``BENCH_RESULT`` line of the timed part (latencies in µs)."""
    split = urlsplit(base_url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    client = _Client(host, port)
    prepared = _prepare(chain, f"{host}:{port}")
    errors = [0]
    deadline = time.perf_counter() + warmup
    while time.perf_counter() < deadline:
        await _run(client, prepared, errors)
    errors = [0]
    durations: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    now = started
    while now < deadline:
        await _run(client, prepared, errors)
        after = time.perf_counter()
        durations.append((after - now) * 1e6)
        now = after
    elapsed = now - started
    ordered = sorted(durations)
    result = {
        "requests": len(durations),
        "duration_us": int(elapsed * 1e6),
        "errors": {"connect": 0, "read": 0, "write": 0, "status": errors[0], "timeout": 0},
        "latency_us": {
            "mean": statistics.fmean(durations) if durations else 0.0,
            "p50": percentile(ordered, 0.50),
            "p95": percentile(ordered, 0.95),
            "p99": percentile(ordered, 0.99),
        },
    }
    for connection in client.idle:
        if connection.transport is not None:
            connection.transport.close()
    return MARKER + json.dumps(result)


def main(
    chain_file: Annotated[Path, typer.Argument(help="A chain written by `save`.")],
    base_url: Annotated[str, typer.Argument(help="The benchmark subgraph server's base URL.")],
    seconds: Annotated[float, typer.Option(help="Seconds timed.")] = 3.0,
    warmup: Annotated[float, typer.Option(help="Seconds run before timing.")] = 1.0,
) -> None:
    """Replay a chain one at a time and print wrk's BENCH_RESULT line."""
    import uvloop

    chain = from_json(json.loads(chain_file.read_text(encoding="utf-8")))
    print(uvloop.run(replay(chain, base_url, seconds=seconds, warmup=warmup)), flush=True)


async def run_replay(chain_file: Path, base_url: str, *, seconds: float, warmup: float) -> str:
    """``python -m bench.chain`` in a child process (like wrk, outside the bench's loop);
    its output."""
    import sys

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.chain",
        str(chain_file),
        base_url,
        "--seconds",
        str(seconds),
        "--warmup",
        str(warmup),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise ChainError(f"bench.chain exited with {process.returncode}:\n{text[-2000:]}")
    return text


if __name__ == "__main__":
    typer.run(main)
