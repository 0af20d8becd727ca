"""``python -m bench.planning``: cold planning time of our planner beside Hive's Rust planner.

Both plan the same operations on the same supergraph in the same run: the benchmark's three
queries on its four-subgraph supergraph, then generated supergraphs of growing size (up to 50
subgraphs / 1,000 entity types) to show how planning time and memory scale. "Cold" means no
plan cache: ours plans on a fresh `Engine` every time (parse, validate, normalize, plan), Hive's
on a fresh `QueryPlanner` (`@graphql-hive/router-query-planner`, `node planner_time.mjs`).
Printed per row: median milliseconds of each, the ratio ours ÷ Hive, the subgraph requests
each plan makes (a Hive `BatchFetch` counts once, like ours), and our peak Python allocation
while planning (tracemalloc).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from bench.queries import QUERY_DIR, QUERY_NAMES
from bench.routers import BENCH

GENERATED_SIZES = ((10, 20), (25, 20), (50, 20))
"""(subgraphs, entity types per subgraph) of the generated supergraphs: 200 to 1,000 types."""
CHAIN_DEPTH = 8
"""How many subgraphs the generated query walks through, one entity jump each."""


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    ours_ms: float
    planner_ms: float
    hive_ms: float
    ours_requests: int
    hive_requests: int
    ours_peak_mb: float

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.hive_ms if self.hive_ms else float("inf")


def ours_planner_only(supergraph_sdl: str, query: str, repeats: int) -> float:
    """Median ms of the planner alone (a fresh `Planner` on an already validated, normalized
    operation): the part of the cold path that is query planning proper."""
    from graphql import parse

    from router.operation.normalize import prepare
    from router.planning import Planner
    from router.supergraph import read_supergraph

    model = read_supergraph(supergraph_sdl)
    operation = prepare(model.api_schema, parse(query), None)
    selection = operation.expand(model.api_schema, {})
    times = []
    for _ in range(repeats):
        planner = Planner(model)
        start = time.perf_counter()
        planner.plan(operation, selection)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ours(supergraph_sdl: str, query: str, repeats: int) -> tuple[float, int, float]:
    """Median cold ms (parse, validate, normalize, plan), subgraph requests of the plan, peak
    MB while planning."""
    from router.engine import Engine, EngineConfig
    from router.supergraph import read_supergraph

    model = read_supergraph(supergraph_sdl)
    times: list[float] = []
    requests = 0
    peak = 0
    for index in range(repeats):
        engine = Engine(model, EngineConfig())
        if index == 0:
            tracemalloc.start()
        start = time.perf_counter()
        plan = engine.plan(query)
        times.append((time.perf_counter() - start) * 1000)
        if index == 0:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        requests = plan.fetch_count
    # The first (traced) run is slower: leave it out of the median when there are others.
    kept = times[1:] if len(times) > 1 else times
    return statistics.median(kept), requests, peak / 1e6


def hive(supergraph: Path, queries: list[Path], repeats: int) -> dict[str, tuple[float, int]]:
    out = subprocess.run(
        ["node", "planner_time.mjs", str(supergraph), str(repeats), *map(str, queries)],
        cwd=BENCH,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = json.loads(out)
    return {
        name: (statistics.median(entry["ms"][1:] or entry["ms"]), int(entry["requests"]))
        for name, entry in found.items()
    }


def compose(folder: Path, target: Path) -> Path:
    subprocess.run(["node", "compose_dir.mjs", str(folder), str(target)], cwd=BENCH, check=True)
    return target


def generate(subgraphs: int, per_subgraph: int, folder: Path) -> str:
    """Write ``subgraphs`` SDL files into ``folder``; return a query spanning them.

    Subgraph ``s{i}`` owns entity types ``E{i}_{j}`` (key ``id``), each with a ``link`` to
    ``E{i+1}_{j}`` of the next subgraph, and adds ``f{i}`` to the shared entity ``Hub``. The
    query follows ``link`` through ``CHAIN_DEPTH`` subgraphs and reads ``Hub`` fields from
    every subgraph: one entity jump per level, one entity fetch per subgraph for ``Hub``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(subgraphs):
        nxt = (i + 1) % subgraphs
        lines = [
            'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
            'import: ["@key"])',
        ]
        if i == 0:
            lines.append(
                "type Query { hubs: [Hub!]! "
                + " ".join(f"e{j}: [E0_{j}!]!" for j in range(per_subgraph))
                + " }"
            )
        lines.append(f'type Hub @key(fields: "id") {{ id: ID! f{i}: Int }}')
        for j in range(per_subgraph):
            lines.append(
                f'type E{i}_{j} @key(fields: "id") {{ id: ID! name{i}: String link: E{nxt}_{j} }}'
            )
            lines.append(f'type E{nxt}_{j} @key(fields: "id", resolvable: false) {{ id: ID! }}')
        # A stub may repeat a type this subgraph owns (when subgraphs == 1): keep the owner.
        text = "\n".join(dict.fromkeys(lines)) + "\n"
        (folder / f"s{i:02d}.graphql").write_text(text)
    selection = "name0"
    for level in range(1, CHAIN_DEPTH):
        selection = f"{selection} link {{ name{level}"
    selection += " }" * (CHAIN_DEPTH - 1)
    hub = " ".join(f"f{i}" for i in range(subgraphs))
    return f"{{ hubs {{ id {hub} }} e0 {{ {selection} }} e1 {{ {selection} }} }}"


def print_table(title: str, rows: list[Row]) -> None:
    typer.echo(f"\n{title}")
    header = (
        f"{'':<28}{'ours ms':>10}{'planner ms':>12}{'hive ms':>10}{'ours/hive':>11}"
        f"{'req ours':>10}{'req hive':>10}{'ours peak MB':>14}"
    )
    typer.echo(header)
    for row in rows:
        typer.echo(
            f"{row.label:<28}{row.ours_ms:>10.2f}{row.planner_ms:>12.2f}{row.hive_ms:>10.2f}"
            f"{row.ratio:>10.1f}x{row.ours_requests:>10}{row.hive_requests:>10}"
            f"{row.ours_peak_mb:>14.2f}"
        )
    typer.echo(
        "ours ms: parse + validate + normalize + plan, cold; planner ms: our planner alone on "
        "the normalized operation; ours/hive compares ours ms."
    )


def main(
    repeats: Annotated[int, typer.Option(help="Cold plans per query and planner.")] = 7,
    generated: Annotated[bool, typer.Option(help="Also the generated supergraphs.")] = True,
) -> None:
    """Cold planning time of our planner and Hive's, same operations, same run."""
    with tempfile.TemporaryDirectory(prefix="polyshop-planning-") as tmp:
        work = Path(tmp)
        supergraph = work / "bench-supergraph.graphql"
        subprocess.run(
            ["node", "compose.mjs", "http://127.0.0.1:1", str(supergraph)], cwd=BENCH, check=True
        )
        sdl = supergraph.read_text()
        files = [QUERY_DIR / f"{name}.graphql" for name in QUERY_NAMES]
        reference = hive(supergraph, files, repeats)
        rows = []
        for name, file in zip(QUERY_NAMES, files, strict=True):
            ms, requests, peak = ours(sdl, file.read_text(), repeats)
            planner_ms = ours_planner_only(sdl, file.read_text(), repeats)
            hive_ms, hive_requests = reference[str(file)]
            rows.append(Row(name, ms, planner_ms, hive_ms, requests, hive_requests, peak))
        print_table("Cold planning, benchmark supergraph (4 subgraphs)", rows)
        if not generated:
            return
        scaling = []
        for subgraphs, per_subgraph in GENERATED_SIZES:
            folder = work / f"generated-{subgraphs}"
            query = generate(subgraphs, per_subgraph, folder)
            query_file = work / f"generated-{subgraphs}.graphql"
            query_file.write_text(query)
            target = compose(folder, work / f"generated-{subgraphs}-supergraph.graphql")
            ms, requests, peak = ours(target.read_text(), query, repeats)
            planner_ms = ours_planner_only(target.read_text(), query, repeats)
            hive_ms, hive_requests = hive(target, [query_file], repeats)[str(query_file)]
            label = f"{subgraphs} subgraphs/{subgraphs * per_subgraph} types"
            scaling.append(Row(label, ms, planner_ms, hive_ms, requests, hive_requests, peak))
        print_table(
            f"Cold planning, generated supergraphs (query: {CHAIN_DEPTH} jumps deep, "
            "a field from every subgraph)",
            scaling,
        )


if __name__ == "__main__":
    typer.run(main)
