"""Removed fields come back as ``null`` through the engine's real normalizer and projection.

Apollo: "The response retains the initial request's shape but returns null for unauthorized
fields and applies the standard GraphQL null propagation rules." The merged data below is what
the executor would hold after running the plan of the *filtered* operation.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from router.execution.projection import Projector, compile_selection
from router.operation.normalize import coerce_variables, prepare
from router.security.authorization import Authorizer
from router.security.nulls import add_null_fields
from router.security.rules import Access
from router.supergraph import Supergraph, read_supergraph
from tests.support.router_security import shop_supergraph_sdl


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return read_supergraph(shop_supergraph_sdl())


def project(
    supergraph: Supergraph,
    query: str,
    merged: dict[str, Any],
    access: Access = Access(),
    variables: dict[str, Any] | None = None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """As the engine would: filter, normalize the filtered document, add nulls, project."""
    schema = supergraph.api_schema
    result = Authorizer(supergraph).filter(parse(query), None, access)
    assert result.document is not None
    operation = prepare(schema, result.document, None)
    coerced = coerce_variables(schema, operation.variable_definitions, variables)
    selection = operation.expand(schema, coerced)
    # conditions are decided on the client's variables: the filtered operation may have lost
    # the definitions of variables only removed fields used
    nulls = result.nulls(variables)
    projection = compile_selection(schema, add_null_fields(selection, nulls, schema))
    projector = Projector([])
    data = projector.project_root(merged, projection)
    unexplained = [e for e in projector.errors if not result.explains(e["path"])]
    return data, result.errors(variables) + unexplained


def test_removed_fields_are_null_in_the_response(supergraph: Supergraph) -> None:
    data, errors = project(
        supergraph, '{ me { username } post(id: "1") { title views } }', {"post": {"title": "T"}}
    )
    assert data == {"post": {"title": "T", "views": None}, "me": None}
    assert [e["path"] for e in errors] == [["me"], ["post", "views"]]


def test_removed_non_null_field_nulls_its_parent_without_a_second_error(
    supergraph: Supergraph,
) -> None:
    data, errors = project(
        supergraph,
        '{ post(id: "1") { title secretViews } publicNumber }',
        {"post": {"title": "T"}, "publicNumber": 3},
    )
    assert data == {"post": None, "publicNumber": 3}
    assert [e["path"] for e in errors] == [["post", "secretViews"]]


def test_nulls_inside_lists_and_per_runtime_type(supergraph: Supergraph) -> None:
    merged = {
        "notes": [
            {"__typename": "Memo", "id": "1"},
            {"__typename": "Sticky", "id": "2"},
        ]
    }
    data, errors = project(supergraph, "{ notes { id text } }", merged)
    assert data == {"notes": [{"id": "1", "text": None}, {"id": "2", "text": None}]}
    assert [e["path"] for e in errors] == [["notes", "text"]]


def test_removed_fragment_leaves_other_items_intact(supergraph: Supergraph) -> None:
    merged = {
        "feed": [
            {"__typename": "PublicBlog", "title": "open"},
            {"__typename": "PrivateBlog"},
        ]
    }
    data, errors = project(
        supergraph,
        "{ feed { __typename ... on PublicBlog { title } ... on PrivateBlog { title } } }",
        merged,
    )
    assert data == {
        "feed": [{"__typename": "PublicBlog", "title": "open"}, {"__typename": "PrivateBlog"}]
    }
    assert [e["path"] for e in errors] == [["feed"]]


def test_skipped_removed_field_stays_absent(supergraph: Supergraph) -> None:
    query = "query($m: Boolean!) { me @include(if: $m) { id } publicNumber }"
    data, errors = project(supergraph, query, {"publicNumber": 1}, variables={"m": False})
    assert data == {"publicNumber": 1}
    assert errors == []
    data, errors = project(supergraph, query, {"publicNumber": 1}, variables={"m": True})
    assert data == {"publicNumber": 1, "me": None}
    assert [e["path"] for e in errors] == [["me"]]
