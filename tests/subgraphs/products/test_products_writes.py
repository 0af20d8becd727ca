"""Mutations: create, update with optimistic concurrency, soft delete and restore, images,
discounts; every bad input fails with BAD_USER_INPUT and writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

CREATE_PRODUCT = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { id name price currency brand version isDeleted }
}"""
UPDATE_PRODUCT = """
mutation($id: ID!, $v: Int!, $input: UpdateProductInput!) {
  updateProduct(id: $id, expectedVersion: $v, input: $input) {
    id name price description version modifiedAt
  }
}"""


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def counts(sql: asyncpg.Connection) -> dict[str, int]:
    tables = ["categories", "products", "product_images", "discount_methods", "product_discounts"]
    return {t: await sql.fetchval(f"SELECT count(*) FROM product.{t}") for t in tables}


@pytest.fixture(scope="module")
async def category_id(gql: Any) -> str:
    body = await gql('mutation { createCategory(input: {name: "Kitchen"}) { id } }')
    return str(body["data"]["createCategory"]["id"])


@pytest.fixture(scope="module")
async def methods(gql: Any) -> dict[str, str]:
    ids = {}
    for kind in ("PERCENTAGE", "FIXED_AMOUNT", "BOGO"):
        body = await gql(
            "mutation($k: DiscountKind!) { createDiscountMethod(input: {kind: $k}) { id kind } }",
            k=kind,
        )
        assert "errors" not in body, body
        ids[kind] = body["data"]["createDiscountMethod"]["id"]
    return ids


async def new_product(gql: Any, category_id: str, **fields: Any) -> dict[str, Any]:
    values = {"name": "Teapot", "price": "25.00", "categoryId": category_id, **fields}
    body = await gql(CREATE_PRODUCT, input=values)
    assert "errors" not in body, body
    product: dict[str, Any] = body["data"]["createProduct"]
    return product


async def test_update_bumps_version_and_stale_version_conflicts(
    gql: Any, category_id: str, sql: asyncpg.Connection
) -> None:
    product = await new_product(gql, category_id, brand="Brew & Co")
    first = await gql(UPDATE_PRODUCT, id=product["id"], v=1, input={"price": "21.50"})
    assert "errors" not in first, first
    assert first["data"]["updateProduct"]["version"] == 2
    assert first["data"]["updateProduct"]["price"] == "21.50"

    stale = await gql(UPDATE_PRODUCT, id=product["id"], v=1, input={"name": "Lost update"})
    assert codes(stale) == ["CONFLICT"]
    assert stale["errors"][0]["path"] == ["updateProduct"]
    assert stale["errors"][0]["extensions"]["currentVersion"] == 2
    row = await sql.fetchrow(
        "SELECT name, price, row_version FROM product.products WHERE product_id = $1",
        int(product["id"]),
    )
    assert (row["name"], str(row["price"]), row["row_version"]) == ("Teapot", "21.50", 2)


async def test_partial_update_clears_only_given_fields(gql: Any, category_id: str) -> None:
    product = await new_product(gql, category_id, description="Holds 1l")
    body = await gql(UPDATE_PRODUCT, id=product["id"], v=1, input={"description": None})
    updated = body["data"]["updateProduct"]
    assert updated["description"] is None
    assert updated["name"] == "Teapot"
    assert updated["price"] == "25.00"


async def test_concurrent_updates_one_wins(
    gql: Any, category_id: str, sql: asyncpg.Connection
) -> None:
    """Two writers with the same expected version: exactly one succeeds."""
    product = await new_product(gql, category_id)
    results = await asyncio.gather(
        gql(UPDATE_PRODUCT, id=product["id"], v=1, input={"name": "Writer A"}),
        gql(UPDATE_PRODUCT, id=product["id"], v=1, input={"name": "Writer B"}),
    )
    outcomes = sorted("errors" in r for r in results)
    assert outcomes == [False, True]
    loser = next(r for r in results if "errors" in r)
    assert codes(loser) == ["CONFLICT"]
    version = await sql.fetchval(
        "SELECT row_version FROM product.products WHERE product_id = $1", int(product["id"])
    )
    assert version == 2


async def test_soft_delete_hides_from_lists_and_restore_brings_back(
    gql: Any, category_id: str, sql: asyncpg.Connection
) -> None:
    product = await new_product(gql, category_id, name="Vanishing jug")
    listing = 'query { products(filter: {search: "Vanishing"}) { edges { node { id } } } }'
    assert len((await gql(listing))["data"]["products"]["edges"]) == 1

    deleted = await gql(
        "mutation($id: ID!) { deleteProduct(id: $id, expectedVersion: 1) "
        "{ isDeleted deletedAt version } }",
        id=product["id"],
    )
    assert deleted["data"]["deleteProduct"]["isDeleted"] is True
    assert deleted["data"]["deleteProduct"]["deletedAt"] is not None
    assert (await gql(listing))["data"]["products"]["edges"] == []
    assert (await gql("query($id: ID!) { product(id: $id) { id } }", id=product["id"]))["data"][
        "product"
    ] is None
    still = await gql(
        "query($id: ID!) { product(id: $id, includeDeleted: true) { isDeleted } }",
        id=product["id"],
    )
    assert still["data"]["product"]["isDeleted"] is True
    assert await sql.fetchval(
        "SELECT is_deleted FROM product.products WHERE product_id = $1", int(product["id"])
    )

    restored = await gql(
        "mutation($id: ID!) { restoreProduct(id: $id) { isDeleted deletedAt version } }",
        id=product["id"],
    )
    assert restored["data"]["restoreProduct"] == {
        "isDeleted": False,
        "deletedAt": None,
        "version": 3,
    }
    assert len((await gql(listing))["data"]["products"]["edges"]) == 1


async def test_category_tree_and_soft_delete_rules(gql: Any, sql: asyncpg.Connection) -> None:
    root = await gql('mutation { createCategory(input: {name: "Garden"}) { id } }')
    root_id = root["data"]["createCategory"]["id"]
    child = await gql(
        'mutation($p: ID!) { createCategory(input: {name: "Tools", parentId: $p}) '
        "{ id parent { id name } } }",
        p=root_id,
    )
    child_id = child["data"]["createCategory"]["id"]
    assert child["data"]["createCategory"]["parent"] == {"id": root_id, "name": "Garden"}

    tree = await gql("query($id: ID!) { category(id: $id) { children { id name } } }", id=root_id)
    assert tree["data"]["category"]["children"] == [{"id": child_id, "name": "Tools"}]

    cycle = await gql(
        "mutation($id: ID!, $p: ID!) { updateCategory(id: $id, expectedVersion: 1, "
        "input: {parentId: $p}) { id } }",
        id=root_id,
        p=child_id,
    )
    assert codes(cycle) == ["BAD_USER_INPUT"]

    refused = await gql("mutation($id: ID!) { deleteCategory(id: $id) { id } }", id=root_id)
    assert codes(refused) == ["BAD_USER_INPUT"]
    assert not await sql.fetchval(
        "SELECT is_deleted FROM product.categories WHERE category_id = $1", int(root_id)
    )

    leaf = await gql("mutation($id: ID!) { deleteCategory(id: $id) { isDeleted } }", id=child_id)
    assert leaf["data"]["deleteCategory"]["isDeleted"] is True
    emptied = await gql("query($id: ID!) { category(id: $id) { children { id } } }", id=root_id)
    assert emptied["data"]["category"]["children"] == []
    back = await gql("mutation($id: ID!) { restoreCategory(id: $id) { isDeleted } }", id=child_id)
    assert back["data"]["restoreCategory"]["isDeleted"] is False


async def test_images_add_and_remove(gql: Any, category_id: str) -> None:
    product = await new_product(gql, category_id)
    for url in ("https://img.example/a.jpg", "https://img.example/b.jpg"):
        body = await gql(
            "mutation($p: ID!, $u: String!) { addProductImage(input: {productId: $p, url: $u}) "
            "{ id position } }",
            p=product["id"],
            u=url,
        )
        assert "errors" not in body, body
    images = await gql(
        "query($id: ID!) { product(id: $id) { images { id url position } } }", id=product["id"]
    )
    listed = images["data"]["product"]["images"]
    assert [(i["url"], i["position"]) for i in listed] == [
        ("https://img.example/a.jpg", 0),
        ("https://img.example/b.jpg", 1),
    ]
    removed = await gql(
        "mutation($id: ID!) { removeProductImage(id: $id) { images { url } } }", id=listed[0]["id"]
    )
    assert removed["data"]["removeProductImage"]["images"] == [{"url": "https://img.example/b.jpg"}]


async def test_discount_lifecycle(gql: Any, category_id: str, methods: dict[str, str]) -> None:
    product = await new_product(gql, category_id, price="80.00")
    added = await gql(
        """mutation($p: ID!, $m: ID!) {
          addProductDiscount(input: {productId: $p, discountMethodId: $m, value: "25",
                                     startDate: "2020-01-01T00:00:00Z"}) {
            id value method { kind } product { id }
          }
        }""",
        p=product["id"],
        m=methods["PERCENTAGE"],
    )
    assert "errors" not in added, added
    discount = added["data"]["addProductDiscount"]
    assert discount["value"] == "25.00"
    assert discount["method"] == {"kind": "PERCENTAGE"}
    price = "query($id: ID!) { product(id: $id) { effectivePrice activeDiscounts { id } } }"
    assert (await gql(price, id=product["id"]))["data"]["product"] == {
        "effectivePrice": "60.00",
        "activeDiscounts": [{"id": discount["id"]}],
    }
    await gql("mutation($id: ID!) { removeProductDiscount(id: $id) { id } }", id=discount["id"])
    assert (await gql(price, id=product["id"]))["data"]["product"] == {
        "effectivePrice": "80.00",
        "activeDiscounts": [],
    }


async def test_failed_mutation_writes_nothing_even_after_an_earlier_success(
    gql: Any, category_id: str, sql: asyncpg.Connection
) -> None:
    before = await counts(sql)
    body = await gql(
        """mutation($c: ID!) {
          first: createCategory(input: {name: "Written then undone"}) { id }
          second: createProduct(input: {name: "Bad", price: "-1", categoryId: $c}) { id }
        }""",
        c=category_id,
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert await counts(sql) == before


BAD_PRODUCT_INPUTS = [
    pytest.param({"price": "-0.01"}, "price", id="negative-price"),
    pytest.param({"price": "1.999"}, "price", id="three-decimals"),
    pytest.param({"price": "100000000"}, "price", id="price-overflow"),
    pytest.param({"categoryId": "999999"}, "categoryId", id="unknown-category"),
    pytest.param({"categoryId": "not-a-number"}, "categoryId", id="bad-category-id"),
    pytest.param({"name": "x" * 10_001}, "name", id="10001-char-name"),
    pytest.param({"name": "   "}, "name", id="blank-name"),
    pytest.param({"currency": "XYZ"}, "currency", id="unknown-currency"),
    pytest.param({"currency": "US"}, "currency", id="short-currency"),
    pytest.param({"imageUrl": "javascript:alert(1)"}, "imageUrl", id="bad-url"),
]


@pytest.mark.parametrize(("override", "field"), BAD_PRODUCT_INPUTS)
async def test_bad_product_input_is_refused_and_nothing_written(
    gql: Any, category_id: str, sql: asyncpg.Connection, override: dict[str, Any], field: str
) -> None:
    before = await counts(sql)
    values = {"name": "Mug", "price": "5.00", "categoryId": category_id, **override}
    body = await gql(CREATE_PRODUCT, input=values)
    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"], body
    error = body["errors"][0]
    assert error["path"] == ["createProduct"]
    assert error["extensions"]["field"] == field
    assert "Internal" not in error["message"]
    assert await counts(sql) == before


async def test_bad_update_is_refused_and_row_unchanged(
    gql: Any, category_id: str, sql: asyncpg.Connection
) -> None:
    product = await new_product(gql, category_id)
    for change in ({"price": "-5"}, {"currency": "ABC"}, {"name": "y" * 101}, {"price": None}):
        body = await gql(UPDATE_PRODUCT, id=product["id"], v=1, input=change)
        assert codes(body) == ["BAD_USER_INPUT"], (change, body)
    row = await sql.fetchrow(
        "SELECT name, price, currency, row_version FROM product.products WHERE product_id = $1",
        int(product["id"]),
    )
    assert dict(row) == {
        "name": "Teapot",
        "price": row["price"],
        "currency": "USD",
        "row_version": 1,
    }
    assert str(row["price"]) == "25.00"


async def test_duplicate_category_name_is_refused(gql: Any, sql: asyncpg.Connection) -> None:
    await gql('mutation { createCategory(input: {name: "Lighting"}) { id } }')
    before = await counts(sql)
    for name in ("Lighting", "lighting", "  Lighting  "):
        body = await gql(
            "mutation($n: String!) { createCategory(input: {name: $n}) { id } }", n=name
        )
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert "already exists" in body["errors"][0]["message"]
    assert await counts(sql) == before


async def test_bad_discounts_are_refused(
    gql: Any, category_id: str, methods: dict[str, str], sql: asyncpg.Connection
) -> None:
    product = await new_product(gql, category_id)
    base = {"productId": product["id"], "startDate": "2030-01-10T00:00:00Z"}
    cases = [
        {
            **base,
            "discountMethodId": methods["PERCENTAGE"],
            "value": "10",
            "endDate": "2030-01-09T00:00:00Z",
        },
        {**base, "discountMethodId": methods["PERCENTAGE"], "value": "101"},
        {**base, "discountMethodId": methods["BOGO"], "value": "0"},
        {**base, "discountMethodId": methods["FIXED_AMOUNT"], "value": "-1"},
        {**base, "discountMethodId": "424242", "value": "1"},
        {**base, "productId": "424242", "discountMethodId": methods["BOGO"], "value": "50"},
        {
            **base,
            "discountMethodId": methods["BOGO"],
            "value": "50",
            "startDate": "2030-01-10T00:00:00",
        },
    ]
    before = await counts(sql)
    for case in cases:
        body = await gql(
            "mutation($i: AddProductDiscountInput!) { addProductDiscount(input: $i) { id } }",
            i=case,
        )
        assert codes(body) == ["BAD_USER_INPUT"], (case, body)
    assert await counts(sql) == before


async def test_unknown_ids_are_not_found(gql: Any) -> None:
    body = await gql(UPDATE_PRODUCT, id="987654", v=1, input={"name": "Ghost"})
    assert codes(body) == ["NOT_FOUND"]
    body = await gql('mutation { deleteCategory(id: "987654") { id } }')
    assert codes(body) == ["NOT_FOUND"]


async def test_variable_of_wrong_type_is_bad_user_input(gql: Any, category_id: str) -> None:
    body = await gql(
        CREATE_PRODUCT, input={"name": "Mug", "price": "abc", "categoryId": category_id}
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    body = await gql("query { products(first: 1) { edges { nod } } }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    body = await gql("query { products(first: ")
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
