"""Amplification shapes against the normalizer, work counted in selections visited.

Each shape is either answered or refused, and the `WorkBudget` that every pass pays from says
how many selections were visited: the bound is linear in the document, never the size of the
fragment tree written out (2^18 and more here). The same shapes through the running router,
with a bystander, are in ``tests/router/http/test_http_amplification.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, get_introspection_query, parse

from router.engine import Engine
from router.operation.errors import RequestError
from router.operation.normalize import OperationLimits, WorkBudget, measure, prepare
from router.operation.normalize.parse import parse_operation_text
from router.planning.nodes import FetchNode, FlattenNode, PlanNode
from router.supergraph import read_supergraph

SCHEMA = build_schema(
    """
    type Node { id: ID! name: String child: Node children: [Node!]! things: [Thing!]! }
    interface Thing { id: ID! things: [Thing!]! }
    """
    + "\n".join(f"type T{i} implements Thing {{ id: ID! things: [Thing!]! }}" for i in range(8))
    + """
    type Query { node: Node nodes: [Node!]! things: [Thing!]! }
    """
)
APOLLO = OperationLimits(max_depth=100, max_height=200, max_root_fields=20, max_aliases=30)


def fetches(node: PlanNode | None) -> list[FetchNode]:
    """Every fetch of a plan, in order."""
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    if isinstance(node, FlattenNode):
        return [node.node]
    children = [getattr(node, name, None) for name in ("if_clause", "else_clause")]
    found = [f for child in (*getattr(node, "nodes", ()), *children) for f in fetches(child)]
    return found


def chain(count: int, body: str) -> str:
    """``count`` fragments, each using the next one twice as ``body`` says (``{next}``)."""
    fragments = [
        f"fragment F{i} on Node {{ {body.format(next=f'...F{i + 1}')} }}" for i in range(count)
    ]
    fragments.append(f"fragment F{count} on Node {{ id name }}")
    return "{ node { ...F0 } } " + " ".join(fragments)


def run(query: str, limits: OperationLimits, budget_limit: int | None) -> tuple[int, int]:
    """(selections visited measuring, visited expanding); raises `RequestError` if refused."""
    operation = prepare(SCHEMA, parse(query), None)
    measured = WorkBudget(budget_limit)
    measure(operation.selections, measured, limits)
    expanded = WorkBudget(budget_limit)
    operation.expand(SCHEMA, {}, expanded)
    return measured.visited, expanded.visited


@pytest.mark.parametrize("count", [18, 40])
def test_fragment_fan_out_costs_linear_work(count: int) -> None:
    """The 750-byte query of the report (each fragment spreads the next twice): 2^count
    selections as a tree, answered after visiting a few per fragment."""
    query = chain(count, "{next} {next}")
    measured, expanded = run(query, APOLLO, 100_000)
    assert measured <= 2 * count + 10, measured
    assert expanded <= 2 * count + 10, expanded
    operation = prepare(SCHEMA, parse(query), None)
    (node,) = operation.expand(SCHEMA, {}).by_type["Query"]
    assert node.selection is not None
    assert [f.name for f in node.selection.by_type["Node"]] == ["id", "name"]


def test_fragment_fan_out_under_the_same_field_costs_linear_work() -> None:
    """Two occurrences of ``child`` merge, so the chain is one path deep, not a tree."""
    query = chain(30, "child {{ {next} }} child {{ {next} }}")
    measured, expanded = run(query, APOLLO, 100_000)
    assert measured <= 4 * 30 + 10, measured
    assert expanded <= 4 * 30 + 10, expanded


@pytest.mark.parametrize(
    ("limits", "code", "most"),
    [
        (APOLLO, "MAX_ALIASES_LIMIT", 2 * 31),
        (OperationLimits(max_height=200), "MAX_HEIGHT_LIMIT", 2 * 201),
    ],
)
def test_alias_fan_out_is_refused_after_little_work(
    limits: OperationLimits, code: str, most: int
) -> None:
    """Aliases make every level a real fork: 2^18 distinct paths. The alias limit (30)
    refuses it first; without it, the height limit after about 200 positions."""
    query = chain(18, "a: child {{ {next} }} b: child {{ {next} }}")
    budget = WorkBudget(100_000)
    operation = prepare(SCHEMA, parse(query), None)
    with pytest.raises(RequestError) as caught:
        measure(operation.selections, budget, limits)
    assert caught.value.errors[0]["extensions"]["code"] == code
    assert budget.visited <= most, budget.visited


def test_alias_fan_out_without_limits_stops_at_the_work_budget() -> None:
    """With every operation limit off, the budget alone bounds the walk."""
    query = chain(18, "a: child {{ {next} }} b: child {{ {next} }}")
    budget = WorkBudget(5_000)
    operation = prepare(SCHEMA, parse(query), None)
    with pytest.raises(RequestError) as caught:
        measure(operation.selections, budget, OperationLimits())
    assert caught.value.errors[0]["extensions"]["code"] == "MAX_SELECTIONS_LIMIT"
    assert budget.visited == 5_001


def test_abstract_expansion_per_runtime_type_stops_at_the_work_budget() -> None:
    """Eight implementations nested eight deep is 8^8 typed positions: measuring is cheap
    (one path per level), expanding per runtime type is what the budget stops."""
    inner = "id"
    for _ in range(8):
        inner = f"things {{ {inner} }}"
    query = "{ " + inner + " }"
    operation = prepare(SCHEMA, parse(query), None)
    measured = WorkBudget(20_000)
    measure(operation.selections, measured, APOLLO)
    assert measured.visited <= 20
    expanded = WorkBudget(20_000)
    with pytest.raises(RequestError) as caught:
        operation.expand(SCHEMA, {}, expanded)
    assert caught.value.errors[0]["extensions"]["code"] == "MAX_SELECTIONS_LIMIT"
    assert expanded.visited == 20_001


def test_nested_lists_past_the_depth_limit_are_refused() -> None:
    inner = "id"
    for _ in range(120):
        inner = f"children {{ {inner} }}"
    budget = WorkBudget(100_000)
    operation = prepare(SCHEMA, parse("{ nodes { " + inner + " } }"), None)
    with pytest.raises(RequestError) as caught:
        measure(operation.selections, budget, APOLLO)
    assert caught.value.errors[0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
    assert budget.visited <= 102


def test_many_root_fields_are_refused() -> None:
    query = "{ " + " ".join(f"n{i}: node {{ id }}" for i in range(25)) + " }"
    budget = WorkBudget(100_000)
    operation = prepare(SCHEMA, parse(query), None)
    with pytest.raises(RequestError) as caught:
        measure(operation.selections, budget, APOLLO)
    assert caught.value.errors[0]["extensions"]["code"] == "MAX_ROOT_FIELDS_LIMIT"
    assert budget.visited == 25


def test_token_and_nesting_limits_of_the_parser() -> None:
    many = "{ node { " + "id " * 16_000 + "} }"
    with pytest.raises(RequestError) as tokens:
        parse_operation_text(many)
    error = tokens.value.errors[0]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "15000 tokens" in error["message"]
    deep = "{ node " + "{ child " * 300 + "{ id }" + " }" * 301
    with pytest.raises(RequestError) as nesting:
        parse_operation_text(deep)
    assert nesting.value.errors[0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "nested too deeply" in nesting.value.errors[0]["message"]


def test_introspection_counts_no_height_and_cannot_nest_schema_lists() -> None:
    """GraphiQL's query passes the height limit; nested schema lists are refused by
    graphql-core's introspection-depth rule in validation."""
    standard = get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True
    )
    operation = prepare(SCHEMA, parse(standard), None)
    measures = measure(operation.selections, WorkBudget(100_000), APOLLO)
    assert measures.height == 0
    assert measures.depth < 100
    deep = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    with pytest.raises(RequestError) as caught:
        prepare(SCHEMA, parse(deep), None)
    error = caught.value.errors[0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"] == "Maximum introspection depth exceeded"


def test_the_reports_query_on_the_real_supergraph_plans_in_linear_work(repo_root: Path) -> None:
    """The report's shape on PolyShop's own supergraph (products with stock from inventory):
    planned, every selection it visits counted, a few per fragment."""
    supergraph = read_supergraph((repo_root / "schema/supergraph.graphql").read_text())
    engine = Engine(supergraph)
    count = 18
    fragments = " ".join(
        f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(count)
    )
    query = (
        '{ order(id: "1") { items { product { ...F0 } } } } '
        f"{fragments} fragment F{count} on Product {{ id name stock {{ available }} }}"
    )
    assert len(query.encode()) < 1_000
    plan = engine.plan(query)
    assert {fetch.service for fetch in fetches(plan.node)} >= {"orders", "inventory"}
    assert engine.work.total <= 6 * count, engine.work
