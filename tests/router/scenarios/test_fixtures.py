"""The scenario fixtures are complete and the committed supergraphs match their sources."""

from __future__ import annotations

import pytest
from graphql import parse

from .model import SUPERGRAPH, all_scenarios, load, scenario_folders, sources_hash, subgraph_sources

SCENARIOS = [pytest.param(folder.name, id=folder.name) for folder in scenario_folders()]


def test_there_are_at_least_forty_scenarios() -> None:
    assert len(scenario_folders()) >= 40


@pytest.mark.parametrize("scenario_name", SCENARIOS)
def test_supergraph_is_composed_from_current_sources(scenario_name: str) -> None:
    loaded = load(scenario_name)
    lines = loaded.supergraph_sdl.splitlines()
    assert lines[1] == f"# sources-sha256: {sources_hash(subgraph_sources(loaded.folder))}", (
        f"{scenario_name}/{SUPERGRAPH} is stale: run `node compose.mjs {scenario_name}` "
        "in tests/router/fixtures"
    )
    parse(loaded.supergraph_sdl)


@pytest.mark.parametrize("scenario_name", SCENARIOS)
def test_scenario_is_well_formed(scenario_name: str) -> None:
    scenario = load(scenario_name).scenario
    assert scenario.description
    assert scenario.operations
    names = [operation.name for operation in scenario.operations]
    assert len(names) == len(set(names)), f"duplicate operation names in {scenario_name}"
    subgraphs = {spec.name for spec in scenario.subgraphs}
    for operation in scenario.operations:
        codes = {e.code for e in operation.errors} if isinstance(operation.errors, list) else set()
        if "GRAPHQL_PARSE_FAILED" not in codes:
            parse(operation.query)
        assert operation.requests is not None, f"{operation.name}: state its subgraph requests"
        assert set(operation.requests) <= subgraphs, operation.name


def test_all_scenarios_load() -> None:
    assert all_scenarios()
