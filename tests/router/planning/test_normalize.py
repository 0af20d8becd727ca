"""Each normalization pass on its own: parse, validate, operation choice, variables, inlining,
conditions, merging and type expansion."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse

from router.operation.errors import RequestError
from router.operation.normalize import (
    Condition,
    RawField,
    RawFragment,
    coerce_variables,
    parse_operation_text,
    prepare,
    select_operation,
    validate_document,
)
from router.operation.normalize.inline import condition_variables, inline_selections
from router.operation.normalize.limits import OperationLimits, check_limits, measure

SCHEMA = build_schema(
    """
    interface Node { id: ID! }
    type Product implements Node { id: ID! name: String price(currency: Currency = EUR): Int }
    type User implements Node { id: ID! email: String }
    union Thing = Product | User
    enum Currency { EUR USD }
    input Filter { term: String! limit: Int = 10 }
    type Query {
      node(id: ID!): Node
      things: [Thing]
      top(filter: Filter): [Product]
    }
    type Mutation { rename(id: ID!, name: String!): Product }
    """
)


def test_parse_failure_is_graphql_parse_failed() -> None:
    with pytest.raises(RequestError) as caught:
        parse_operation_text("{ top { ")
    (error,) = caught.value.errors
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["locations"] == [{"line": 1, "column": 9}]
    assert caught.value.status == 400


def test_validation_failure_lists_every_problem() -> None:
    document = parse("{ top { nope } node(id: 1) { nah } }")
    with pytest.raises(RequestError) as caught:
        validate_document(SCHEMA, document)
    codes = {e["extensions"]["code"] for e in caught.value.errors}
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert len(caught.value.errors) == 2


def test_operation_selection_rules() -> None:
    document = parse("query A { things { __typename } } query B { top { id } }")
    assert select_operation(document, "B").name.value == "B"  # type: ignore[union-attr]
    with pytest.raises(RequestError) as unknown:
        select_operation(document, "C")
    assert unknown.value.errors[0]["extensions"]["code"] == "GRAPHQL_UNKNOWN_OPERATION_NAME"
    with pytest.raises(RequestError) as ambiguous:
        select_operation(document, None)
    assert ambiguous.value.errors[0]["message"] == (
        "Must provide operation name if query contains multiple operations."
    )


def test_variables_are_coerced_with_defaults() -> None:
    document = parse(
        "query($f: Filter, $c: Currency = USD) { top(filter: $f) { price(currency: $c) } }"
    )
    operation = prepare(SCHEMA, document, None)
    coerced = coerce_variables(SCHEMA, operation.variable_definitions, {"f": {"term": "x"}})
    assert coerced == {"f": {"term": "x", "limit": 10}, "c": "USD"}


@pytest.mark.parametrize(
    "values",
    [{}, {"id": None}, {"id": {"a": 1}}],
    ids=["missing", "null", "object"],
)
def test_bad_variables_are_validation_invalid_type_variable(values: dict[str, object]) -> None:
    document = parse("query($id: ID!) { node(id: $id) { id } }")
    operation = prepare(SCHEMA, document, None)
    with pytest.raises(RequestError) as caught:
        coerce_variables(SCHEMA, operation.variable_definitions, values)
    (error,) = caught.value.errors
    assert error["extensions"]["code"] == "VALIDATION_INVALID_TYPE_VARIABLE"
    assert error["extensions"]["name"] == "id"
    assert caught.value.status == 400


def test_fragments_are_inlined_and_conditions_kept() -> None:
    document = parse(
        """
        query($a: Boolean!, $b: Boolean!) {
          top { ...P @include(if: $a) name @skip(if: $b) id @skip(if: true) }
        }
        fragment P on Product { price }
        """
    )
    definition = select_operation(document, None)
    fragments = {d.name.value: d for d in document.definitions[1:]}  # type: ignore[union-attr]
    (top,) = inline_selections(definition.selection_set, fragments)  # type: ignore[arg-type]
    assert isinstance(top, RawField)
    spread, name = top.selections  # `id @skip(if: true)` is dropped outright
    assert isinstance(spread, RawFragment)
    assert spread.type_condition == "Product"
    assert spread.conditions == (Condition("a", True),)
    assert isinstance(name, RawField)
    assert name.conditions == (Condition("b", False),)
    assert condition_variables((top,)) == {"a", "b"}


def test_expansion_applies_conditions_and_merges_by_response_key() -> None:
    document = parse(
        """
        query($a: Boolean!) {
          top { name ... on Product { name price } price @include(if: $a) x: price(currency: USD) }
        }
        """
    )
    operation = prepare(SCHEMA, document, None)
    assert operation.condition_variables == ("a",)
    selection = operation.expand(SCHEMA, {"a": False})
    (top,) = selection.by_type["Query"]
    assert top.selection is not None
    fields = top.selection.by_type["Product"]
    assert [(f.response_key, f.name, f.arguments) for f in fields] == [
        ("name", "name", ""),
        ("price", "price", ""),
        ("x", "price", "(currency: USD)"),
    ]
    # `price @include(if: $a)` is left out; with `$a` true it merges with the fragment's.
    assert len(fields[1].nodes) == 1
    included = operation.expand(SCHEMA, {"a": True})
    (top,) = included.by_type["Query"]
    assert top.selection is not None
    assert len(top.selection.by_type["Product"][1].nodes) == 2


def test_abstract_selection_expands_per_runtime_type() -> None:
    document = parse(
        "{ node(id: 1) { id ... on User { email } } things { __typename ... on Product { name } } }"
    )
    selection = prepare(SCHEMA, document, None).expand(SCHEMA, {})
    node, things = selection.by_type["Query"]
    assert node.selection is not None
    assert things.selection is not None
    assert node.selection.abstract
    assert [f.name for f in node.selection.by_type["User"]] == ["id", "email"]
    assert [f.name for f in node.selection.by_type["Product"]] == ["id"]
    assert node.selection.common is None  # `... on User` narrows
    assert [f.name for f in things.selection.by_type["Product"]] == ["__typename", "name"]
    assert [f.name for f in things.selection.by_type["User"]] == ["__typename"]


def test_uniform_abstract_selection_has_common_fields() -> None:
    document = parse("{ node(id: 1) { id ... on Node { __typename } } }")
    selection = prepare(SCHEMA, document, None).expand(SCHEMA, {})
    (node,) = selection.by_type["Query"]
    assert node.selection is not None
    assert node.selection.common is not None
    assert [f.parent_type for f in node.selection.common] == ["Node", "Node"]


def test_argument_variables_are_tracked() -> None:
    document = parse("query($c: Currency) { top { price(currency: $c) } }")
    operation = prepare(SCHEMA, document, None)
    assert operation.printed_variables == {"c": "$c: Currency"}
    selection = operation.expand(SCHEMA, {})
    (top,) = selection.by_type["Query"]
    assert top.selection is not None
    (price,) = top.selection.by_type["Product"]
    assert price.variables == {"c"}


def test_limits_measure_depth_aliases_and_root_fields() -> None:
    document = parse("{ a: top { id n: name } things { __typename } }")
    operation = prepare(SCHEMA, document, None)
    measures = measure(operation.selections)
    assert (measures.depth, measures.aliases, measures.root_fields) == (2, 2, 2)
    check_limits(measures, OperationLimits(2, None, 2, 2))
    with pytest.raises(RequestError) as caught:
        check_limits(measures, OperationLimits(max_depth=1))
    assert caught.value.errors[0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
    with pytest.raises(RequestError) as aliases:
        check_limits(measures, OperationLimits(max_aliases=1))
    assert aliases.value.errors[0]["extensions"]["code"] == "MAX_ALIASES_LIMIT"
