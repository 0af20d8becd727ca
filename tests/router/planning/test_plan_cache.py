"""`PlanCache`: the contract in `router/planning/cache.py`, and the engine using it."""

from __future__ import annotations

from pathlib import Path

from router.engine import Engine, EngineConfig
from router.planning.cache import PlanCache, PlanKey
from router.supergraph import read_supergraph

SUPERGRAPH = (
    Path(__file__).parents[1] / "scenarios" / "01_key_simple" / "supergraph.graphql"
).read_text()


def _key(operation: str, options: object = ()) -> PlanKey:
    return PlanKey("sg", operation, None, options)  # type: ignore[arg-type]


def test_bounded_lru_counts_hits_and_misses() -> None:
    seen: list[bool] = []
    cache: PlanCache[str] = PlanCache(2, observer=seen.append)
    cache.put(_key("a"), "plan a")
    cache.put(_key("b"), "plan b")
    assert cache.get(_key("a")) == "plan a"  # a is now the most recently used
    cache.put(_key("c"), "plan c")  # evicts b
    assert cache.get(_key("b")) is None
    assert cache.get(_key("c")) == "plan c"
    assert (cache.hits, cache.misses, len(cache)) == (2, 1, 2)
    assert seen == [True, False, True]
    # Looking without counting.
    assert _key("a") in cache
    assert cache.peek(_key("c")) == "plan c"
    assert (cache.hits, cache.misses) == (2, 1)


def test_every_part_of_the_key_tells_plans_apart() -> None:
    cache: PlanCache[str] = PlanCache(10)
    cache.put(PlanKey("sg1", "op", "Q", ("labels",)), "one")
    assert PlanKey("sg2", "op", "Q", ("labels",)) not in cache
    assert PlanKey("sg1", "op2", "Q", ("labels",)) not in cache
    assert PlanKey("sg1", "op", "R", ("labels",)) not in cache
    assert PlanKey("sg1", "op", "Q", ("other",)) not in cache
    assert PlanKey("sg1", "op", "Q", ("labels",)) in cache


def test_engine_plans_once_per_variant() -> None:
    """One plan per (operation, condition values); the second request of a variant hits."""
    engine = Engine(read_supergraph(SUPERGRAPH), EngineConfig())
    query = "query Q($on: Boolean!) { __typename @include(if: $on) }"
    engine.plan(query, "Q", {"on": True})
    engine.plan(query, "Q", {"on": True})
    engine.plan(query, "Q", {"on": False})
    assert (engine.plan_cache.hits, engine.plan_cache.misses, len(engine.plan_cache)) == (1, 2, 2)
