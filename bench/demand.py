"""``python -m bench.demand``: what demand control costs our router (on vs off, same run).

The benchmark's Node subgraphs run in their own processes; two engines of our router run in
this process on the same supergraph: demand control **off**, and **on** (enforce mode, a
maximum high enough to refuse nothing, so every request pays the estimate check and the
actual cost of its response). Requests go straight to ``Engine.execute`` (no HTTP server in
front: the denominator is smaller than a real router's CPU, so the share printed is an upper
bound), from ``--concurrency`` tasks at once, rounds interleaved between the two engines.

For each query (``small``, ``heavy``, ``list100``) it prints:

* ``CPU ms/req`` off and on: this process's CPU time (``time.process_time``; the subgraphs
  are other processes) over the requests served, median of the rounds, and their ratio;
* ``dc µs/req``: the demand-control code alone, timed directly on the same operations
  (estimate + actual cost; the estimate uncached too, as for operations with variables),
  and its share of the ``off`` CPU per request, the figure that must stay under 5 %.

    .venv/bin/python -m bench.demand --quick      # ~1 minute
    .venv/bin/python -m bench.demand --seconds 5 --rounds 5
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from bench import install
from bench.queries import QUERY_NAMES, query_text
from bench.run import compose, subgraph_server
from router.config.demand_control import DemandControlConfig
from router.engine import Engine, EngineConfig, GraphQLRequest, RequestContext
from router.supergraph import Supergraph, read_supergraph

LIMIT = 5.0
"""Percent of router CPU per request demand control may take."""
DEMAND_ON = DemandControlConfig.model_validate(
    {"enabled": True, "mode": "enforce", "strategy": {"static_estimated": {"max": 1e12}}}
)


async def _load(engine: Engine, query: str, seconds: float, concurrency: int) -> float:
    """CPU milliseconds per request over ``seconds`` of load."""
    request = GraphQLRequest(query)
    context = RequestContext(headers={})
    deadline = time.monotonic() + seconds
    served = 0

    async def worker() -> None:
        nonlocal served
        while time.monotonic() < deadline:
            response = await engine.execute(request, context)
            if response.status != 200 or "errors" in response.body:
                raise RuntimeError(f"the router failed: {response.body}")
            served += 1

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) * 1000 / served


async def _direct_micros(engine: Engine, query: str, repeat: int) -> tuple[float, float]:
    """Microseconds per request of demand control's own work: (cached estimate + actual,
    uncached estimate + actual)."""
    demand = engine.demand
    assert demand is not None
    response = await engine.execute(GraphQLRequest(query), RequestContext(headers={}))
    prepared = engine._prepare(query, None)
    operation = prepared.operation
    assert operation is not None
    cached_plan = next(iter(prepared.plans.values()))
    data = response.body["data"]
    timings = []
    for cached in (prepared.cost, None):
        started = time.perf_counter()
        for _ in range(repeat):
            cost, _ = demand.estimate(operation, {}, cached)
            demand.actual(cost, cached_plan.selection, data, {})
        timings.append((time.perf_counter() - started) * 1e6 / repeat)
    return timings[0], timings[1]


async def run(
    seconds: float, warmup: float, rounds: int, concurrency: int, queries: Sequence[str]
) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-demand-") as folder:
        out = Path(folder)
        async with subgraph_server(out, workers=2) as subgraphs:
            supergraph: Supergraph = read_supergraph(
                compose(subgraphs, out / "supergraph.graphql").read_text()
            )
            urls = {
                sub.name: subgraphs.url + "/" + sub.name for sub in supergraph.subgraphs.values()
            }
            off = Engine(supergraph, EngineConfig(subgraph_urls=urls))
            on = Engine(supergraph, EngineConfig(subgraph_urls=urls, demand_control=DEMAND_ON))
            await off.start()
            await on.start()
            try:
                return await _compare(off, on, seconds, warmup, rounds, concurrency, queries)
            finally:
                await off.close()
                await on.close()


async def _compare(
    off: Engine,
    on: Engine,
    seconds: float,
    warmup: float,
    rounds: int,
    concurrency: int,
    queries: Sequence[str],
) -> bool:
    print(
        f"demand control on vs off: {rounds} round(s) x {seconds:g} s per engine and query, "
        f"{concurrency} concurrent requests, engines in-process, Node subgraphs apart\n"
    )
    header = (
        f"{'query':<8} {'CPU ms/req off':>15} {'on':>8} {'on/off':>7} "
        f"{'dc µs/req':>10} {'uncached':>9} {'dc share':>9} {'worst':>7}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for name in queries:
        query = query_text(name)
        for engine in (off, on):
            await _load(engine, query, warmup, concurrency)
        samples: dict[str, list[float]] = {"off": [], "on": []}
        for index in range(rounds):
            order = ((off, "off"), (on, "on")) if index % 2 == 0 else ((on, "on"), (off, "off"))
            for engine, label in order:
                samples[label].append(await _load(engine, query, seconds, concurrency))
        cpu_off = statistics.median(samples["off"])
        cpu_on = statistics.median(samples["on"])
        cached, uncached = await _direct_micros(on, query, repeat=200)
        share = cached / (cpu_off * 1000) * 100
        worst = uncached / (cpu_off * 1000) * 100
        ok = ok and worst < LIMIT
        print(
            f"{name:<8} {cpu_off:>15.3f} {cpu_on:>8.3f} {cpu_on / cpu_off:>7.3f} "
            f"{cached:>10.1f} {uncached:>9.1f} {share:>8.2f}% {worst:>6.2f}%"
        )
    print(
        "\non/off: the end-to-end ratio (noisy on a shared machine); dc share: demand control's "
        "own time over the router's CPU per request with it off (estimate cached, as for "
        f"operations without variables); worst: with the estimate recomputed. Limit {LIMIT:g} %: "
        + ("OK" if ok else "EXCEEDED")
    )
    return ok


def main(
    quick: Annotated[bool, typer.Option(help="2 s per cell, 3 rounds.")] = False,
    seconds: Annotated[float, typer.Option(help="Seconds of load per engine and round.")] = 5.0,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds; medians reported.")] = 5,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 8,
    queries: Annotated[str, typer.Option(help="Comma-separated.")] = ",".join(QUERY_NAMES),
    skip_install: Annotated[bool, typer.Option(help="Do not run npm ci.")] = False,
) -> None:
    """Print demand control's CPU cost, on vs off, for the benchmark's queries."""
    if not skip_install:
        install.ensure_node_modules()
    chosen = tuple(q.strip() for q in queries.split(",") if q.strip())
    if quick:
        seconds, rounds = 2.0, 3
    ok = asyncio.run(run(seconds, 1.0, rounds, concurrency, chosen))
    raise typer.Exit(0 if ok else 1)


if __name__ == "__main__":
    typer.run(main)
