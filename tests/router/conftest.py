"""Fixtures shared by the router's tests.

`scenario_subgraphs` starts the live subgraphs of one federation scenario
(`tests/router/scenarios/NN_name/`), so tests of other router layers (HTTP, security, ...)
can run against the same federation cases the scenario suite checks:

    async with scenario_subgraphs("01_key_simple") as cluster:
        cluster.urls        # subgraph name -> URL, for EngineConfig.subgraph_urls
        cluster.recorder    # every request the subgraphs received
        load_scenario("01_key_simple").supergraph_sdl
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.router.scenarios.model import LoadedScenario, load
from tests.support.subgraph_server import SubgraphCluster


@pytest.fixture
def scenario_subgraphs() -> Callable[[str], SubgraphCluster]:
    """Factory: ``scenario_subgraphs(name)`` is an async context manager running them."""

    def start(name: str) -> SubgraphCluster:
        return SubgraphCluster(load(name).scenario.subgraphs)

    return start


@pytest.fixture
def load_scenario() -> Callable[[str], LoadedScenario]:
    return load
