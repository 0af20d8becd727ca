"""Differential check of plan sizes against Hive's Rust query planner.

For every planned scenario operation, our plan must not send more subgraph requests than the
plan of `@graphql-hive/router-query-planner` (installed in `bench/node_modules`) for the same
supergraph and operation. Where Hive's plan is smaller because it is wrong, the case is listed
in `HIVE_UNDERCOUNTS` with the reason, and our larger plan is proven right by the scenario's
live subgraphs."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from router.engine import Engine, EngineConfig
from router.supergraph import read_supergraph
from tests.router.scenarios.model import LoadedScenario, Operation, all_scenarios

BENCH = Path(__file__).parents[3] / "bench"

pytestmark = [
    pytest.mark.slow,  # Hive's planner in Node
    pytest.mark.skipif(
        shutil.which("node") is None
        or not (BENCH / "node_modules" / "@graphql-hive" / "router-query-planner").exists(),
        reason="needs Node.js and `npm ci --prefix bench` (Hive's planner)",
    ),
]

HIVE_UNDERCOUNTS = {
    "58_requires_from_own_root::through_an_interface": (
        "Hive selects Parcel.cost on the interface in shipping, so Box.cost runs without its "
        "@requires(weight); the scenario's subgraph fails on that"
    ),
    "68_context_from_ancestor::price_in_the_store_currency": (
        "Hive selects Product.price inline without the @fromContext argument"
    ),
    "68_context_from_ancestor::context_and_another_subgraph": (
        "Hive selects Product.price inline without the @fromContext argument"
    ),
}
"""Cases where Hive's plan has fewer requests because it leaves out something required."""

CASES = [
    (loaded, operation)
    for loaded in all_scenarios()
    for operation in loaded.scenario.operations
    if operation.plan
]


@cache
def hive_requests() -> dict[str, int | str]:
    payload = [
        {
            "id": f"{loaded.name}::{operation.name}",
            "supergraph": str(loaded.folder / "supergraph.graphql"),
            "query": operation.query,
            "operationName": operation.operation_name,
            "labels": sorted(
                {**loaded.scenario.config, **operation.config}.get("override_labels", ())
            ),
        }
        for loaded, operation in CASES
    ]
    out = subprocess.run(
        ["node", "plan_counts.mjs"],
        cwd=BENCH,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        item["id"]: item.get("requests", f"error: {item.get('error')}") for item in json.loads(out)
    }


@pytest.mark.parametrize(
    ("loaded", "operation"),
    [pytest.param(lo, op, id=f"{lo.name}::{op.name}") for lo, op in CASES],
)
def test_no_more_requests_than_hive(loaded: LoadedScenario, operation: Operation) -> None:
    case = f"{loaded.name}::{operation.name}"
    hive = hive_requests()[case]
    if not isinstance(hive, int):
        # Hive's planner alone does not answer introspection (its router does, as ours does).
        assert "__schema" in operation.query or "__type" in operation.query, f"{case}: {hive}"
        return
    config = EngineConfig(**{**loaded.scenario.config, **operation.config})
    engine = Engine(read_supergraph(loaded.supergraph_sdl), config)
    ours = engine.plan(operation.query, operation.operation_name, operation.variables).fetch_count
    if case in HIVE_UNDERCOUNTS:
        assert ours > hive, f"{case} no longer differs from Hive: drop it from HIVE_UNDERCOUNTS"
        return
    assert ours <= hive, f"{case}: ours plans {ours} subgraph requests, Hive {hive}"
