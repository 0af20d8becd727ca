"""Plans travel between replicas as bytes (`router.planning.serialize`): for every scenario
operation that plans, a second engine that takes the first one's encoded plan instead of
planning ends with the same plan (body prefixes included) and the same projection (internal
aliases travel inside the plan), without running its planner."""

from __future__ import annotations

import pytest

from router.engine import Engine, EngineConfig
from router.operation import RequestError
from router.operation.normalize.variables import coerce_variables
from router.planning import fetch_nodes
from router.planning.planner import PlanningError
from router.planning.serialize import PlanDecodeError, decode_plan
from router.supergraph import read_supergraph
from tests.router.scenarios.model import all_scenarios, load

CASES = [
    pytest.param(loaded.name, operation.name, id=f"{loaded.name}::{operation.name}")
    for loaded in all_scenarios()
    for operation in loaded.scenario.operations
    if operation.plan
]


@pytest.mark.parametrize(("scenario", "operation_name"), CASES)
def test_a_shared_plan_is_the_plan_the_other_replica_made(
    scenario: str, operation_name: str
) -> None:
    loaded = load(scenario)
    operation = next(o for o in loaded.scenario.operations if o.name == operation_name)
    config = EngineConfig(**{**loaded.scenario.config, **operation.config})
    supergraph = read_supergraph(loaded.supergraph_sdl)
    maker, taker = Engine(supergraph, config), Engine(supergraph, config)
    try:
        prepared = maker._prepare(operation.query, operation.operation_name)
    except RequestError:
        return  # refused before planning
    assert prepared.operation is not None
    try:
        coerced = coerce_variables(
            supergraph.api_schema, prepared.operation.variable_definitions, operation.variables
        )
    except RequestError:
        return
    sink: list[bytes] = []
    try:
        made = maker._plan_for(prepared, coerced, frozenset(), sink=sink)
    except PlanningError:
        return  # meant to fail planning
    assert (maker.plan_stats.built, len(sink)) == (1, 1)

    theirs = taker._prepare(operation.query, operation.operation_name)
    taken = taker._plan_for(theirs, coerced, frozenset(), shared=sink[0])
    assert (taker.plan_stats.built, taker.plan_stats.shared) == (0, 1)
    assert taken.plan == made.plan
    assert taken.plan.fetch_count == made.plan.fetch_count
    assert [f.body_prefix for f in fetch_nodes(taken.plan)] == [
        f.body_prefix for f in fetch_nodes(made.plan)
    ]
    assert taken.projection == made.projection
    assert taken.incremental == made.incremental  # @defer: the same parts, by fragment id


def test_bytes_that_are_no_plan_are_refused_and_planned_locally() -> None:
    loaded = load(CASES[0].values[0])  # type: ignore[arg-type]
    supergraph = read_supergraph(loaded.supergraph_sdl)
    engine = Engine(supergraph)
    query = "{ __typename }"
    prepared = engine._prepare(query, None)
    assert prepared.operation is not None
    for data in (
        b"not json",
        b'{"format": "1"}',  # format 1 carried data keys beside the plan
        b'{"format": "2", "plan": {"$node": "Evil"}}',
    ):
        with pytest.raises(PlanDecodeError):
            decode_plan(data)
    cached = engine._plan_for(prepared, {}, frozenset(), shared=b'{"format": "2"}')
    assert (engine.plan_stats.built, engine.plan_stats.shared) == (1, 0)
    assert cached.plan.node is None
