"""Supergraphs written by a reference composer (Hive's federation-composition) read cleanly.

`data/shop.supergraph.graphql` is composed from `data/shop/*.graphql` by
`data/compose_shop.mjs`; the router scenario supergraphs come from the same composer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import FieldNode, GraphQLInterfaceType, GraphQLObjectType

from router.supergraph import Supergraph, TypeKind, print_api_schema, read_supergraph

HERE = Path(__file__).parent
SHOP = HERE / "data" / "shop.supergraph.graphql"
FIXTURES = [SHOP, *sorted((HERE.parent / "scenarios").glob("*/supergraph.graphql"))]


@pytest.fixture(scope="module")
def shop() -> Supergraph:
    return read_supergraph(SHOP.read_text(encoding="utf-8"))


def test_shop_entities_and_fields(shop: Supergraph) -> None:
    assert {s.name for s in shop.subgraphs.values()} == {
        "accounts",
        "inventory",
        "products",
        "reviews",
    }
    product = shop.type("Product")
    assert [k.fields for k in product.graphs["PRODUCTS"].keys] == ["id", "sku"]
    assert [k.fields for k in product.graphs["PRODUCTS"].resolvable_keys] == ["id"]
    assert shop.type("User").graphs["PRODUCTS"].resolvable_keys == ()
    estimate = shop.field("Product", "shippingEstimate").graphs["INVENTORY"]
    assert estimate.requires is not None
    assert [s.name.value for s in estimate.requires.selections if isinstance(s, FieldNode)] == [
        "price",
        "weight",
    ]
    assert shop.field("Product", "price").resolving_graphs() == ("PRODUCTS",)
    author = shop.field("Review", "author").graphs["REVIEWS"]
    assert author.provides is not None
    stock = shop.field("Product", "stock")
    assert (stock.graphs["INVENTORY"].override, stock.graphs["INVENTORY"].override_label) == (
        "products",
        "percent(20)",
    )
    assert stock.graphs["PRODUCTS"].override_label == "percent(20)"


def test_shop_abstract_types_and_interface_object(shop: Supergraph) -> None:
    assert shop.possible_types["Media"] == frozenset({"Book", "Movie"})
    assert shop.possible_types["SearchResult"] == frozenset({"Product", "Book", "Movie"})
    assert shop.type("Media").graphs["REVIEWS"].is_interface_object
    assert shop.field("Book", "reviews").graphs == {}
    assert shop.interface_objects("Movie") == (("Media", "REVIEWS"),)
    assert shop.type("Status").enum_values["DRAFT"] == frozenset({"PRODUCTS"})


def test_shop_security_and_api_schema(shop: Supergraph) -> None:
    assert shop.field("Query", "me").auth.authenticated
    assert shop.field("Query", "user").auth.scopes == (("users:read",),)
    assert shop.field("User", "email").auth.policies == (("self",), ("support",))
    printed = print_api_schema(shop)
    for gone in ("passwordHash", "DRAFT", "costAbove", "debugRanking", "@audit", "@tag"):
        assert gone not in printed
    assert "renameProduct(id: ID!, name: String!): Product" in printed
    assert '"""An instant, ISO 8601."""' in printed


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.parent.name)
def test_model_invariants(path: Path) -> None:
    sg = read_supergraph(path.read_text(encoding="utf-8"))
    assert "join__" not in print_api_schema(sg)
    assert "link__" not in print_api_schema(sg)
    for name, named in sg.api_schema.type_map.items():
        if name.startswith("__"):
            continue
        type_def = sg.type(name)
        assert not type_def.inaccessible
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            assert set(named.fields) <= set(type_def.fields)
    for type_def in sg.types.values():
        assert set(type_def.graphs) <= set(sg.subgraphs)
        for graph, in_graph in type_def.graphs.items():
            assert in_graph.graph == graph
            for key in in_graph.keys:
                for selection in key.selection.selections:
                    assert isinstance(selection, FieldNode)
                    assert selection.name.value in type_def.fields
        for field in type_def.fields.values():
            assert set(field.graphs) <= set(type_def.graphs)
            if type_def.kind is TypeKind.OBJECT and not field.graphs:
                assert sg.interface_objects(type_def.name), f"{type_def.name}.{field.name}"
