"""Input hygiene at the products service's edge: an id has one ASCII spelling (``" 1"`` and
the same in Arabic-Indic digits are not product 1, as an argument or in ``_entities``), NUL
characters and out-of-range amounts are ``BAD_USER_INPUT`` and write nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

ONE_IN_ARABIC_INDIC = "\u0661"


@pytest.fixture(scope="module")
async def product_id(gql: Any) -> str:
    category = await gql('mutation { createCategory(input: {name: "Hygiene"}) { id } }')
    body = await gql(
        "mutation($c: ID!) { createProduct(input: "
        '{name: "Hygienic", price: "10.00", categoryId: $c}) { id } }',
        c=category["data"]["createCategory"]["id"],
    )
    return str(body["data"]["createProduct"]["id"])


@pytest.mark.parametrize(
    "spelling",
    [" {id}", "{id} ", "+{id}", "0{id}", "{arabic}", "{id}\n"],
    ids=["leading-space", "trailing-space", "plus", "leading-zero", "arabic-indic", "newline"],
)
async def test_other_spellings_of_an_id_resolve_nothing(
    gql: Any, product_id: str, spelling: str
) -> None:
    other = spelling.format(id=product_id, arabic=ONE_IN_ARABIC_INDIC * len(product_id))
    direct = await gql("query($id: ID!) { product(id: $id) { id } }", id=other)
    assert direct.get("data", {}).get("product") is None
    assert [e["extensions"]["code"] for e in direct["errors"]] == ["BAD_USER_INPUT"]
    entities = await gql(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }",
        r=[{"__typename": "Product", "id": other}, {"__typename": "Product", "id": product_id}],
    )
    assert entities == {"data": {"_entities": [None, {"id": product_id}]}}


async def test_nul_characters_and_huge_amounts_are_bad_user_input(
    gql: Any, sql: asyncpg.Connection
) -> None:
    before = await sql.fetchval("SELECT count(*) FROM product.products")
    create = (
        "mutation($n: String!, $p: Money!) { createProduct(input: "
        "{name: $n, price: $p, categoryId: 1}) { id } }"
    )
    for name, price in (("nul\x00name", "1.00"), ("fine", "1e400"), ("fine", "-1e400")):
        body = await gql(create, n=name, p=price)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
    listing = await gql(
        "query($min: Money) { products(filter: {minPrice: $min}) { totalCount } }", min="1e400"
    )
    assert [e["extensions"]["code"] for e in listing["errors"]] == ["BAD_USER_INPUT"]
    search = await gql('{ products(filter: {search: "a\\u0000"}) { totalCount } }')
    assert [e["extensions"]["code"] for e in search["errors"]] == ["BAD_USER_INPUT"]
    assert await sql.fetchval("SELECT count(*) FROM product.products") == before
