"""`bench.subscriptions` run tiny, for real: the ticks subgraph (Node, graphql-ws), our router
and Hive Gateway each holding 40 WebSocket subscriptions over 10 topics; every event must
reach every subscriber and the table must carry the ratios. Not timed: it checks the
harness measures what it says, not how fast anything is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import subscriptions
from bench.routers import BENCH


def node_peers() -> None:
    if shutil.which("node") is None or not (BENCH / "node_modules" / "graphql-ws").is_dir():
        pytest.skip("Node or bench/node_modules missing (npm ci --prefix bench)")


async def test_scale_runs_tiny_against_hive_gateway(tmp_path: Path) -> None:
    node_peers()
    results = await subscriptions.scale(
        tmp_path, subscriptions=40, per_connection=4, topics=10, rounds=2
    )
    ours, hive = results
    for result in results:
        assert result.errors == []
        assert result.delivered == result.expected == 40 * 2
        assert len(result.latencies_ms) == 80
        assert 0 < result.percentile(0.5) <= result.percentile(0.99)
        assert result.connections == 10
        assert result.peak_rss >= result.baseline_rss > 0
    # Ours opens one upstream subscription per distinct root fetch (topic); the counts come
    # from the subgraph itself.
    assert ours.upstream == 10
    assert hive.upstream >= 10
    table = subscriptions.render_scale(results)
    assert "ratio ours / Hive Gateway" in table
    assert "polyshop (1 worker)" in table


def test_the_no_loss_judge_counts_each_kind_of_fault() -> None:
    def judged(*statuses: str) -> tuple[int, int, int, int]:
        watcher = subscriptions.Watcher("o", "o-1")
        watcher.statuses.extend(statuses)
        return watcher.judge()

    assert judged("CREATED", "PENDING_PAYMENT", "PAID") == (3, 0, 0, 0)
    assert judged("PENDING_PAYMENT", "PAID") == (2, 0, 0, 0)
    assert judged("CREATED", "PAID") == (3, 1, 0, 0)
    assert judged("PENDING_PAYMENT", "PENDING_PAYMENT", "PAID") == (2, 0, 1, 0)
    assert judged("PENDING_PAYMENT", "PAID", "CREATED") == (2, 0, 0, 1)
    assert judged() == (3, 3, 0, 0)
