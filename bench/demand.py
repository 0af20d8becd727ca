"""``python -m bench.demand``: what demand control costs our router (on vs off, same run).

The benchmark's Node subgraphs and two of our routers run as processes on one supergraph:
``polyshop`` with demand control **off**, and ``polyshop-demand`` with it **on** (enforce
mode, a maximum high enough to refuse nothing, so every request pays the estimate check and
the actual cost of its response). wrk loads each router in turn (rounds interleaved, medians
reported) and ``/proc`` gives each router's CPU per request.

Per query (``small``, ``heavy``, ``list100``) it prints the routers' ``CPU ms/req`` off and on
and their ratio (noisy on a shared machine), then demand control's own work timed directly
in this process on the same operation and response (``dc µs/req``: estimate, cached as for an
operation without variables, plus actual cost, plus the cost metrics' histograms;
``uncached``: the estimate recomputed) and its
share of the router's CPU per request without demand control: the figure that must stay under
5 % (the command exits 1 otherwise).

    .venv/bin/python -m bench.demand --quick      # ~1 minute
    .venv/bin/python -m bench.demand --seconds 5 --rounds 5
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from bench import install, load
from bench.procstat import TreeUsage
from bench.queries import QUERY_NAMES, query_text, request_body
from bench.routers import OURS
from bench.run import compose, subgraph_server
from bench.servers import Server, free_port
from router.config.demand_control import DemandControlConfig
from router.engine import EngineConfig, GraphQLRequest, RequestContext
from router.supergraph import read_supergraph
from router.telemetry import RouterMetrics
from router.telemetry.engine import ObservedEngine

LIMIT = 5.0
"""Percent of router CPU per request demand control may take."""
DEMAND_ON = {"enabled": True, "mode": "enforce", "strategy": {"static_estimated": {"max": 1e12}}}


def _router(supergraph: Path, out: Path, demand: bool) -> Server:
    server = OURS.server(supergraph, free_port(), out / "logs")
    if not demand:
        return server
    env = {**server.env, "POLYSHOP_ROUTER_DEMAND_CONTROL": json.dumps(DEMAND_ON)}
    return dataclasses.replace(server, name="polyshop-demand", env=env)


async def _cpu_per_request(
    router: Server, requests: Path, seconds: float, connections: int
) -> float:
    usage = TreeUsage(router.pid)
    usage.start()
    result = await load.run_wrk(
        router.url, requests, seconds=seconds, connections=connections, nonce=False
    )
    cpu = await usage.stop()
    if result.errors:
        raise RuntimeError(f"{router.name}: {result.errors} failed requests")
    return cpu * 1000 / max(result.requests, 1)


async def _direct_micros(supergraph: Path, query: str, repeat: int) -> tuple[float, float]:
    """Demand control's own work per request, in µs: (cached estimate + actual, uncached)."""
    config = DemandControlConfig.model_validate(DEMAND_ON)
    sdl = await asyncio.to_thread(supergraph.read_text)
    # With the router's metrics, as the router runs it: the cost histograms are part of it.
    engine = ObservedEngine(
        read_supergraph(sdl), EngineConfig(demand_control=config), metrics=RouterMetrics()
    )
    await engine.start()
    try:
        response = await engine.execute(GraphQLRequest(query), RequestContext(headers={}))
        demand = engine.demand
        prepared = engine._prepare(query, None)
        assert demand is not None
        assert prepared.operation is not None
        selection = engine._plan_for(prepared, {}, frozenset()).selection
        data = response.body["data"]
        timings = []
        for cached in (prepared.cost, None):
            best = float("inf")
            for _ in range(5):  # CPU time, best of five batches: the least disturbed
                started = time.process_time()
                for _ in range(repeat):
                    cost, _ = demand.estimate(prepared.operation, {}, cached)
                    demand.actual(cost, selection, data, {})
                best = min(best, (time.process_time() - started) * 1e6 / repeat)
            timings.append(best)
        return timings[0], timings[1]
    finally:
        await engine.close()


async def run(
    seconds: float, warmup: float, rounds: int, connections: int, queries: Sequence[str]
) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-demand-") as folder:
        out = Path(folder)
        async with subgraph_server(out, workers=2) as subgraphs:
            supergraph = compose(subgraphs, out / "supergraph.graphql")
            async with _router(supergraph, out, False) as off, _router(supergraph, out, True) as on:
                print(
                    f"demand control on vs off: {rounds} round(s) x {seconds:g} s per router and "
                    f"query, wrk with {connections} connections\n"
                )
                header = (
                    f"{'query':<8} {'CPU ms/req off':>15} {'on':>8} {'on/off':>7} "
                    f"{'dc µs/req':>10} {'uncached':>9} {'dc share':>9} {'worst':>7}"
                )
                print(header)
                print("-" * len(header))
                ok = True
                for name in queries:
                    requests = load.write_requests(
                        out / f"{name}.requests", [("/graphql", request_body(name))]
                    )
                    for router in (off, on):
                        await load.run_wrk(
                            router.url,
                            requests,
                            seconds=warmup,
                            connections=connections,
                            nonce=False,
                        )
                    samples: dict[str, list[float]] = {"off": [], "on": []}
                    for index in range(rounds):
                        pairs = [(off, "off"), (on, "on")]
                        for router, label in pairs if index % 2 == 0 else pairs[::-1]:
                            samples[label].append(
                                await _cpu_per_request(router, requests, seconds, connections)
                            )
                    cpu_off = statistics.median(samples["off"])
                    cpu_on = statistics.median(samples["on"])
                    cached, uncached = await _direct_micros(supergraph, query_text(name), 500)
                    share = cached / (cpu_off * 1000) * 100
                    worst = uncached / (cpu_off * 1000) * 100
                    ok = ok and worst < LIMIT
                    print(
                        f"{name:<8} {cpu_off:>15.3f} {cpu_on:>8.3f} {cpu_on / cpu_off:>7.3f} "
                        f"{cached:>10.1f} {uncached:>9.1f} {share:>8.2f}% {worst:>6.2f}%",
                        flush=True,
                    )
    print(
        "\non/off: the routers' CPU per request, end to end (noisy on a shared machine); dc "
        "share: demand control's own time over the router's CPU per request without it "
        "(estimate cached, as for operations without variables); worst: estimate recomputed "
        f"on every request. Limit {LIMIT:g} %: " + ("OK" if ok else "EXCEEDED")
    )
    return ok


def main(
    quick: Annotated[bool, typer.Option(help="2 s per cell, 3 rounds.")] = False,
    seconds: Annotated[float, typer.Option(help="Seconds of load per router and round.")] = 5.0,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds; medians reported.")] = 5,
    connections: Annotated[int, typer.Option(help="wrk connections.")] = 10,
    queries: Annotated[str, typer.Option(help="Comma-separated.")] = ",".join(QUERY_NAMES),
    skip_install: Annotated[bool, typer.Option(help="Do not run npm ci / apt-get.")] = False,
) -> None:
    """Print demand control's CPU cost, on vs off, for the benchmark's queries."""
    if not skip_install:
        install.ensure_node_modules()
        install.ensure_wrk()
    chosen = tuple(q.strip() for q in queries.split(",") if q.strip())
    if quick:
        seconds, rounds = 2.0, 3
    ok = asyncio.run(run(seconds, 1.0, rounds, connections, chosen))
    raise typer.Exit(0 if ok else 1)


if __name__ == "__main__":
    typer.run(main)
