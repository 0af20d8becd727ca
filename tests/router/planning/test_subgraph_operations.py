"""Every operation the planner writes is valid for the subgraph it is sent to.

For each scenario operation that plans, each fetch's operation must validate against that
subgraph's own schema (built from the scenario's ``<subgraph>.graphql``): no fragment on a type
the subgraph does not know, no field it lacks, no conflicting response keys, every variable
declared with a type the subgraph accepts.
"""

from __future__ import annotations

from functools import cache

import pytest
from graphql import GraphQLSchema, parse, validate

from router.engine import Engine, EngineConfig
from router.operation import RequestError
from router.planning import fetch_nodes
from router.supergraph import read_supergraph
from tests.router.scenarios.model import all_scenarios, load
from tests.support.subgraph_server import SubgraphSpec, build_subgraph_schema

CASES = [
    pytest.param(loaded.name, operation.name, id=f"{loaded.name}::{operation.name}")
    for loaded in all_scenarios()
    for operation in loaded.scenario.operations
    if operation.plan
]


@cache
def subgraph_schema(scenario: str, subgraph: str) -> GraphQLSchema:
    loaded = load(scenario)
    spec = next(s for s in loaded.scenario.subgraphs if s.name == subgraph)
    return build_subgraph_schema(SubgraphSpec(spec.name, sdl=spec.sdl))


@pytest.mark.parametrize(("scenario", "operation_name"), CASES)
def test_fetch_operations_validate_against_their_subgraph(
    scenario: str, operation_name: str
) -> None:
    loaded = load(scenario)
    operation = next(o for o in loaded.scenario.operations if o.name == operation_name)
    config = {**loaded.scenario.config, **operation.config}
    engine = Engine(read_supergraph(loaded.supergraph_sdl), EngineConfig(**config))
    try:
        query_plan = engine.plan(operation.query, operation.operation_name, operation.variables)
    except RequestError:
        return  # the operation is meant to be refused before planning
    for fetch in fetch_nodes(query_plan):
        errors = validate(subgraph_schema(scenario, fetch.service), parse(fetch.operation))
        assert not errors, f"{fetch.service}: {fetch.operation}\n{[e.message for e in errors]}"
