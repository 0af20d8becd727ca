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
from graphql import (
    REMOVE,
    DirectiveNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

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
    "70_requires_interface_object_own_root::requires_from_own_root": (
        "Hive selects Account.reminder inline in billing's debtors fetch, without the "
        "@requires(name) only accounts resolves; the scenario's subgraph fails on that"
    ),
    "70_requires_interface_object_own_root::requires_inside_interface_fragment": (
        "Hive selects Account.reminder inline in billing's debtors fetch, without the "
        "@requires(name) only accounts resolves; the scenario's subgraph fails on that"
    ),
}
"""Cases where Hive's plan has fewer requests because it leaves out something required."""

_CONFLICT_PANIC = (
    'Hive\'s planner panics ("Unexpected conflict", ast/safe_merge.rs) when note(style: SHORT) '
    "and note(style: LONG) meet on one @interfaceObject type, and the panic aborts the process"
)
HIVE_ABORTS = {
    "73_conflicting_arguments_across_fragments::arguments_differ_by_type": _CONFLICT_PANIC,
    "73_conflicting_arguments_across_fragments::arguments_differ_by_type_with_variables": (
        _CONFLICT_PANIC
    ),
}
"""Cases Hive's planner cannot plan at all: each runs alone, and must still abort."""

CASES = [
    (loaded, operation)
    for loaded in all_scenarios()
    for operation in loaded.scenario.operations
    if operation.plan
]


def _payload(loaded: LoadedScenario, operation: Operation) -> dict[str, object]:
    return {
        "id": f"{loaded.name}::{operation.name}",
        "supergraph": str(loaded.folder / "supergraph.graphql"),
        "query": operation.query,
        "operationName": operation.operation_name,
        "labels": sorted({**loaded.scenario.config, **operation.config}.get("override_labels", ())),
    }


def _run_hive(payload: list[dict[str, object]], check: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", "plan_counts.mjs"],
        cwd=BENCH,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=check,
    )


@cache
def hive_requests() -> dict[str, int | str]:
    payload = [
        _payload(loaded, operation)
        for loaded, operation in CASES
        if f"{loaded.name}::{operation.name}" not in HIVE_ABORTS
    ]
    out = _run_hive(payload, check=True).stdout
    return {
        item["id"]: item.get("requests", f"error: {item.get('error')}") for item in json.loads(out)
    }


class _StripDefer(Visitor):
    def enter_directive(self, node: DirectiveNode, *_args: object) -> object:
        return REMOVE if node.name.value == "defer" else None


class _UsedVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable_definition(self, *_args: object) -> object:
        return self.SKIP

    def enter_variable(self, node: VariableNode, *_args: object) -> None:
        self.names.add(node.name.value)


class _DropUnusedVariables(Visitor):
    def __init__(self, used: set[str]) -> None:
        super().__init__()
        self.used = used

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: object) -> object:
        return None if node.variable.name.value in self.used else REMOVE


def _without_defer(query: str) -> str:
    """Hive's planner plans `@defer` fragments inline (one plan, no Defer node): the fair
    comparison for a deferred operation is our plan of the same operation undeferred (and
    without the variables only ``@defer(if:)`` used); the deferred fetches are what incremental
    delivery costs (`69_defer` counts them live)."""
    document = visit(parse(query), _StripDefer())
    used = _UsedVariables()
    visit(document, used)
    return print_ast(visit(document, _DropUnusedVariables(used.names)))


@pytest.mark.parametrize(
    ("loaded", "operation"),
    [pytest.param(lo, op, id=f"{lo.name}::{op.name}") for lo, op in CASES],
)
def test_no_more_requests_than_hive(loaded: LoadedScenario, operation: Operation) -> None:
    case = f"{loaded.name}::{operation.name}"
    if case in HIVE_ABORTS:
        alone = _run_hive([_payload(loaded, operation)], check=False)
        assert alone.returncode != 0, f"{case}: Hive plans it now: drop it from HIVE_ABORTS"
        return
    hive = hive_requests()[case]
    if not isinstance(hive, int):
        # Hive's planner alone does not answer introspection (its router does, as ours does).
        assert "__schema" in operation.query or "__type" in operation.query, f"{case}: {hive}"
        return
    config = EngineConfig(**{**loaded.scenario.config, **operation.config})
    engine = Engine(read_supergraph(loaded.supergraph_sdl), config)
    query = _without_defer(operation.query) if "@defer" in operation.query else operation.query
    ours = engine.plan(query, operation.operation_name, operation.variables).fetch_count
    if case in HIVE_UNDERCOUNTS:
        assert ours > hive, f"{case} no longer differs from Hive: drop it from HIVE_UNDERCOUNTS"
        return
    assert ours <= hive, f"{case}: ours plans {ours} subgraph requests, Hive {hive}"
