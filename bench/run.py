"""``python -m bench``: the whole benchmark in one command (see ``bench/README.md``).

Steps: install the peers (npm ci) and wrk if missing → start the benchmark subgraphs → compose
one supergraph → for every router in turn: start it, check its answers agree with the first
router's, then load it with each query at each connection count → load the subgraphs directly
with the exact requests the router sent → print the tables and save JSON in bench/results/.

At 1 connection, right after our router (1 worker, dedup off) on a query, the chain of its plan's
fetches is replayed directly against the subgraphs (`bench.chain`: the requests it sent, in the
plan's order and parallelism), and the report prints our p50 minus the chain's per query against
issue 20's 1 ms target.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
import time
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import typer

from bench import chain, install, load, profile, table
from bench.procstat import TreeUsage
from bench.queries import QUERY_NAMES, query_text, request_body
from bench.routers import BENCH, GRAFBASE, OURS, PEERS, ROUTERS, ROUTERS_BY_KEY, RouterSpec
from bench.servers import Server, free_port

RESULTS = BENCH / "results"


@dataclasses.dataclass(frozen=True)
class Options:
    seconds: float
    warmup: float
    connections: tuple[int, ...]
    routers: tuple[RouterSpec, ...]
    queries: tuple[str, ...]
    subgraphs_direct: bool
    profile_seconds: float
    subgraph_workers: int = 2
    rounds: int = 1
    added_latency: bool = True


def subgraph_server(out: Path, workers: int) -> Server:
    port = free_port()
    argv = ["node", "subgraphs/server.mjs", "--port", str(port), "--workers", str(workers)]
    return Server("subgraphs", argv, port, BENCH, out / "logs" / "subgraphs.log")


def compose(subgraphs: Server, target: Path) -> Path:
    subprocess.run(["node", "compose.mjs", subgraphs.url, str(target)], cwd=BENCH, check=True)
    return target


async def post_json(url: str, body: str, headers: dict[str, str] | None = None) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=body.encode(),
            headers={"content-type": "application/json", **(headers or {})},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response,
    ):
        return json.loads(await response.read())


async def record_fetches(subgraphs: Server, router: Server, query: str) -> list[tuple[str, str]]:
    """The subgraph requests behind one client request of ``query`` through ``router``."""
    async with aiohttp.ClientSession() as session:
        async with session.post(subgraphs.url + "/__bench/record") as response:
            await response.read()
        await post_json(router.url + "/graphql", request_body(query))
        async with session.get(subgraphs.url + "/__bench/recorded") as response:
            recorded = json.loads(await response.read())
    return [("/" + item["subgraph"], item["body"]) for item in recorded]


async def measure(
    target: Server,
    subgraphs: Server,
    requests_file: Path,
    connections: int,
    options: Options,
    *,
    nonce: bool,
) -> tuple[load.LoadResult, float, int, float]:
    """Warm up, then load; (wrk result, target CPU s, target peak RSS, subgraph CPU s)."""
    if options.warmup > 0:
        await load.run_wrk(
            target.url, requests_file, seconds=options.warmup, connections=connections, nonce=nonce
        )
    usage = TreeUsage(target.pid)
    sub_usage = TreeUsage(subgraphs.pid) if subgraphs is not target else None
    usage.start()
    if sub_usage is not None:
        sub_usage.start()
    result = await load.run_wrk(
        target.url, requests_file, seconds=options.seconds, connections=connections, nonce=nonce
    )
    cpu = await usage.stop()
    sub_cpu = await sub_usage.stop() if sub_usage is not None else 0.0
    return result, cpu, usage.peak_rss, sub_cpu


def percent(share: float) -> str:
    return f"{100 * share:.1f}"


def progress(cell: table.Cell) -> None:
    print(
        f"  {cell.query:8} c={cell.connections:<3} {cell.label:34} {cell.rps:9,.0f} req/s  "
        f"p99 {cell.p99_ms:8.2f} ms  CPU {cell.cpu_ms_per_request:7.3f} ms/req  "
        f"errors {cell.errors}",
        flush=True,
    )


def make_cell(
    key: str,
    label: str,
    query: str,
    connections: int,
    measured: tuple[load.LoadResult, float, int, float],
    fetches: int = 1,
    round_number: int = 1,
) -> table.Cell:
    result, cpu, rss, sub_cpu = measured
    return table.Cell(
        router=key,
        label=label,
        query=query,
        connections=connections,
        requests=result.requests,
        seconds=result.seconds,
        errors=result.errors,
        p50_ms=result.p50_ms,
        p95_ms=result.p95_ms,
        p99_ms=result.p99_ms,
        cpu_seconds=cpu,
        peak_rss_bytes=rss,
        subgraph_cpu_seconds=sub_cpu,
        fetches_per_request=fetches,
        round=round_number,
    )


async def check_answers(
    spec: RouterSpec,
    server: Server,
    subgraphs: Server,
    queries: tuple[str, ...],
    reference: dict[str, Any],
    recorded: dict[str, list[tuple[str, str]]],
    problems: list[str],
    fetch_counts: dict[str, dict[str, int]],
) -> None:
    """Each router must answer without errors and with the same data as the first one.

    Also counts the subgraph requests behind one client request, per router: the plans differ.
    """
    for query in queries:
        answer = await post_json(server.url + "/graphql", request_body(query))
        if answer.get("errors") or not answer.get("data"):
            problems.append(f"{spec.label} {query}: errors {str(answer.get('errors'))[:300]}")
        elif query not in reference:
            reference[query] = answer["data"]
        elif answer["data"] != reference[query]:
            problems.append(f"{spec.label} {query}: data differs from the first router's")
        fetches = await record_fetches(subgraphs, server, query)
        fetch_counts.setdefault(spec.label, {})[query] = len(fetches)
        if query not in recorded:
            recorded[query] = fetches


@dataclasses.dataclass(frozen=True)
class Chain:
    """A query's chain (`bench.chain`) saved for the replay process."""

    file: Path
    fetches: int
    stages: int


async def make_chains(
    server: Server, subgraphs: Server, supergraph: Path, out: Path, options: Options
) -> tuple[dict[str, Chain], list[str]]:
    """Per query, our router's plan with the requests it sent for one client request."""
    chains: dict[str, Chain] = {}
    problems = []
    for query in options.queries:
        fetches = await record_fetches(subgraphs, server, query)
        try:
            node = chain.build(supergraph, query_text(query), fetches)
        except (chain.ChainError, ValueError) as error:
            problems.append(f"added latency of {query}: no chain: {error}")
            continue
        target = chain.save(node, out / f"{query}.chain.json")
        chains[query] = Chain(target, chain.fetch_count(node), chain.stages(node))
    return chains, problems


async def measure_chain(
    subgraphs: Server, found: Chain, options: Options
) -> tuple[load.LoadResult, float, int, float]:
    """The chain replayed one at a time (1 connection); CPU and RSS are the subgraphs'."""
    usage = TreeUsage(subgraphs.pid)
    usage.start()
    try:
        output = await chain.run_replay(
            found.file, subgraphs.url, seconds=options.seconds, warmup=options.warmup
        )
    finally:
        cpu = await usage.stop()
    return load.parse_result(output), cpu, usage.peak_rss, cpu


async def run_rounds(
    servers: list[tuple[RouterSpec, Server]],
    subgraphs: Server,
    out: Path,
    options: Options,
    recorded: dict[str, list[tuple[str, str]]],
    chains: dict[str, Chain] | None = None,
) -> list[table.Cell]:
    """Every cell of every round; routers interleaved so that they share the same conditions.

    Other work on the machine comes and goes; loading all routers one after another within a
    (query, connections) cell, round after round, keeps the ratios of a cell comparable.
    """
    cells = []
    for round_number in range(1, options.rounds + 1):
        print(f"round {round_number}/{options.rounds}", flush=True)
        for query in options.queries:
            router_file = load.write_requests(
                out / f"{query}.router.tsv", [("/graphql", request_body(query))]
            )
            fetches = recorded.get(query, [])
            for connections in options.connections:
                for spec, server in servers:
                    measured = await measure(
                        server, subgraphs, router_file, connections, options, nonce=True
                    )
                    cell = make_cell(
                        spec.key, spec.label, query, connections, measured, 1, round_number
                    )
                    progress(cell)
                    cells.append(cell)
                    found = (chains or {}).get(query)
                    if found is not None and connections == 1 and spec.key == OURS.key:
                        # The same plan's fetches without the router, right after it.
                        label = f"plan's fetches directly ({found.fetches} in {found.stages} steps)"
                        try:
                            measured = await measure_chain(subgraphs, found, options)
                        except chain.ChainError as error:
                            print(f"WARNING: no chain cell for {query}: {error}", flush=True)
                            continue
                        cell = make_cell(
                            table.CHAIN_KEY,
                            label,
                            query,
                            1,
                            measured,
                            found.fetches,
                            round_number,
                        )
                        progress(cell)
                        cells.append(cell)
                # The subgraphs alone, with the very requests a router sent for one client
                # request; only at the highest connection count, since capacity is the point.
                if options.subgraphs_direct and fetches and connections == max(options.connections):
                    sub_file = load.write_requests(out / f"{query}.subgraphs.tsv", fetches)
                    measured = await measure(
                        subgraphs, subgraphs, sub_file, connections, options, nonce=False
                    )
                    label = f"subgraphs directly ({len(fetches)} fetches)"
                    cell = make_cell(
                        table.SUBGRAPHS_KEY,
                        label,
                        query,
                        connections,
                        measured,
                        len(fetches),
                        round_number,
                    )
                    progress(cell)
                    cells.append(cell)
    return cells


IDLE_FRAMES = ("_worker (concurrent/futures/thread.py)", "select (selectors.py)")
"""Leaf frames of threads that only wait (py-spy cannot always tell them from busy ones)."""


async def run_profile(
    subgraphs: Server, supergraph: Path, out: Path, options: Options
) -> list[str]:
    """py-spy on our router (1 worker) under the heavy and list100 loads at 50 connections.

    py-spy attaches after a warm-up, so start-up (imports, first plans) stays out of the
    figures; it samples while wrk holds the load.
    """
    import shutil
    import sys

    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        return ["profile skipped: py-spy is not installed (pip install py-spy)"]
    lines = []
    seconds = options.profile_seconds
    for query in ("heavy", "list100"):
        raw = out / f"profile-{query}.txt"
        requests_file = load.write_requests(
            out / f"{query}.router.tsv", [("/graphql", request_body(query))]
        )
        async with OURS.server(supergraph, free_port(), out / "logs") as server:
            await load.run_wrk(server.url, requests_file, seconds=2, connections=50, nonce=True)
            recorder = await asyncio.create_subprocess_exec(
                spy,
                "record",
                "--pid",
                str(server.pid),
                "--format",
                "raw",
                "--rate",
                "200",
                "--duration",
                str(max(1, round(seconds))),
                "-o",
                str(raw),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            await load.run_wrk(
                server.url, requests_file, seconds=seconds + 1, connections=50, nonce=True
            )
            _, errors = await recorder.communicate()
        if recorder.returncode != 0 or not raw.exists():
            lines.append(
                f"profile {query}: py-spy failed: {errors.decode(errors='replace')[-500:]}"
            )
            continue
        total, shares = profile.summarize(raw.read_text().splitlines(), idle=IDLE_FRAMES)
        lines.append(f"profile {query} c=50: {total} busy samples; raw stacks in {raw}")
        lines.append(
            table.render(
                ["function (self time)", "self %", "incl %"],
                [
                    [s.function[:110], percent(s.self_share), percent(s.inclusive_share)]
                    for s in profile.top_self(shares, 25)
                ],
            )
        )
    return lines


async def run(options: Options) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / stamp
    out.mkdir(parents=True, exist_ok=True)
    reference: dict[str, Any] = {}
    recorded: dict[str, list[tuple[str, str]]] = {}
    problems: list[str] = []
    fetch_counts: dict[str, dict[str, int]] = {}
    startup: dict[str, float] = {}
    profile_lines: list[str] = []
    async with subgraph_server(out, options.subgraph_workers) as subgraphs:
        supergraph = compose(subgraphs, out / "supergraph.graphql")
        async with contextlib.AsyncExitStack() as stack:
            servers = []
            for spec in options.routers:
                print(f"starting {spec.label}", flush=True)
                server = spec.server(supergraph, free_port(), out / "logs")
                await stack.enter_async_context(server)
                if server.ready_seconds is not None:
                    startup[spec.label] = server.ready_seconds
                await check_answers(
                    spec,
                    server,
                    subgraphs,
                    options.queries,
                    reference,
                    recorded,
                    problems,
                    fetch_counts,
                )
                servers.append((spec, server))
            chains: dict[str, Chain] = {}
            ours = next((server for spec, server in servers if spec.key == OURS.key), None)
            if options.added_latency and 1 in options.connections and ours is not None:
                chains, chain_problems = await make_chains(
                    ours, subgraphs, supergraph, out, options
                )
                problems.extend(chain_problems)
            all_cells = await run_rounds(servers, subgraphs, out, options, recorded, chains)
        if options.profile_seconds > 0:
            profile_lines = await run_profile(subgraphs, supergraph, out, options)
        async with (
            aiohttp.ClientSession() as session,
            session.get(subgraphs.url + "/__bench/stats") as response,
        ):
            subgraph_stats = json.loads(await response.read())
    cells = table.median_cells(all_cells)
    return report(
        out,
        options,
        cells,
        all_cells,
        fetch_counts,
        startup,
        problems,
        subgraph_stats,
        profile_lines,
    )


def report(
    out: Path,
    options: Options,
    cells: list[table.Cell],
    all_cells: list[table.Cell],
    fetch_counts: dict[str, dict[str, int]],
    startup: dict[str, float],
    problems: list[str],
    subgraph_stats: dict[str, int],
    profile_lines: list[str],
) -> Path:
    ours = [spec.key for spec in options.routers if spec.ours]
    peers = [spec.key for spec in options.routers if not spec.ours]
    found = table.ratios(cells, ours, peers)
    room = table.headroom(cells)
    added = table.added_latency(all_cells, OURS.key)
    print()
    print(
        f"Results: {options.seconds:g} s per cell after {options.warmup:g} s warm-up, "
        f"median of {options.rounds} round(s) by req/s; wrk, 1 thread"
    )
    print(table.results_table(cells))
    print(
        "\n* dedup on: every client request carries a unique x-bench-nonce header that our router"
        "\n  forwards, so in-flight deduplication can never share a subgraph request between two"
        "\n  client requests (only identical fetches inside one request). 'dedup off' has none."
        "\n  Peers ignore the header. CPU = user+system time of the router's process tree."
    )
    if found:
        print("\nRatios, ours ÷ peer (req/s x > 1: ours serves more; CPU x < 1: ours spends less)")
        print(table.ratios_table(found))
    if room:
        print(
            f"\nSubgraph headroom: subgraphs alone ÷ fastest router, in client requests "
            f"(needs ≥ {table.HEADROOM_REQUIRED:.0f}x)"
        )
        print(table.headroom_table(room))
    if added:
        print(
            f"\nAdded latency at 1 connection: {OURS.label} p50 minus the p50 of its plan's "
            "fetches\nsent directly to the subgraphs (bench/chain.py), median over rounds"
        )
        print(table.added_latency_table(added))
    if fetch_counts:
        print("\nSubgraph requests behind one client request (the routers' plans)")
        print(
            table.render(
                ["router", *options.queries],
                [
                    [label, *(str(counts.get(query, "-")) for query in options.queries)]
                    for label, counts in fetch_counts.items()
                ],
            )
        )
    if startup:
        print("\nStart-up: process start to the first answer (s)")
        print(
            table.render(
                ["router", "seconds"],
                [[label, f"{seconds:.2f}"] for label, seconds in startup.items()],
            )
        )
    print(f"\nSubgraph server cache: {subgraph_stats}")
    for line in profile_lines:
        print()
        print(line)
    for problem in problems:
        print(f"WARNING: {problem}")
    result = {
        "started": out.name,
        "versions": install.versions(),
        "options": {
            "seconds": options.seconds,
            "warmup": options.warmup,
            "rounds": options.rounds,
            "connections": list(options.connections),
            "routers": [spec.key for spec in options.routers],
            "queries": list(options.queries),
        },
        "cells": [
            {
                **dataclasses.asdict(cell),
                "rps": cell.rps,
                "cpu_ms_per_request": cell.cpu_ms_per_request,
                "requests_per_core_second": cell.requests_per_core_second,
            }
            for cell in cells
        ],
        "rounds": [dataclasses.asdict(cell) for cell in all_cells],
        "ratios": [dataclasses.asdict(ratio) for ratio in found],
        "startup_seconds": startup,
        "added_latency": [{**dataclasses.asdict(a), "ok": a.ok} for a in added],
        "headroom": [{**dataclasses.asdict(h), "ratio": h.ratio, "ok": h.ok} for h in room],
        "fetches_per_request": fetch_counts,
        "subgraph_cache": subgraph_stats,
        "problems": problems,
    }
    target = RESULTS / f"{out.name}.json"
    target.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\nSaved {target} (logs and request files in {out})")
    return target


def main(
    quick: Annotated[bool, typer.Option(help="A few seconds per cell, to try it out.")] = False,
    duration: Annotated[
        float | None, typer.Option(help="Seconds of load per cell (default 10, quick 3).")
    ] = None,
    warmup: Annotated[
        float | None, typer.Option(help="Warm-up seconds before each cell (default 2, quick 1).")
    ] = None,
    connections: Annotated[str, typer.Option(help="Connection counts, comma-separated.")] = "1,50",
    rounds: Annotated[
        int | None,
        typer.Option(help="Rounds over all cells; medians reported (default 3, quick 1)."),
    ] = None,
    routers: Annotated[
        str, typer.Option(help=f"Routers, comma-separated: {','.join(ROUTERS_BY_KEY)}.")
    ] = ",".join(ROUTERS_BY_KEY),
    queries: Annotated[
        str, typer.Option(help=f"Queries, comma-separated: {','.join(QUERY_NAMES)}.")
    ] = ",".join(QUERY_NAMES),
    subgraphs_direct: Annotated[
        bool, typer.Option(help="Also load the subgraphs directly (headroom check).")
    ] = True,
    profile_seconds: Annotated[
        float, typer.Option("--profile", help="Seconds of py-spy profile of ours (0: none).")
    ] = 0.0,
    subgraph_workers: Annotated[
        int, typer.Option(help="Node processes serving the benchmark subgraphs.")
    ] = 2,
    skip_install: Annotated[bool, typer.Option(help="Do not run npm ci / apt-get.")] = False,
    added_latency: Annotated[
        bool,
        typer.Option(
            help="At 1 connection, also replay our plan's fetches directly (added latency)."
        ),
    ] = True,
) -> None:
    """Benchmark our router against Apollo Gateway and Hive Gateway on one supergraph."""
    if not skip_install:
        install.ensure_node_modules()
        install.ensure_wrk()
    selected = tuple(ROUTERS_BY_KEY[key.strip()] for key in routers.split(",") if key.strip())
    if not GRAFBASE.exists() and any(spec.kind == "grafbase" for spec in selected):
        print(
            "bench: the Grafbase gateway is not installed (its npm package is x86_64 Linux "
            "only); running without it",
            flush=True,
        )
        selected = tuple(spec for spec in selected if spec.kind != "grafbase")
    chosen = tuple(name.strip() for name in queries.split(",") if name.strip())
    unknown = [name for name in chosen if name not in QUERY_NAMES]
    if unknown:
        raise typer.BadParameter(f"unknown queries: {unknown}")
    options = Options(
        seconds=duration if duration is not None else (3.0 if quick else 10.0),
        warmup=warmup if warmup is not None else (1.0 if quick else 2.0),
        connections=tuple(int(part) for part in connections.split(",") if part.strip()),
        routers=selected,
        queries=chosen,
        subgraphs_direct=subgraphs_direct,
        profile_seconds=profile_seconds,
        subgraph_workers=subgraph_workers,
        rounds=rounds if rounds is not None else (1 if quick else 3),
        added_latency=added_latency,
    )
    asyncio.run(run(options))


__all__ = ["PEERS", "ROUTERS", "main", "run"]
