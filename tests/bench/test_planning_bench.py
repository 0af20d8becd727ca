"""`bench.planning`'s pieces: the generated supergraphs compose, and on them (and on the
benchmark's supergraph) our plans make as few subgraph requests as Hive's planner.

No timing is asserted: the timings are the benchmark's output, not a test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench import planning
from bench.queries import QUERY_DIR, QUERY_NAMES
from bench.routers import BENCH

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None
    or not (BENCH / "node_modules" / "@graphql-hive" / "router-query-planner").exists(),
    reason="needs Node.js and `npm ci --prefix bench`",
)


def test_generated_supergraph_plans_like_hive(tmp_path: Path) -> None:
    query = planning.generate(10, 3, tmp_path / "subgraphs")
    assert len(list((tmp_path / "subgraphs").glob("*.graphql"))) == 10
    supergraph = planning.compose(tmp_path / "subgraphs", tmp_path / "supergraph.graphql")
    query_file = tmp_path / "query.graphql"
    query_file.write_text(query)
    _, ours, peak = planning.ours(supergraph.read_text(), query, 2)
    _, hive = planning.hive(supergraph, [query_file], 2)[str(query_file)]
    # s0's root fetch; Hub from s1..s9 (s1 batched with the first chain jump); s2..s7 chain.
    assert ours == 16
    assert ours <= hive
    assert peak > 0


def test_benchmark_queries_as_few_requests_as_hive(tmp_path: Path) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    subprocess.run(
        ["node", "compose.mjs", "http://127.0.0.1:1", str(supergraph)], cwd=BENCH, check=True
    )
    files = [QUERY_DIR / f"{name}.graphql" for name in QUERY_NAMES]
    reference = planning.hive(supergraph, files, 1)
    counts = {}
    for name, file in zip(QUERY_NAMES, files, strict=True):
        _, ours, _ = planning.ours(supergraph.read_text(), file.read_text(), 1)
        counts[name] = (ours, reference[str(file)][1])
    assert counts == {"small": (1, 1), "heavy": (7, 7), "list100": (3, 3)}
