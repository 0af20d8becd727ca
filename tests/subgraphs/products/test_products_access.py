"""Catalogue writes need role admin or scope catalog:write; reads need only a valid token.

Every mutation is tried in turn by callers who may not write (refused with FORBIDDEN at the
mutation's path, nothing written) and then by an administrator with the same arguments (it
works, so the refusal was about the caller and not the input).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from graphql import ObjectTypeDefinitionNode, parse, print_ast
from strawberry.types.base import StrawberryObjectDefinition

from subgraphs.kit.auth import TokenSettings, install_token_auth
from subgraphs.products.access import CatalogWriteGuard
from subgraphs.products.app import create_app
from subgraphs.products.schema import schema, sdl
from subgraphs.products.settings import ProductsSettings
from tests.support.keys import TestKeys

TABLES = ("categories", "products", "product_images", "discount_methods", "product_discounts")
POLICY = '@policy(policies: [["admin"], ["catalog:write"]])'

Call = Callable[..., Any]


async def snapshot(sql: asyncpg.Connection) -> dict[str, list[asyncpg.Record]]:
    return {t: await sql.fetch(f"SELECT * FROM product.{t} ORDER BY 1") for t in TABLES}


@dataclass
class Step:
    """One mutation; ``variables`` reads the ids the earlier steps made."""

    name: str
    query: str
    variables: Callable[[dict[str, str]], dict[str, Any]] = field(default=lambda ids: {})
    saves: str | None = None
    """Key under which the id the mutation returns is kept for later steps."""


STEPS = [
    Step(
        "createCategory",
        'mutation { createCategory(input: {name: "Access"}) { id } }',
        saves="category",
    ),
    Step(
        "updateCategory",
        "mutation($id: ID!) { updateCategory(id: $id, expectedVersion: 1, "
        'input: {name: "Access 2"}) { id } }',
        lambda ids: {"id": ids["category"]},
    ),
    Step(
        "deleteCategory",
        "mutation($id: ID!) { deleteCategory(id: $id) { id } }",
        lambda ids: {"id": ids["category"]},
    ),
    Step(
        "restoreCategory",
        "mutation($id: ID!) { restoreCategory(id: $id) { id } }",
        lambda ids: {"id": ids["category"]},
    ),
    Step(
        "createProduct",
        'mutation($c: ID!) { createProduct(input: {name: "Lamp", price: "30.00", '
        "categoryId: $c}) { id } }",
        lambda ids: {"c": ids["category"]},
        saves="product",
    ),
    Step(
        "updateProduct",
        "mutation($id: ID!) { updateProduct(id: $id, expectedVersion: 1, "
        'input: {price: "35.00"}) { id } }',
        lambda ids: {"id": ids["product"]},
    ),
    Step(
        "addProductImage",
        "mutation($p: ID!) { addProductImage(input: {productId: $p, "
        'url: "https://img.example.com/lamp.png"}) { id } }',
        lambda ids: {"p": ids["product"]},
        saves="image",
    ),
    Step(
        "removeProductImage",
        "mutation($id: ID!) { removeProductImage(id: $id) { id } }",
        lambda ids: {"id": ids["image"]},
    ),
    Step(
        "createDiscountMethod",
        "mutation { createDiscountMethod(input: {kind: PERCENTAGE}) { id } }",
        saves="method",
    ),
    Step(
        "addProductDiscount",
        "mutation($p: ID!, $m: ID!) { addProductDiscount(input: {productId: $p, "
        'discountMethodId: $m, value: "10", startDate: "2026-01-01T00:00:00Z"}) { id } }',
        lambda ids: {"p": ids["product"], "m": ids["method"]},
        saves="discount",
    ),
    Step(
        "removeProductDiscount",
        "mutation($id: ID!) { removeProductDiscount(id: $id) { id } }",
        lambda ids: {"id": ids["discount"]},
    ),
    Step(
        "deleteDiscountMethod",
        "mutation($id: ID!) { deleteDiscountMethod(id: $id) { id } }",
        lambda ids: {"id": ids["method"]},
    ),
    Step(
        "restoreDiscountMethod",
        "mutation($id: ID!) { restoreDiscountMethod(id: $id) { id } }",
        lambda ids: {"id": ids["method"]},
    ),
    Step(
        "deleteProduct",
        "mutation($id: ID!) { deleteProduct(id: $id) { id } }",
        lambda ids: {"id": ids["product"]},
    ),
    Step(
        "restoreProduct",
        "mutation($id: ID!) { restoreProduct(id: $id) { id } }",
        lambda ids: {"id": ids["product"]},
    ),
]


MULTIPART_STEPS = ("uploadProductImage",)
"""Mutations that take files: tried with real multipart requests in test_products_images.py."""


def test_every_mutation_declares_the_policy_and_runs_the_guard() -> None:
    """The printed SDL (what the router enforces) and the live schema (what this subgraph
    enforces) agree: every mutation has the directive and the guard, and STEPS tries each."""
    (mutation,) = (
        d
        for d in parse(sdl()).definitions
        if isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Mutation"
    )
    fields = {
        f.name.value: [print_ast(d) for d in f.directives or ()] for f in mutation.fields or ()
    }
    expected = [*(step.name for step in STEPS), *MULTIPART_STEPS]
    assert fields == {name: [POLICY] for name in expected}
    mutation_type = schema.get_type_by_name("Mutation")
    assert isinstance(mutation_type, StrawberryObjectDefinition)
    for strawberry_field in mutation_type.fields:
        guards = [e for e in strawberry_field.extensions if isinstance(e, CatalogWriteGuard)]
        assert len(guards) == 1, strawberry_field.name


async def test_only_catalogue_writers_write(
    call: Call, keys: TestKeys, admin_token: str, sql: asyncpg.Connection
) -> None:
    refused = {
        "customer": (
            keys.user_token(roles=["customer"], scope="profile orders:read orders:write"),
            {},
        ),
        "service without catalog:write": (keys.service_token("orders", scope="products:read"), {}),
        "router forwarding a customer": (
            keys.service_token("router", scope="products:read"),
            {"X-PolyShop-User-Token": keys.user_token(roles=["customer"], scope="")},
        ),
    }
    ids: dict[str, str] = {}
    for step in STEPS:
        variables = step.variables(ids)
        before = await snapshot(sql)
        for who, (token, headers) in refused.items():
            response = await call(step.query, token=token, headers=headers, **variables)
            assert response.status_code == 200, (step.name, who, response.text)
            body = response.json()
            assert body["data"] is None, (step.name, who, body)
            (error,) = body["errors"]
            assert error["extensions"]["code"] == "FORBIDDEN", (step.name, who, error)
            assert error["extensions"]["requiredRoles"] == ["admin"]
            assert error["extensions"]["requiredScopes"] == ["catalog:write"]
            assert error["path"] == [step.name]
        assert await snapshot(sql) == before, f"{step.name}: a refused call wrote something"

        response = await call(step.query, token=admin_token, **variables)
        body = response.json()
        assert "errors" not in body, (step.name, body)
        if step.saves:
            ids[step.saves] = body["data"][step.name]["id"]


def writers(keys: TestKeys) -> dict[str, tuple[str, dict[str, str]]]:
    """Callers allowed besides an administrator's own token: (bearer token, extra headers)."""
    return {
        "service-with-catalog-write": (
            keys.service_token("sync", scope="products:read catalog:write"),
            {},
        ),
        "user-with-catalog-write": (keys.user_token(roles=["editor"], scope="catalog:write"), {}),
        "router-forwarding-admin": (
            keys.service_token("router", scope="products:read"),
            {"X-PolyShop-User-Token": keys.user_token(roles=["admin"], scope="")},
        ),
    }


@pytest.mark.parametrize(
    "who", ["service-with-catalog-write", "user-with-catalog-write", "router-forwarding-admin"]
)
async def test_catalog_write_scope_or_admin_behind_a_service_may_write(
    call: Call, keys: TestKeys, sql: asyncpg.Connection, who: str
) -> None:
    token, headers = writers(keys)[who]
    name = f"Written by {who}"
    response = await call(
        "mutation($n: String!) { createCategory(input: {name: $n}) { id name } }",
        token=token,
        headers=headers,
        n=name,
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["createCategory"]["name"] == name
    assert await sql.fetchval("SELECT count(*) FROM product.categories WHERE name = $1", name) == 1


async def test_reads_need_no_role_or_scope(call: Call, keys: TestKeys, gql: Any) -> None:
    created = await gql('mutation { createCategory(input: {name: "Readable"}) { id } }')
    category_id = created["data"]["createCategory"]["id"]
    query = "query($id: ID!) { category(id: $id) { name } }"
    for token in (keys.user_token(roles=["customer"], scope=""), keys.service_token("orders")):
        body = (await call(query, token=token, id=category_id)).json()
        assert body == {"data": {"category": {"name": "Readable"}}}


async def test_no_token_is_refused_before_graphql(call: Call, sql: asyncpg.Connection) -> None:
    before = await snapshot(sql)
    response = await call('mutation { createCategory(input: {name: "Anonymous"}) { id } }')
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await snapshot(sql) == before


@pytest.fixture(scope="module")
async def anonymous_client(products_db: str, keys: TestKeys) -> AsyncIterator[httpx.AsyncClient]:
    """The app as development runs it: requests without a token get through, with no identity."""
    settings = ProductsSettings(database_url=products_db, log_level="WARNING", dev_mode=True)
    app: FastAPI = create_app(settings, verify_tokens=False, events=False)
    install_token_auth(
        app, dev_mode=True, settings=TokenSettings(allow_anonymous=True), verifier=keys.verifier()
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://products") as http:
            yield http


async def test_anonymous_writes_are_unauthenticated_even_in_dev_mode(
    anonymous_client: httpx.AsyncClient, sql: asyncpg.Connection
) -> None:
    before = await snapshot(sql)
    for step in STEPS[:1] + STEPS[8:9]:  # the two that need no earlier ids
        response = await anonymous_client.post("/graphql", json={"query": step.query})
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["path"] == [step.name]
    assert await snapshot(sql) == before
    reads = await anonymous_client.post("/graphql", json={"query": "{ categories { id } }"})
    assert "errors" not in reads.json()
