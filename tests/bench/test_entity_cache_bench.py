"""The entity cache comparison's measuring pieces on a real `RouterMetrics` text (not timed)."""

from __future__ import annotations

from bench import commerce, entity_cache
from bench.load import LoadResult
from router.telemetry.metrics import RouterMetrics


def test_hits_and_misses_are_read_from_the_router_metrics() -> None:
    metrics = RouterMetrics()
    metrics.entity_cache_lookups("products", 9, 1)
    metrics.entity_cache_lookups("inventory", 0, 2)
    assert entity_cache.hits_and_misses(metrics.render().decode()) == (9.0, 3.0)
    assert entity_cache.hits_and_misses(RouterMetrics().render().decode()) == (0.0, 0.0)


def test_the_table_prints_on_off_ratios_against_the_same_size() -> None:
    def cell(
        router: str, rps: float, cpu: float, sql: float, hit: float | None
    ) -> entity_cache.CacheCell:
        result = LoadResult(int(rps * 3), 3.0, 0, 1.0, 2.0, 3.0)
        measured = commerce.PerRequest(30, 0, {"orders": 1.0}, {"orders": sql})
        return entity_cache.CacheCell(10, router, result, measured, cpu, hit)

    text = entity_cache.render(
        [cell("cache-off", 10, 4.0, 6.0, None), cell("cache-on", 25, 2.0, 3.0, 0.9)]
    )
    on = text.splitlines()[-1].split()
    assert on[:4] == ["10", "on", "25", "0.900"]
    assert on[-3:] == ["2.50x", "0.50x", "0.50x"]
