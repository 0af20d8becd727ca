"""``python -m bench.plugins``: what plugins and a coprocessor cost the router.

Three configurations of our router (one worker, dedup off) serve the benchmark's ``small`` and
``heavy`` queries against the benchmark's Node subgraphs, loaded by wrk:

- ``none``: no plugin (the reference, measured in the same run);
- ``noop-plugin``: `NoopEverywhere`, one plugin with a hook at all eight stages, each doing
  nothing: the cost of the plugin machinery itself (context, stage objects, timeouts);
- ``coprocessor``: an external coprocessor at the supergraph request stage (headers, body and
  context sent), answering each call with the same object (``bench/coprocessor.mjs``).

Each cell reports req/s, latency and the router's CPU per request (user + system of its
process tree, from ``/proc``), and the ratio of that CPU to ``none``'s. Configurations are
interleaved within each round (their order rotating from round to round); each round's cell is
divided by the ``none`` cell of the same round, and the median of those ratios is reported
with their range: on a shared machine, neighbouring cells see the same load.

Over HTTP, CPU per request moves with throughput (how many requests share one event-loop
wake-up), so small differences drown on a busy machine. The run therefore also measures the
configurations in this process, ASGI calls one at a time against the same subgraphs, taking
turns request by request, each request's CPU time (`time.process_time`) kept. Fresh apps
every round (two identical apps differ by a few percent, by where their objects landed);
per round, each configuration's median request over ``none``'s; the verdict is the median of
those ratios, printed with their range, beside ``none-again`` (a second plugin-free app: the
method's noise floor in that run). The no-op plugin must cost at most 3 % of router CPU there
(the exit status says whether it does). The coprocessor's added latency at one connection is
printed beside Apollo Router's documented expectation, one extra HTTP round trip per
configured stage, with that round trip measured directly against the coprocessor.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import typer

from bench import install, load, table
from bench.procstat import TreeUsage
from bench.queries import request_body
from bench.routers import PROBE, REPO
from bench.run import compose, subgraph_server
from bench.servers import Server, free_port
from router.http import RouterApp
from router.plugins import (
    ExecutionRequest,
    ExecutionResponse,
    NoConfig,
    Plugin,
    Response,
    RouterRequest,
    RouterResponse,
    SubgraphRequest,
    SubgraphResponse,
    SupergraphRequest,
    SupergraphResponse,
)
from router.settings import RouterSettings

BENCH = Path(__file__).resolve().parent
CONFIGS = ("none", "noop-plugin", "coprocessor")
QUERIES = ("small", "heavy")
NOOP_BUDGET = 1.03
"""A no-op plugin at every stage may cost at most 3 % of router CPU."""


class NoopEverywhere(Plugin[NoConfig]):
    """A hook at each of the eight stages, doing nothing."""

    async def router_request(self, request: RouterRequest) -> Response | None:
        return None

    async def router_response(self, response: RouterResponse) -> Response | None:
        return None

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        return None

    async def execution_request(self, request: ExecutionRequest) -> Response | None:
        return None

    async def execution_response(self, response: ExecutionResponse) -> Response | None:
        return None

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        return None

    async def subgraph_response(self, response: SubgraphResponse) -> Response | None:
        return None


class NoHooks(Plugin[NoConfig]):
    """A plugin overriding no hook: what having a plugin pipeline at all costs (the
    request's plugin run and context)."""


class RouterStageOnly(Plugin[NoConfig]):
    async def router_request(self, request: RouterRequest) -> Response | None:
        return None

    async def router_response(self, response: RouterResponse) -> Response | None:
        return None


class SupergraphStageOnly(Plugin[NoConfig]):
    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        return None


class ExecutionStageOnly(Plugin[NoConfig]):
    async def execution_request(self, request: ExecutionRequest) -> Response | None:
        return None

    async def execution_response(self, response: ExecutionResponse) -> Response | None:
        return None


class SubgraphStageOnly(Plugin[NoConfig]):
    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        return None

    async def subgraph_response(self, response: SubgraphResponse) -> Response | None:
        return None


BREAKDOWN = {
    "no-hooks": "NoHooks",
    "router-stage": "RouterStageOnly",
    "supergraph-stage": "SupergraphStageOnly",
    "execution-stage": "ExecutionStageOnly",
    "subgraph-stage": "SubgraphStageOnly",
    "noop-no-calls": "NoopEverywhere",
}
"""``--breakdown``: in process only, one no-op plugin per stage pair (request and response
hooks), one with no hook at all, and `NoopEverywhere` with its hooks not called
(``noop-no-calls``): where the no-op plugin's cost goes."""


def router_env(config: str, supergraph: Path, port: int, coprocessor_url: str) -> dict[str, str]:
    env = {
        "POLYSHOP_ROUTER_SUPERGRAPH": str(supergraph),
        "POLYSHOP_ROUTER_HOST": "127.0.0.1",
        "POLYSHOP_ROUTER_PORT": str(port),
        "POLYSHOP_ROUTER_WORKERS": "1",
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
    }
    if config == "noop-plugin":
        env["POLYSHOP_ROUTER_PLUGINS"] = json.dumps([{"name": "bench.plugins:NoopEverywhere"}])
    elif config in BREAKDOWN:
        env["POLYSHOP_ROUTER_PLUGINS"] = json.dumps(
            [{"name": f"bench.plugins:{BREAKDOWN[config]}"}]
        )
    elif config == "coprocessor":
        env["POLYSHOP_ROUTER_COPROCESSOR"] = json.dumps(
            {
                "url": coprocessor_url,
                "timeout": "5s",
                "supergraph": {"request": {"headers": True, "body": True, "context": "all"}},
            }
        )
    return env


@dataclass(frozen=True)
class Cell:
    query: str
    config: str
    connections: int
    result: load.LoadResult
    router_cpu: float
    coprocessor_cpu: float

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.router_cpu / max(1, self.result.requests)

    @property
    def coprocessor_cpu_ms(self) -> float:
        return 1000 * self.coprocessor_cpu / max(1, self.result.requests)


async def measure(
    config: str,
    query: str,
    connections: int,
    router: Server,
    coprocessor: Server,
    requests_file: Path,
    seconds: float,
    warmup: float,
) -> Cell:
    await load.run_wrk(
        router.url, requests_file, seconds=warmup, connections=connections, nonce=False
    )
    usage = TreeUsage(router.pid)
    copro_usage = TreeUsage(coprocessor.pid)
    usage.start()
    copro_usage.start()
    result = await load.run_wrk(
        router.url, requests_file, seconds=seconds, connections=connections, nonce=False
    )
    cpu = await usage.stop()
    copro_cpu = await copro_usage.stop()
    return Cell(
        query, config, connections, result, cpu, copro_cpu if config == "coprocessor" else 0
    )


async def round_trip_ms(url: str, count: int = 300) -> float:
    """Median time of one POST to the coprocessor with a typical SupergraphRequest payload."""
    payload = {
        "version": 1,
        "stage": "SupergraphRequest",
        "control": "continue",
        "id": "0" * 32,
        "headers": {"content-type": ["application/json"], "accept": ["*/*"]},
        "body": json.loads(request_body("heavy")),
        "context": {"entries": {}},
    }
    data = json.dumps(payload).encode()
    times: list[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            started = time.perf_counter()
            async with session.post(
                url, data=data, headers={"content-type": "application/json"}
            ) as response:
                await response.read()
            times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(cells: list[Cell], round_trip: float) -> tuple[str, bool]:
    """One row per (query, connections, configuration): medians over the rounds, and the
    median of the per-round CPU ratios to ``none`` (each configuration is compared with the
    reference measured next to it in the same round, which cancels the machine's drift)."""
    grouped: dict[tuple[str, int, str], list[Cell]] = {}
    for cell in cells:
        grouped.setdefault((cell.query, cell.connections, cell.config), []).append(cell)
    rows: list[list[str]] = []
    within = True
    keys = sorted(grouped, key=lambda key: (key[0], key[1], CONFIGS.index(key[2])))
    for query, connections, config in keys:
        found = grouped[(query, connections, config)]
        reference = grouped[(query, connections, "none")]
        ratios = [cell.cpu_ms / ref.cpu_ms for cell, ref in zip(found, reference, strict=True)]
        ratio = _median(ratios)
        if config == "noop-plugin" and ratio > NOOP_BUDGET:
            within = False
        p50 = _median([cell.result.p50_ms for cell in found])
        added = p50 - _median([cell.result.p50_ms for cell in reference])
        rows.append(
            [
                query,
                str(connections),
                config,
                f"{_median([cell.result.rps for cell in found]):,.0f}",
                f"{p50:.2f}",
                f"{_median([cell.cpu_ms for cell in found]):.3f}",
                f"{ratio:.3f}",
                f"{min(ratios):.2f}-{max(ratios):.2f}",
                f"{added:+.2f}" if config != "none" else "",
                f"{_median([c.coprocessor_cpu_ms for c in found]):.3f}"
                if config == "coprocessor"
                else "",
                str(sum(cell.result.errors for cell in found)),
                _verdict(config, ratio),
            ]
        )
    headers = [
        "query",
        "conns",
        "config",
        "req/s",
        "p50 ms",
        "router CPU ms/req",
        "CPU x none",
        "rounds' range",
        "p50 +ms",
        "copro CPU ms/req",
        "errors",
        f"{100 * (NOOP_BUDGET - 1):.0f} % target",
    ]
    text = table.render(headers, rows)
    text += (
        f"\n\nno-op plugin at every stage: router CPU within {100 * (NOOP_BUDGET - 1):.0f} % "
        f"of none (median of the rounds' ratios) in every cell: {'yes' if within else 'NO'}"
        f"\ncoprocessor at the supergraph stage: Apollo Router documents one extra HTTP round "
        f"trip per configured stage (1 here); one round trip to this coprocessor measured "
        f"directly: {round_trip:.2f} ms (compare 'p50 +ms' at 1 connection)"
    )
    return text, within


async def _asgi_call(app: RouterApp, body: bytes) -> int:
    """One POST /graphql straight into the app (no HTTP server): the router's own work."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "path": "/graphql",
        "method": "POST",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await app(scope, receive, send)
    return status


async def in_process(
    supergraph: Path,
    coprocessor_url: str,
    rounds: int,
    requests: dict[str, int],
    configs: tuple[str, ...] = CONFIGS,
) -> dict[tuple[str, str], list[list[float]]]:
    """CPU microseconds of every request of each configuration's app in this process, driven
    one request at a time, the configurations taking turns request by request: (query,
    config) → one list of per-request values per round.

    ``none-again`` is a second app without plugins (a noise floor: its ratio to ``none``
    should be 1.00); ``noop-no-calls`` is `NoopEverywhere` with its hooks not called (every
    stage object built, the pipeline's ``call`` answering at once): the no-op plugin's cost
    split into the stage objects and the hook calls."""
    found: dict[tuple[str, str], list[list[float]]] = {}
    clock = time.process_time
    shuffle = random.Random(18).shuffle
    for number in range(rounds):
        shift = number % len(configs)
        order = configs[shift:] + configs[:shift]
        # Fresh apps every round, started in the round's order: two identical apps differ by
        # a few percent (where their objects landed in memory), a bias no number of requests
        # averages out; new apps each round make it one more per-round noise.
        apps = {config: await _started_app(config, supergraph, coprocessor_url) for config in order}
        try:
            for query, count in requests.items():
                body = request_body(query).encode()
                for config in order:
                    for _ in range(max(5, count // 10)):
                        await _asgi_call(apps[config], body)
                used: dict[str, list[float]] = {config: [] for config in order}
                turns = list(order)
                # Request by request, the configurations take turns: each sees the same
                # machine state as its neighbours, which a busy machine changes by the second.
                # The turns are shuffled every time: work a request leaves on the event loop
                # (connection release, callbacks) runs in the next one's window, so a fixed
                # order would charge each configuration its fixed predecessor's leftovers.
                for _ in range(count):
                    shuffle(turns)
                    for config in turns:
                        started = clock()
                        status = await _asgi_call(apps[config], body)
                        await _drained()
                        used[config].append(1e6 * (clock() - started))
                        if status != 200:
                            raise RuntimeError(f"{config} did not answer {query} with 200")
                for config in order:
                    found.setdefault((query, config), []).append(used[config])
        finally:
            for app in apps.values():
                await app.shutdown()
    return found


async def _drained() -> None:
    """Let the callbacks a request left ready on the event loop run (charged to it)."""
    for _ in range(3):
        await asyncio.sleep(0)


async def _started_app(config: str, supergraph: Path, coprocessor_url: str) -> RouterApp:
    env = router_env(config, supergraph, 0, coprocessor_url)
    values: dict[str, Any] = {"hot_reload": False, "supergraph": str(supergraph)}
    if "POLYSHOP_ROUTER_PLUGINS" in env:
        values["plugins"] = json.loads(env["POLYSHOP_ROUTER_PLUGINS"])
    if "POLYSHOP_ROUTER_COPROCESSOR" in env:
        values["coprocessor"] = json.loads(env["POLYSHOP_ROUTER_COPROCESSOR"])
    app = RouterApp(RouterSettings(**values))
    await app.startup()
    if config == "noop-no-calls":
        assert app.plugins is not None
        app.plugins._call = _answer_at_once  # each request's `PluginRun` takes it
    return app


def _answer_at_once(stage: str, target: Any, start: int = 0) -> None:
    """`PluginPipeline.call` without calling any hook (``noop-no-calls``)."""
    return None


def _verdict(config: str, ratio: float) -> str:
    """``pass``/``FAIL`` against the budget for the no-op plugin's rows, blank otherwise."""
    if config != "noop-plugin":
        return ""
    return "pass" if ratio <= NOOP_BUDGET else "FAIL"


def _pooled(rounds: list[list[float]]) -> float:
    """The median request of all rounds: robust to the spikes a shared machine adds to some
    requests (a preempted or cache-cold request), which move a mean by several percent."""
    return statistics.median(value for values in rounds for value in values)


def _round_ratios(
    found: dict[tuple[str, str], list[list[float]]], query: str, config: str
) -> list[float]:
    """Per round, the median request of ``config`` over that of ``none`` (the spread)."""
    reference = found[(query, "none")]
    return [
        statistics.median(values) / statistics.median(ref)
        for values, ref in zip(found[(query, config)], reference, strict=True)
    ]


def in_process_report(
    found: dict[tuple[str, str], list[list[float]]], configs: tuple[str, ...] = CONFIGS
) -> tuple[str, bool]:
    """Per query and configuration: the median request's CPU over all rounds and its
    difference to ``none``; per round, the median request over ``none``'s of the same round
    (fresh apps each round), and the median of those ratios (the verdict) with their range."""
    rows: list[list[str]] = []
    verdicts: list[str] = []
    within = True
    for query in QUERIES:
        reference = _pooled(found[(query, "none")])
        for config in configs:
            value = _pooled(found[(query, config)])
            ratios = _round_ratios(found, query, config)
            ratio = statistics.median(ratios)
            if config == "noop-plugin":
                within = within and ratio <= NOOP_BUDGET
                verdicts.append(f"{query} x{ratio:.3f} {_verdict(config, ratio)}")
            rows.append(
                [
                    query,
                    config,
                    str(sum(len(values) for values in found[(query, config)])),
                    f"{value:.1f}",
                    f"{value - reference:+.1f}",
                    f"{ratio:.3f}",
                    f"{min(ratios):.3f}-{max(ratios):.3f}",
                    _verdict(config, ratio),
                ]
            )
    headers = [
        "query",
        "config",
        "requests",
        "median CPU us/req",
        "+us",
        "CPU x none",
        "rounds' range",
        f"{100 * (NOOP_BUDGET - 1):.0f} % target",
    ]
    text = table.render(headers, rows)
    text += (
        f"\n\nin process, no-op plugin at every stage, target at most "
        f"{100 * (NOOP_BUDGET - 1):.0f} % of router CPU: {', '.join(verdicts)}; "
        f"{'PASS' if within else 'FAIL'} overall"
    )
    if "none-again" in configs:
        text += (
            "\n(none-again is a second app without plugins: its distance from x1.000 is the "
            "method's noise floor in this run)"
        )
    return text, within


async def run(
    seconds: float,
    warmup: float,
    rounds: int,
    connections: tuple[int, ...],
    in_process_rounds: int,
    http: bool = True,
    breakdown: bool = False,
) -> tuple[str, bool]:
    install.ensure_node_modules()
    install.ensure_wrk()
    out = Path(tempfile.mkdtemp(prefix="bench-plugins-"))
    logs = out / "logs"
    async with subgraph_server(out, workers=2) as subgraphs:
        supergraph = compose(subgraphs, out / "supergraph.graphql")
        copro_port = free_port()
        coprocessor = Server(
            "coprocessor",
            ["node", "coprocessor.mjs", str(copro_port)],
            copro_port,
            BENCH,
            logs / "coprocessor.log",
        )
        async with coprocessor:
            routers: dict[str, Server] = {}
            for config in CONFIGS:
                port = free_port()
                env = router_env(config, supergraph, port, coprocessor.url)
                routers[config] = Server(
                    config,
                    [sys.executable, "-m", "router"],
                    port,
                    REPO,
                    logs / f"router-{config}.log",
                    env,
                    "/graphql",
                    PROBE,
                )
            for server in routers.values():
                await server.start()
            try:
                round_trip = await round_trip_ms(coprocessor.url)
                cells: list[Cell] = []
                for number in range(rounds if http else 0):
                    for query in QUERIES:
                        requests_file = load.write_requests(
                            out / f"{query}.requests", [("/graphql", request_body(query))]
                        )
                        for conns in connections:
                            shift = number % len(CONFIGS)
                            for config in CONFIGS[shift:] + CONFIGS[:shift]:
                                cell = await measure(
                                    config,
                                    query,
                                    conns,
                                    routers[config],
                                    coprocessor,
                                    requests_file,
                                    seconds,
                                    warmup,
                                )
                                cells.append(cell)
                                print(
                                    f"  round {number + 1} {query:6} c={conns:<3} {config:12} "
                                    f"{cell.result.rps:8,.0f} req/s  CPU {cell.cpu_ms:.3f} ms/req"
                                    f"  errors {cell.result.errors}",
                                    flush=True,
                                )
            finally:
                for server in routers.values():
                    await server.stop()
            print("in process ...", flush=True)
            configs: tuple[str, ...] = (*CONFIGS, "none-again")
            if breakdown:
                configs += tuple(BREAKDOWN)
            found = await in_process(
                supergraph,
                coprocessor.url,
                in_process_rounds,
                {"small": 400, "heavy": 40},
                configs,
            )
    process_text, process_within = in_process_report(found, configs)
    http_text = report(cells, round_trip)[0] if cells else "(skipped: --no-http)"
    text = (
        "Over HTTP (wrk; router CPU of the whole process, uvicorn included):\n\n"
        + http_text
        + "\n\nIn process (ASGI calls one at a time, configurations taking turns; the router's "
        "own CPU):\n\n" + process_text
    )
    # Both are printed; on a shared machine only the in-process ratio is steady enough to decide.
    return text, process_within


def main(
    seconds: Annotated[float, typer.Option(help="Seconds of load per cell.")] = 3.0,
    warmup: Annotated[float, typer.Option(help="Seconds of warm-up per cell.")] = 1.0,
    rounds: Annotated[int, typer.Option(help="Rounds (medians over them are kept).")] = 5,
    connections: Annotated[str, typer.Option(help="Comma-separated connection counts.")] = "1,16",
    in_process_rounds: Annotated[
        int, typer.Option(help="Rounds of the in-process measurement.")
    ] = 15,
    http: Annotated[bool, typer.Option("--http/--no-http", help="Run the wrk cells.")] = True,
    breakdown: Annotated[
        bool,
        typer.Option(help="In process, also one no-op plugin per stage and one without hooks."),
    ] = False,
) -> None:
    """Router CPU and latency with no plugin, a no-op plugin at every stage, a coprocessor."""
    conns = tuple(int(part) for part in connections.split(",") if part.strip())
    text, within = asyncio.run(
        run(seconds, warmup, rounds, conns, in_process_rounds, http, breakdown)
    )
    print()
    print(text)
    raise typer.Exit(0 if within else 1)


if __name__ == "__main__":
    typer.run(main)
