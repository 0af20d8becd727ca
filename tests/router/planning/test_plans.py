"""Query plans for every federation case, as text snapshots plus the property each case needs.

Supergraphs are the scenario suite's (composed by `@theguild/federation-composition`); the
snapshots live in ``snapshots/`` beside this file (``POLYSHOP_UPDATE_SNAPSHOTS=1`` rewrites
them). Each test also asserts what makes the plan right, so a snapshot is never the only check.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import FieldNode, InlineFragmentNode, OperationDefinitionNode, parse, visit
from graphql.language import Visitor
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from router.engine import Engine, EngineConfig
from router.planning import (
    FetchNode,
    FlattenNode,
    ParallelNode,
    QueryPlan,
    ResponseAlias,
    SequenceNode,
    fetch_nodes,
    plan_to_text,
    response_aliases,
)
from router.supergraph import Supergraph, read_supergraph

SCENARIOS = Path(__file__).parents[1] / "scenarios"
SNAPSHOTS = Path(__file__).parent / "snapshots"


class _Settings(BaseSettings):
    """``POLYSHOP_UPDATE_SNAPSHOTS=1`` rewrites snapshots; under ``CI=true`` a missing one
    fails instead of being written."""

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_")
    update_snapshots: bool = False
    ci: bool = Field(default=False, validation_alias="CI")


@cache
def scenario_supergraph(name: str) -> Supergraph:
    return read_supergraph((SCENARIOS / name / "supergraph.graphql").read_text())


def plan(
    scenario: str,
    query: str,
    variables: Mapping[str, Any] | None = None,
    labels: frozenset[str] = frozenset(),
) -> QueryPlan:
    engine = Engine(scenario_supergraph(scenario), EngineConfig(override_labels=labels))
    return engine.plan(query, None, variables)


def snapshot(name: str, query_plan: QueryPlan) -> None:
    text = plan_to_text(query_plan).rstrip() + "\n"
    path = SNAPSHOTS / f"{name}.txt"
    settings = _Settings()
    if not path.exists() and settings.ci and not settings.update_snapshots:
        pytest.fail(f"plan snapshot {path} is missing (CI=true): commit it\n{text}")
    if settings.update_snapshots or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
        return
    assert text == path.read_text(), f"plan differs from {path}\n{text}"


def services(query_plan: QueryPlan) -> list[str]:
    return [f.service for f in fetch_nodes(query_plan)]


def fragments_in(operation: str) -> list[str]:
    found: list[str] = []

    class Collect(Visitor):
        def enter_inline_fragment(self, node: InlineFragmentNode, *_args: object) -> None:
            if node.type_condition is not None:
                found.append(node.type_condition.name.value)

    visit(parse(operation), Collect())
    return found


def top_fields(operation: str) -> list[str]:
    definition = parse(operation).definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    return [s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)]


# -- keys ------------------------------------------------------------------------------


def test_simple_key_jump() -> None:
    query_plan = plan("01_key_simple", "{ topProducts { name reviews { body } } }")
    snapshot("key_simple", query_plan)
    assert isinstance(query_plan.node, SequenceNode)
    root, flatten = query_plan.node.nodes
    assert isinstance(root, FetchNode)
    assert root.service == "products"
    assert isinstance(flatten, FlattenNode)
    assert flatten.path == ("topProducts", "@")
    (fragment,) = flatten.node.requires
    assert fragment.type_condition == "Product"
    assert [f.name for f in fragment.fields] == ["id"]
    assert "__typename" in root.operation
    assert " id " in root.operation


def test_key_conversion_through_a_third_subgraph() -> None:
    query_plan = plan("03_key_multiple_keys", '{ search(term: "a") { legacyCode } }')
    snapshot("key_conversion", query_plan)
    assert services(query_plan) == ["search", "products", "legacy"]
    legacy = fetch_nodes(query_plan)[2]
    assert [f.name for f in legacy.requires[0].fields] == ["sku"]
    assert isinstance(query_plan.node, SequenceNode)


def test_composite_and_nested_keys() -> None:
    composite = plan("04_key_composite", "{ listings { title price { currency amount } } }")
    snapshot("key_composite", composite)
    nested = plan("05_key_nested", "{ users { name balance } }")
    snapshot("key_nested", nested)
    entity_fetch = fetch_nodes(nested)[-1]
    nested_fields = [f for f in entity_fetch.requires[0].fields if f.selection is not None]
    assert nested_fields, "the nested key is sent with its sub-selection"


def test_resolvable_false_key_is_never_an_entry_point() -> None:
    only_key = plan("06_key_resolvable_false", "{ latestReviews { body product { id } } }")
    assert len(fetch_nodes(only_key)) == 1
    with_name = plan("06_key_resolvable_false", "{ latestReviews { body product { id name } } }")
    snapshot("key_resolvable_false", with_name)
    assert len(fetch_nodes(with_name)) == 2


# -- requires / provides ---------------------------------------------------------------------


def test_requires_nested_selection() -> None:
    query_plan = plan("08_requires_nested", "{ products { name footprint } }")
    snapshot("requires_nested", query_plan)
    entity_fetch = fetch_nodes(query_plan)[-1]
    names = [f.name for f in entity_fetch.requires[0].fields]
    assert len(names) >= 2
    assert any(f.selection for f in entity_fetch.requires[0].fields)


def test_requires_from_a_third_subgraph_runs_first() -> None:
    query_plan = plan("09_requires_third_subgraph", "{ products { name shippingCost } }")
    snapshot("requires_third_subgraph", query_plan)
    assert services(query_plan) == ["products", "inventory", "shipping"]
    shipping = fetch_nodes(query_plan)[-1]
    assert sorted(f.name for f in shipping.requires[0].fields) == ["id", "price", "weight"]
    assert isinstance(query_plan.node, SequenceNode)
    assert len(query_plan.node.nodes) == 3  # inventory must finish before shipping starts


def test_provides_holds_only_below_the_providing_field() -> None:
    provided = plan("10_provides", "{ reviews { body product { id name } } }")
    snapshot("provides", provided)
    assert len(fetch_nodes(provided)) == 1
    outside = plan(
        "11_provides_outside_path", "{ reviews { product { name } alsoBought { id name } } }"
    )
    snapshot("provides_outside_path", outside)
    assert len(fetch_nodes(outside)) == 2
    (flatten_path,) = [n.path for n in _flattens(outside.node)]
    assert "alsoBought" in flatten_path


def _flattens(node: object) -> list[FlattenNode]:
    if isinstance(node, FlattenNode):
        return [node]
    if isinstance(node, SequenceNode | ParallelNode):
        return [f for child in node.nodes for f in _flattens(child)]
    return []


# -- shareable / override ---------------------------------------------------------------------


def test_shareable_field_is_taken_where_no_jump_is_needed() -> None:
    query_plan = plan("12_shareable_no_jump", "{ topReviewed { name reviewCount } }")
    snapshot("shareable_no_jump", query_plan)
    assert len(fetch_nodes(query_plan)) == 1


def test_shareable_root_field_goes_where_its_selection_resolves() -> None:
    sg = scenario_supergraph("13_shareable_root_field")
    for query in ("{ me { name avatar } }", "{ me { id email } }"):
        query_plan = plan("13_shareable_root_field", query)
        assert len(fetch_nodes(query_plan)) == 1, plan_to_text(query_plan)
    assert len(sg.subgraphs) >= 2


def test_override_moves_the_field() -> None:
    query_plan = plan("14_override", "{ products { name price } }")
    snapshot("override", query_plan)
    sg = scenario_supergraph("14_override")
    owners = sg.field("Product", "price").resolving_graphs()
    assert [f.service for f in fetch_nodes(query_plan)][-1] == sg.subgraphs[owners[0]].name


def test_progressive_override_follows_the_active_labels() -> None:
    label = "percent(50)"
    sg = scenario_supergraph("15_override_progressive_percent")
    labels = {
        in_graph.override_label
        for type_def in sg.types.values()
        for field_def in type_def.fields.values()
        for in_graph in field_def.graphs.values()
        if in_graph.override_label
    }
    label = sorted(labels)[0]
    off = plan("15_override_progressive_percent", "{ products { name price } }")
    on = plan(
        "15_override_progressive_percent", "{ products { name price } }", labels=frozenset({label})
    )
    snapshot("override_progressive_off", off)
    snapshot("override_progressive_on", on)
    assert services(off) != services(on)


def test_plan_cache_keys_on_override_labels() -> None:
    sg = scenario_supergraph("16_override_custom_label")
    labels = sorted(
        {
            in_graph.override_label
            for type_def in sg.types.values()
            for field_def in type_def.fields.values()
            for in_graph in field_def.graphs.values()
            if in_graph.override_label
        }
    )
    query = "{ products { name price } }"
    off = Engine(sg).plan(query)
    on = Engine(sg, EngineConfig(override_labels=frozenset(labels))).plan(query)
    assert plan_to_text(off) != plan_to_text(on)


# -- abstract types ---------------------------------------------------------------------------


def _subgraph_types(sg: Supergraph, service: str) -> set[str]:
    graph = next(g for g, s in sg.subgraphs.items() if s.name == service)
    return {name for name, t in sg.types.items() if graph in t.graphs}


@pytest.mark.parametrize(
    ("scenario", "query"),
    [
        ("20_interface_split_members", "{ items { id ... on Book { author } } }"),
        (
            "21_union_split_members",
            '{ search(term: "x") { __typename ... on User { id username } } }',
        ),
        (
            "24_fragments_abstract",
            "{ featured { __typename ... on Item { id } } items { __typename } }",
        ),
        ("22_entity_interface_object", "{ topRated { id __typename } }"),
    ],
)
def test_fragments_only_on_types_the_subgraph_knows(scenario: str, query: str) -> None:
    sg = scenario_supergraph(scenario)
    query_plan = plan(scenario, query)
    snapshot(f"abstract_{scenario}", query_plan)
    for fetch in fetch_nodes(query_plan):
        known = _subgraph_types(sg, fetch.service)
        for condition in fragments_in(fetch.operation):
            assert condition in known, (fetch.service, condition, fetch.operation)


def test_interface_object_representations_use_the_interface_name() -> None:
    query_plan = plan(
        "22_entity_interface_object", "{ library { ... on Book { title } averageScore } }"
    )
    snapshot("interface_object", query_plan)
    entity_fetches = [f for f in fetch_nodes(query_plan) if f.requires]
    rewritten = [fr for f in entity_fetches for fr in f.requires if fr.typename is not None]
    assert rewritten, plan_to_text(query_plan)
    assert all(fr.typename == fr.type_condition for fr in rewritten)


def test_interface_object_typename_comes_from_the_owning_subgraph() -> None:
    query_plan = plan("22_entity_interface_object", "{ topRated { id __typename } }")
    fetches = fetch_nodes(query_plan)
    assert len(fetches) == 2  # reviews only knows the interface: media gives the type
    assert "__typename" in fetches[1].operation


# -- aliases and conflicts --------------------------------------------------------------------


def test_same_field_with_different_arguments_under_aliases() -> None:
    query_plan = plan(
        "25_aliases",
        "{ one: topProducts(first: 1) { id } two: topProducts(first: 2) { ident: id } }",
    )
    snapshot("aliases_arguments", query_plan)
    (root,) = fetch_nodes(query_plan)
    assert top_fields(root.operation) == ["topProducts", "topProducts"]
    assert "one: topProducts(first: 1)" in root.operation
    assert "two: topProducts(first: 2)" in root.operation


def test_key_field_gets_an_internal_alias_when_the_client_reuses_its_name() -> None:
    sg = scenario_supergraph("01_key_simple")
    query_plan = Engine(sg).plan("{ topProducts { id: name reviews { body } } }")
    snapshot("alias_conflicts_with_key", query_plan)
    root, entities = fetch_nodes(query_plan)
    assert "id: name" in root.operation
    assert "__internal_id: id" in root.operation
    (key,) = entities.requires[0].fields
    assert (key.name, key.data_key) == ("id", "__internal_id")


def test_conflicting_nullability_across_fragments_gets_internal_alias() -> None:
    query_plan = plan(
        "26_shareable_nullability_conflict",
        "{ items { id ... on Book { size } ... on Movie { size } } }",
    )
    snapshot("nullability_conflict", query_plan)
    (root,) = fetch_nodes(query_plan)
    assert "size__alias_1: size" in root.operation
    # The plan says where the client's field is in the answer (no side table).
    assert root.aliases == (ResponseAlias(("items", "@"), "Movie", "size", "size__alias_1"),)
    assert response_aliases(query_plan) == root.aliases


# -- conditions, variables, typename, mutations -----------------------------------------------


def test_skip_include_are_applied_at_planning_and_variables_forwarded_exactly() -> None:
    query = """
      query($first: Int, $withReviews: Boolean!) {
        topProducts(first: $first) { name reviews @include(if: $withReviews) { body } }
      }
    """
    with_reviews = plan("01_key_simple", query, {"withReviews": True, "first": 2})
    without = plan("01_key_simple", query, {"withReviews": False})
    snapshot("include_true", with_reviews)
    snapshot("include_false", without)
    assert services(with_reviews) == ["products", "reviews"]
    assert services(without) == ["products"]
    root = fetch_nodes(with_reviews)[0]
    assert root.variable_usages == ("first",)
    assert "($first: Int)" in root.operation
    assert fetch_nodes(with_reviews)[1].variable_usages == ()


def test_typename_at_the_root_needs_no_fetch() -> None:
    query_plan = plan("01_key_simple", "{ __typename }")
    assert query_plan.node is None
    assert plan_to_text(query_plan) == "QueryPlan {\n}"


def test_mutation_root_fields_run_in_order() -> None:
    interleaved = plan(
        "32_mutations_order",
        """mutation {
          a: addToCart(sku: "A") { sku }
          c: reserve(sku: "A", qty: 1) { id }
          b: addToCart(sku: "B") { sku }
        }""",
    )
    snapshot("mutation_order", interleaved)
    assert isinstance(interleaved.node, SequenceNode)
    assert not any(isinstance(n, ParallelNode) for n in _all_nodes(interleaved.node))
    assert services(interleaved) == ["carts", "inventory", "carts"]
    assert [top_fields(f.operation) for f in fetch_nodes(interleaved)] == [
        ["addToCart"],
        ["reserve"],
        ["addToCart"],
    ]
    grouped = plan(
        "32_mutations_order",
        'mutation { a: addToCart(sku: "A") { sku } b: addToCart(sku: "B") { sku } '
        'c: reserve(sku: "A", qty: 1) { id } }',
    )
    # Consecutive fields of one subgraph share a fetch (the subgraph runs them in order).
    assert services(grouped) == ["carts", "inventory"]
    assert all(f.operation_kind == "mutation" for f in fetch_nodes(grouped))


def _all_nodes(node: object) -> list[object]:
    if isinstance(node, SequenceNode | ParallelNode):
        return [node, *(n for child in node.nodes for n in _all_nodes(child))]
    if isinstance(node, FlattenNode):
        return [node, node.node]
    return [node]


# -- hand-written supergraphs -----------------------------------------------------------------

VALUE_TYPE = """
type Query @join__type(graph: A) @join__type(graph: B) {
  products: [Product] @join__field(graph: A)
}

type Product @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
  id: ID!
  name: String @join__field(graph: A)
  dims: Dims
}

type Dims @join__type(graph: A) @join__type(graph: B) {
  w: Int
  h: Int @join__field(graph: B)
}
"""


def test_value_type_field_goes_where_its_whole_selection_resolves() -> None:
    from tests.support.planning_supergraphs import supergraph

    sg = supergraph(["a", "b"], VALUE_TYPE)
    only_shared = Engine(sg).plan("{ products { name dims { w } } }")
    assert services(only_shared) == ["a"]
    needs_b = Engine(sg).plan("{ products { name dims { w h } } }")
    snapshot("value_type_split", needs_b)
    root, entities = fetch_nodes(needs_b)
    assert (root.service, entities.service) == ("a", "b")
    assert "dims" not in root.operation
    assert "dims { w h }" in entities.operation
