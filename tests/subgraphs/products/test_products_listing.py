"""Query.products: filters (category subtree, text, price, brand, active) and keyset
pagination that neither repeats nor skips rows, also when rows arrive between pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

PAGE = """
query($filter: ProductFilter, $order: ProductOrder!, $first: Int, $after: String) {
  products(filter: $filter, orderBy: $order, first: $first, after: $after) {
    edges { cursor node { id name price createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""


async def create(gql: Any, mutation: str, **variables: Any) -> str:
    body = await gql(mutation, **variables)
    assert "errors" not in body, body
    return str(next(iter(body["data"].values()))["id"])


@pytest.fixture(scope="module")
async def tree(gql: Any) -> dict[str, str]:
    """Sports > (Running > Trail), Sports > Cycling, and Books apart."""
    category = (
        "mutation($n: String!, $p: ID) { createCategory(input: {name: $n, parentId: $p}) { id } }"
    )
    ids = {"Sports": await create(gql, category, n="Sports", p=None)}
    ids["Running"] = await create(gql, category, n="Running", p=ids["Sports"])
    ids["Trail"] = await create(gql, category, n="Trail", p=ids["Running"])
    ids["Cycling"] = await create(gql, category, n="Cycling", p=ids["Sports"])
    ids["Books"] = await create(gql, category, n="Books", p=None)
    product = """mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }"""
    rows = [
        ("Trail shoe", "120.00", "Trail", "Stride", True, "Grippy outsole for mud"),
        ("Road shoe", "99.99", "Running", "Stride", True, "Light"),
        ("Running cap", "15.00", "Running", "Sunny", False, None),
        ("Bike helmet", "59.50", "Cycling", "Velo", True, "MIPS"),
        ("Water bottle", "9.99", "Sports", None, True, "Also for trail runs"),
        ("Trail guide", "24.00", "Books", "Maps Inc", True, "100% recycled paper"),
    ]
    for name, price, cat, brand, active, description in rows:
        await create(
            gql,
            product,
            i={
                "name": name,
                "price": price,
                "categoryId": ids[cat],
                "brand": brand,
                "active": active,
                "description": description,
            },
        )
    return ids


async def names(gql: Any, filter: dict[str, Any], order: str = "NAME_ASC") -> list[str]:
    body = await gql(PAGE, filter=filter, order=order, first=100)
    assert "errors" not in body, body
    return [e["node"]["name"] for e in body["data"]["products"]["edges"]]


async def test_category_filter_includes_the_whole_subtree(gql: Any, tree: dict[str, str]) -> None:
    assert await names(gql, {"categoryId": tree["Sports"]}) == [
        "Bike helmet",
        "Road shoe",
        "Running cap",
        "Trail shoe",
        "Water bottle",
    ]
    assert await names(gql, {"categoryId": tree["Running"]}) == [
        "Road shoe",
        "Running cap",
        "Trail shoe",
    ]
    direct = {"categoryId": tree["Running"], "includeSubcategories": False}
    assert await names(gql, direct) == ["Road shoe", "Running cap"]


async def test_text_price_brand_active_filters(gql: Any, tree: dict[str, str]) -> None:
    assert await names(gql, {"search": "trail"}) == ["Trail guide", "Trail shoe", "Water bottle"]
    assert await names(gql, {"search": "100%"}) == ["Trail guide"]  # % is literal text
    assert await names(gql, {"search": "_"}) == []
    priced = {"minPrice": "24.00", "maxPrice": "99.99"}
    assert await names(gql, priced, order="PRICE_ASC") == [
        "Trail guide",
        "Bike helmet",
        "Road shoe",
    ]
    assert await names(gql, {"brand": "stride"}) == ["Road shoe", "Trail shoe"]
    assert await names(gql, {"active": False}) == ["Running cap"]
    bad = await gql(PAGE, filter={"minPrice": "10", "maxPrice": "5"}, order="NAME_ASC")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_orderings_and_total_count(gql: Any, tree: dict[str, str]) -> None:
    body = await gql(PAGE, filter={"categoryId": tree["Sports"]}, order="PRICE_DESC", first=2)
    products = body["data"]["products"]
    prices = [Decimal(e["node"]["price"]) for e in products["edges"]]
    assert prices == [Decimal("120.00"), Decimal("99.99")]
    assert products["totalCount"] == 5
    assert products["pageInfo"]["hasNextPage"] is True
    assert products["pageInfo"]["hasPreviousPage"] is False


@pytest.fixture(scope="module")
async def many(gql: Any, tree: dict[str, str]) -> list[str]:
    """37 products, several sharing a price and a name, so the id tie-breaker matters."""
    made = []
    for n in range(37):
        name = f"Page item {n // 3:02}"  # names repeat in threes
        price = f"{10 + n % 5}.00"  # prices repeat every five
        await create(
            gql,
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            i={"name": name, "price": price, "categoryId": tree["Books"]},
        )
        made.append(name)
    return made


@pytest.mark.parametrize("order", ["NAME_ASC", "NAME_DESC", "PRICE_ASC", "PRICE_DESC", "NEWEST"])
async def test_walking_all_pages_has_no_duplicates_or_gaps(
    gql: Any, many: list[str], order: str
) -> None:
    full = await gql(PAGE, filter={"search": "Page item"}, order=order, first=100)
    expected_ids = [e["node"]["id"] for e in full["data"]["products"]["edges"]]
    assert len(expected_ids) == len(set(expected_ids)) >= 37
    walked = []
    after = None
    while True:
        body = await gql(PAGE, filter={"search": "Page item"}, order=order, first=5, after=after)
        page = body["data"]["products"]
        walked.extend(e["node"]["id"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == expected_ids


async def test_inserts_between_pages_cause_no_duplicates_or_gaps(
    gql: Any, many: list[str], tree: dict[str, str]
) -> None:
    before = set(await names_ids(gql))
    inserted = 0

    async def insert_one() -> None:
        nonlocal inserted
        inserted += 1
        await create(
            gql,
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            i={
                "name": f"Page item {inserted % 12:02}",
                "price": "11.00",
                "categoryId": tree["Books"],
            },
        )

    walked_ids: list[str] = []
    after = None
    while True:
        body = await gql(
            PAGE, filter={"search": "Page item"}, order="NAME_ASC", first=4, after=after
        )
        page = body["data"]["products"]
        walked_ids.extend(e["node"]["id"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        await insert_one()
    assert len(walked_ids) == len(set(walked_ids)), "a row was served twice"
    assert before <= set(walked_ids), "a row that existed before the walk was skipped"
    assert inserted > 0


async def names_ids(gql: Any) -> list[str]:
    body = await gql(PAGE, filter={"search": "Page item"}, order="NAME_ASC", first=100)
    return [e["node"]["id"] for e in body["data"]["products"]["edges"]]


async def test_bad_cursors_and_page_sizes_are_refused(gql: Any, many: list[str]) -> None:
    first = await gql(PAGE, filter=None, order="NAME_ASC", first=1)
    cursor = first["data"]["products"]["pageInfo"]["endCursor"]
    for variables in (
        {"order": "PRICE_ASC", "first": 1, "after": cursor},  # another ordering's cursor
        {"order": "NAME_ASC", "first": 1, "after": "not-a-cursor"},
        {"order": "NAME_ASC", "first": 101},
        {"order": "NAME_ASC", "first": -1},
    ):
        body = await gql(PAGE, filter=None, **variables)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (variables, body)
