"""The benchmark harness's pure pieces: tables, ratios, headroom, wrk output, profiles, /proc.

No timing is asserted anywhere: these check the arithmetic and parsing the report relies on.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bench import load, procstat, profile, table


def cell(router: str, query: str, connections: int, **values: float) -> table.Cell:
    defaults = {
        "requests": 1000,
        "seconds": 10.0,
        "errors": 0,
        "p50_ms": 1.0,
        "p95_ms": 2.0,
        "p99_ms": 4.0,
        "cpu_seconds": 5.0,
        "peak_rss_bytes": 100 * 2**20,
    }
    defaults.update(values)
    return table.Cell(
        router=router,
        label=router.upper(),
        query=query,
        connections=connections,
        requests=int(defaults["requests"]),
        seconds=defaults["seconds"],
        errors=int(defaults["errors"]),
        p50_ms=defaults["p50_ms"],
        p95_ms=defaults["p95_ms"],
        p99_ms=defaults["p99_ms"],
        cpu_seconds=defaults["cpu_seconds"],
        peak_rss_bytes=int(defaults["peak_rss_bytes"]),
        fetches_per_request=int(values.get("fetches", 1)),
    )


def test_cell_derived_figures() -> None:
    c = cell("ours", "heavy", 50, requests=2000, seconds=4.0, cpu_seconds=2.0)
    assert c.rps == 500
    assert c.cpu_ms_per_request == pytest.approx(1.0)
    assert c.requests_per_core_second == 1000
    assert c.cores_used == pytest.approx(0.5)


def test_ratios_compare_ours_with_each_peer_per_group() -> None:
    cells = [
        cell("ours", "small", 1, requests=3000, cpu_seconds=3.0, p99_ms=2.0),
        cell("peer", "small", 1, requests=1000, cpu_seconds=4.0, p99_ms=8.0),
        cell("ours", "heavy", 1, requests=500),
    ]
    found = table.ratios(cells, ["ours"], ["peer"])
    assert len(found) == 1  # heavy has no peer cell: no ratio invented
    ratio = found[0]
    assert (ratio.query, ratio.connections, ratio.ours, ratio.peer) == ("small", 1, "OURS", "PEER")
    assert ratio.rps == pytest.approx(3.0)
    assert ratio.cpu == pytest.approx((3.0 / 3000) / (4.0 / 1000))
    assert ratio.p99 == pytest.approx(0.25)
    text = table.ratios_table(found)
    assert "small c=1 OURS" in text
    assert "3.00" in text
    assert "P1 = PEER" in text


def test_headroom_uses_client_request_equivalents() -> None:
    cells = [
        cell("ours", "heavy", 50, requests=2000),  # 200 req/s
        cell("peer", "heavy", 50, requests=1000),
        cell(table.SUBGRAPHS_KEY, "heavy", 50, requests=100_000, fetches=10),  # 10k/10 = 1000
        cell("ours", "small", 50, requests=2000),
        cell(table.SUBGRAPHS_KEY, "small", 50, requests=4000),  # 400 vs 200: only 2x
    ]
    found = {h.query: h for h in table.headroom(cells)}
    assert found["heavy"].equivalent_rps == pytest.approx(1000)
    assert found["heavy"].fastest_router == "OURS"
    assert found["heavy"].ratio == pytest.approx(5.0)
    assert found["heavy"].ok
    assert not found["small"].ok
    text = table.headroom_table(list(found.values()))
    assert "5.0x" in text
    assert "< 3x !" in text


def test_results_table_rows_and_alignment() -> None:
    cells = [
        cell("ours", "small", 1, requests=12345, seconds=1.0),
        cell("peer", "small", 1, requests=99, seconds=1.0),
    ]
    lines = table.results_table(cells).splitlines()
    assert lines[0].startswith("query / conns / router")
    assert set(lines[1]) <= {"-", " "}
    assert "12,345" in lines[2]
    assert lines[3].startswith("small c=1 PEER")
    assert len({len(line) for line in lines[:2]}) == 1


def test_parse_wrk_result_line() -> None:
    output = (
        "Running 1s test @ http://127.0.0.1:1\n"
        'BENCH_RESULT {"requests":120,"duration_us":2000000,"bytes":5,'
        '"errors":{"connect":0,"read":1,"write":0,"status":2,"timeout":0},'
        '"latency_us":{"mean":1.0,"max":9000,"p50":1500,"p90":2000,"p95":2500,"p99":7000}}\n'
    )
    result = load.parse_result(output)
    assert result.rps == 60
    assert result.errors == 3
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (1.5, 2.5, 7.0)
    with pytest.raises(load.LoadError):
        load.parse_result("Requests/sec: 10\n")


def test_write_requests_compacts_json_one_per_line(tmp_path: Path) -> None:
    target = load.write_requests(
        tmp_path / "r.tsv", [("/graphql", '{"query": "{\\n  a\\n}"}'), ("/x", "{}")]
    )
    assert target.read_text().splitlines() == ['/graphql\t{"query":"{\\n  a\\n}"}', "/x\t{}"]


def test_profile_summary_self_and_inclusive_shares() -> None:
    lines = [
        "main (app.py:1);handle (app.py:10);parse (p.py:5) 6",
        "main (app.py:1);handle (app.py:12);project (q.py:7) 3",
        "main (app.py:1);select (selectors.py:451) 50",
        "garbage line",
    ]
    total, shares = profile.summarize(lines, idle=("select (selectors.py)",))
    assert total == 9
    by_name = {s.function: s for s in shares}
    assert by_name["handle (app.py)"].inclusive_share == pytest.approx(1.0)
    assert by_name["handle (app.py)"].self_share == 0
    assert by_name["parse (p.py)"].self_share == pytest.approx(6 / 9)
    assert profile.top_self(shares, 1)[0].function == "parse (p.py)"


async def test_procstat_follows_a_process_tree() -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(30)"
    )
    try:
        assert child.pid in procstat.process_tree(os.getpid())
        usage = procstat.TreeUsage(os.getpid(), interval=0.01)
        usage.start()
        deadline = asyncio.get_running_loop().time() + 0.2
        while asyncio.get_running_loop().time() < deadline:
            sum(range(10_000))  # burn some CPU in this process
        await asyncio.sleep(0.03)
        used = await usage.stop()
        assert used > 0.05
        assert usage.peak_rss > procstat.rss_bytes([child.pid]) > 0
    finally:
        child.kill()
        await child.wait()


def test_median_cells_keep_whole_rounds() -> None:
    rounds = [
        cell("ours", "heavy", 50, requests=100, p99_ms=9.0),
        cell("ours", "heavy", 50, requests=300, p99_ms=3.0),
        cell("ours", "heavy", 50, requests=200, p99_ms=5.0),
        cell("peer", "heavy", 50, requests=50),
    ]
    chosen = table.median_cells(rounds)
    assert [(c.router, c.requests) for c in chosen] == [("ours", 200), ("peer", 50)]
    assert chosen[0].p99_ms == 5.0  # the figures of that same round, not per-column medians
