"""Static cost estimates by Apollo's rules, on a supergraph our composer built from subgraphs
with ``@cost``/``@listSize`` (so the composer, the reader and the estimator are tested
together). Every expected cost is worked out by hand in the test's comment."""

from __future__ import annotations

from typing import Any

import pytest

from router.demand_control import CostError, CostEstimator, CostSchema
from router.operation.normalize import coerce_variables, prepare
from router.operation.normalize.parse import parse_operation_text
from tests.support.demand_control_shop import shop_supergraph

SUPERGRAPH = shop_supergraph()
ESTIMATOR = CostEstimator(CostSchema(SUPERGRAPH), list_size=10)


def estimate(query: str, variables: dict[str, Any] | None = None) -> tuple[float, bool]:
    operation = prepare(SUPERGRAPH.api_schema, parse_operation_text(query), None)
    coerced = coerce_variables(SUPERGRAPH.api_schema, operation.variable_definitions, variables)
    found = ESTIMATOR.estimate(operation, coerced)
    return found.cost, found.uses_variables


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        # Book's type @cost 4; scalar id 0; the ID argument costs nothing.
        ('{ book(id: "1") { id } }', 4),
        # 4 + title's field @cost 3 + Blob's scalar @cost 30 + Tier's enum @cost 2.
        ('{ book(id: "1") { title blob tier } }', 39),
        # A list without @listSize: the configured list_size (10) x 4.
        ("{ plain { id } }", 40),
        # Slicing argument omitted: its default (first = 5) sizes the list: 5 x 4.
        ("{ books { id } }", 20),
        ("{ books(first: 100000) { id } }", 400_000),
        # The largest slicing argument wins: 7 x 4.
        ("{ range(first: 2, last: 7) { id } }", 7 * 4),
        # The Filter object argument (1) and its max field (@cost 1): 2 x 4 + 2.
        ("{ books(first: 2, filter: {max: 7}) { id } }", 2 * 4 + 1 + 1),
        # sizedFields: the connection object (1) + edges sized by first: 3 x (edge 1 + book 4).
        ("{ page(first: 3) { edges { node { id } } total } }", 1 + 3 * (1 + 4)),
        # assumedSize 20 x 4, plus the text argument's @cost 5.
        ('{ search(text: "x") { id } }', 20 * 4 + 5),
        # Lists of objects and of scalars without @listSize: 10 x 1 and 10 x 0.
        ('{ book(id: "1") { authors { name } tags } }', 4 + 10 * 1 + 10 * 0),
        # Fragments add their selections.
        ('{ book(id: "1") { ...F } } fragment F on Book { title }', 7),
        # @requires: the required field's cost (weight @cost 6) counts with the field.
        ('{ book(id: "1") { shipping } }', 4 + 6),
        # __typename costs nothing.
        ('{ book(id: "1") { __typename } }', 4),
    ],
)
def test_query_costs(query: str, cost: float) -> None:
    assert estimate(query) == (cost, False)


def test_a_mutation_starts_at_ten() -> None:
    assert estimate('mutation { rate(id: "1", stars: 5) { id } }') == (10 + 4, False)


def test_variables_size_lists_and_mark_the_estimate_variable() -> None:
    query = "query($n: Int, $f: Filter) { books(first: $n, filter: $f) { id } }"
    assert estimate(query, {"n": 3}) == (12, True)
    # A variable input object costs like a literal one: 1 + max's @cost 1.
    assert estimate(query, {"n": 3, "f": {"max": 9, "tags": ["a"]}}) == (3 * 4 + 2, True)


def test_a_variable_that_cannot_change_the_cost_keeps_the_estimate_cacheable() -> None:
    """An ID variable (a scalar argument without @cost) costs 0 whatever its value."""
    assert estimate("query($id: ID!) { book(id: $id) { id } }", {"id": "7"}) == (4, False)
    # A weighted scalar argument does depend on its value (null costs 0).
    assert estimate("query($t: String) { search(text: $t) { id } }", {"t": "x"}) == (85, True)
    assert estimate("query($t: String) { search(text: $t) { id } }", {"t": None}) == (80, True)


def test_skipped_fields_cost_nothing() -> None:
    query = 'query($s: Boolean!) { book(id: "1") { title @skip(if: $s) } }'
    assert estimate(query, {"s": True}) == (4, True)
    assert estimate(query, {"s": False}) == (7, True)


@pytest.mark.parametrize(
    ("query", "found"),
    [("{ page { total } }", 0), ("{ page(first: 1, last: 2) { total } }", 2)],
)
def test_require_one_slicing_argument(query: str, found: int) -> None:
    with pytest.raises(
        CostError, match=f"Exactly one slicing argument is required, but found {found}"
    ):
        estimate(query)
    assert CostError.code == "COST_QUERY_PARSE_FAILURE"


@pytest.mark.parametrize(
    "query",
    [
        '{ book(id: "1") { id ... @defer { title } } }',
        '{ book(id: "1") { id ... @defer(label: "later", if: false) { title } } }',
        'query($d: Boolean!) { book(id: "1") { id ...F @defer(if: $d) } } '
        "fragment F on Book { title }",
    ],
)
def test_deferred_fragments_count_like_any_fragment(query: str) -> None:
    """As Apollo counts them: a deferred fragment's fields are paid for up front (4 + title's
    @cost 3), whether it ends up deferred or inlined; `@defer(if:)` never changes the cost."""
    cost, _ = estimate(query, {"d": True} if "$d" in query else None)
    assert cost == 7
