"""Runs every scenario's operations through the router's `Engine` against live subgraphs.

For each operation: start the scenario's subgraphs (aiohttp, free ports), build
``Engine(read_supergraph(sdl), EngineConfig(subgraph_urls=...))``, execute, and compare the
body with the hand-written expectation (exact ``data``; errors by message/path/code) and
the subgraph requests with the declared counts. A second test per operation snapshots the
query plan text beside the scenario (``plans/<operation>.txt``).

The router is imported inside the tests, so a missing or broken engine fails these tests
without breaking collection of the rest of the test suite.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tests.support.subgraph_server import SubgraphCluster

from .expect import assert_body, assert_payloads, assert_requests
from .model import LoadedScenario, Operation, all_scenarios, load

# Every federation case against live subgraphs; the planning tests cover the plans fast.
pytestmark = pytest.mark.slow


class SnapshotSettings(BaseSettings):
    """``POLYSHOP_UPDATE_SNAPSHOTS=1`` rewrites plan snapshots instead of comparing them.

    A missing snapshot is written (and the test passes) on a developer's machine; under
    ``CI=true`` it fails, so a snapshot nobody committed never passes unseen."""

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_")
    update_snapshots: bool = False
    ci: bool = Field(default=False, validation_alias="CI")


CASES = [
    pytest.param(loaded.name, operation.name, id=f"{loaded.name}::{operation.name}")
    for loaded in all_scenarios()
    for operation in loaded.scenario.operations
]


def _operation(scenario_name: str, operation_name: str) -> tuple[LoadedScenario, Operation]:
    loaded = load(scenario_name)
    for operation in loaded.scenario.operations:
        if operation.name == operation_name:
            return loaded, operation
    raise KeyError(operation_name)


def _config_kwargs(loaded: LoadedScenario, operation: Operation) -> dict[str, Any]:
    return {**loaded.scenario.config, **operation.config}


@pytest.mark.parametrize(("scenario_name", "operation_name"), CASES)
async def test_operation(scenario_name: str, operation_name: str) -> None:
    from router.engine import Engine, EngineConfig, GraphQLRequest, GraphQLResponse, RequestContext
    from router.supergraph import read_supergraph

    loaded, operation = _operation(scenario_name, operation_name)
    supergraph = read_supergraph(loaded.supergraph_sdl)
    async with SubgraphCluster(loaded.scenario.subgraphs) as cluster:
        config = EngineConfig(subgraph_urls=cluster.urls, **_config_kwargs(loaded, operation))
        engine = Engine(supergraph, config)
        await engine.start()
        try:
            response = await engine.execute(
                GraphQLRequest(
                    query=operation.query,
                    operation_name=operation.operation_name,
                    variables=operation.variables,
                ),
                RequestContext(headers={}, method=operation.method),
            )
            assert_body(response.body, response.status, operation)
            assert_requests(cluster.recorder, operation)
            if operation.check is not None:
                operation.check(cluster.recorder)
            if operation.incremental is not None:
                cluster.recorder.clear()
                outcome = await engine.execute_incremental(
                    GraphQLRequest(
                        query=operation.query,
                        operation_name=operation.operation_name,
                        variables=operation.variables,
                    ),
                    RequestContext(headers={}, method=operation.method),
                )
                assert not isinstance(outcome, GraphQLResponse), outcome.body
                payloads = [payload async for payload in outcome]
                assert_payloads(payloads, operation.incremental)
                assert_requests(cluster.recorder, operation)
        finally:
            await engine.close()


PLAN_CASES = [
    pytest.param(loaded.name, operation.name, id=f"{loaded.name}::{operation.name}")
    for loaded in all_scenarios()
    for operation in loaded.scenario.operations
    if operation.plan
]


@pytest.mark.parametrize(("scenario_name", "operation_name"), PLAN_CASES)
def test_plan_snapshot(scenario_name: str, operation_name: str) -> None:
    from router.engine import Engine, EngineConfig
    from router.planning import plan_to_text
    from router.supergraph import read_supergraph

    loaded, operation = _operation(scenario_name, operation_name)
    engine = Engine(
        read_supergraph(loaded.supergraph_sdl), EngineConfig(**_config_kwargs(loaded, operation))
    )
    text = (
        plan_to_text(
            engine.plan(operation.query, operation.operation_name, operation.variables)
        ).rstrip()
        + "\n"
    )
    snapshot = loaded.plan_snapshot(operation)
    settings = SnapshotSettings()
    if not snapshot.exists() and settings.ci and not settings.update_snapshots:
        pytest.fail(f"plan snapshot {snapshot} is missing (CI=true): commit it\n{text}")
    if settings.update_snapshots or not snapshot.exists():
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(text)
        return
    assert text == snapshot.read_text(), (
        f"plan differs from {snapshot} (POLYSHOP_UPDATE_SNAPSHOTS=1 rewrites it)\n{text}"
    )


@pytest.mark.parametrize(("scenario_name", "operation_name"), PLAN_CASES)
def test_plan_is_minimal(scenario_name: str, operation_name: str) -> None:
    """Strict mode: the plan holds no more fetches than the scenario's minimal number of
    subgraph requests (a `BatchFetch` is one request)."""
    from router.engine import Engine, EngineConfig
    from router.planning import plan_to_text
    from router.supergraph import read_supergraph

    loaded, operation = _operation(scenario_name, operation_name)
    assert operation.requests is not None, f"{operation_name}: state its subgraph requests"
    minimal = operation.planned_requests
    if minimal is None:
        minimal = sum(operation.requests.values())
    engine = Engine(
        read_supergraph(loaded.supergraph_sdl), EngineConfig(**_config_kwargs(loaded, operation))
    )
    plan = engine.plan(operation.query, operation.operation_name, operation.variables)
    assert plan.fetch_count <= minimal, (
        f"{plan.fetch_count} subgraph requests planned, minimal is {minimal}\n" + plan_to_text(plan)
    )
