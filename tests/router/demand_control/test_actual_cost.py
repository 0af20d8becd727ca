"""Actual cost from response data (Apollo's rules), on the composed shop supergraph: objects
1 or their ``@cost``, leaves (and nulls) their ``@cost``, lists by their real length,
arguments once per occurrence; abstract types by ``__typename``."""

from __future__ import annotations

from typing import Any

import pytest

from router.demand_control import CostEstimator, CostSchema
from router.demand_control.actual import ActualCost
from router.operation.normalize import coerce_variables, prepare
from router.operation.normalize.parse import parse_operation_text
from tests.support.demand_control_shop import shop_supergraph

SUPERGRAPH = shop_supergraph()
ACTUAL = ActualCost(CostEstimator(CostSchema(SUPERGRAPH), list_size=10))


def actual(query: str, data: Any, variables: dict[str, Any] | None = None) -> float:
    schema = SUPERGRAPH.api_schema
    operation = prepare(schema, parse_operation_text(query), None)
    coerced = coerce_variables(schema, operation.variable_definitions, variables)
    return ACTUAL.cost(operation.expand(schema, coerced), data, coerced)


@pytest.mark.parametrize(
    ("query", "data", "cost"),
    [
        # Two books (4 each, Book's @cost) with a title (3 each); ids cost nothing.
        (
            "{ books { id title } }",
            {"books": [{"id": "1", "title": "a"}, {"id": "2", "title": "b"}]},
            14,
        ),
        # A null costs its @cost (the field's, else its type's, as Apollo counts), else 0.
        ('{ book(id: "1") { title } }', {"book": {"title": None}}, 7),
        ('{ book(id: "1") { title } }', {"book": None}, 4),
        ("{ page(first: 1) { total } }", {"page": None}, 0),
        # Lists count what came back: 3 authors (1 each), tags cost nothing.
        (
            '{ book(id: "1") { authors { name } tags } }',
            {"book": {"authors": [{}, {}, {}], "tags": ["x"]}},
            4 + 3,
        ),
        # Abstract types: each member's fields by its __typename (the Book's title 3); each
        # value weighs what the field declares (the Hit union: 1), as in Apollo Router.
        (
            "{ hits { __typename ... on Book { title } ... on Author { name } } }",
            {"hits": [{"__typename": "Book", "title": "t"}, {"__typename": "Author", "name": "n"}]},
            1 + 3 + 1,
        ),
        # Nested lists; each null item costs Book's @cost (4), as a null value does.
        (
            "{ grid { title } }",
            {"grid": [[{"title": "a"}, None], [{"title": "b"}], None]},
            7 + 4 + 7 + 4,
        ),
        # Weighted scalars and enums: Blob 30, Tier 2.
        ('{ book(id: "1") { blob tier } }', {"book": {"blob": "...", "tier": "LOW"}}, 4 + 30 + 2),
        # No data (a failed request): nothing.
        ("{ books { id } }", None, 0),
    ],
)
def test_actual_costs(query: str, data: Any, cost: float) -> None:
    assert actual(query, data) == cost


def test_argument_costs_count_once_per_occurrence() -> None:
    query = "query($f: Filter) { books(filter: $f) { id } }"
    data = {"books": [{"id": "1"}, {"id": "2"}]}
    # 2 books x 4, plus the Filter argument (1) and its max field (@cost 1).
    assert actual(query, data, {"f": {"max": 2}}) == 8 + 2
    assert actual(query, data, {"f": None}) == 8
    assert actual('{ search(text: "x") { id } }', {"search": [{"id": "1"}]}) == 4 + 5


def test_compiled_selections_are_reused() -> None:
    schema = SUPERGRAPH.api_schema
    operation = prepare(schema, parse_operation_text("{ books { title } }"), None)
    selection = operation.expand(schema, {})
    assert ACTUAL.compile(selection) is ACTUAL.compile(selection)
