"""The database itself (seed 000's rules): triggers keep row_version and modified_at, CHECK,
UNIQUE and foreign keys refuse bad rows, and each refusal maps to a client message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from polyshop.devstack.postgres import plain_url
from subgraphs.products.service import CONSTRAINT_MESSAGES


@pytest.fixture
async def tx(products_db: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction rolled back after the test (NOW() is fixed in a
    transaction, so trigger tests that compare times commit nothing and use clock_timestamp)."""
    connection = await asyncpg.connect(plain_url(products_db))
    transaction = connection.transaction()
    await transaction.start()
    try:
        yield connection
    finally:
        await transaction.rollback()
        await connection.close()


async def _category(conn: asyncpg.Connection, name: str, parent: int | None = None) -> int:
    value: int = await conn.fetchval(
        "INSERT INTO product.categories (name, parent_id) VALUES ($1, $2) RETURNING category_id",
        name,
        parent,
    )
    return value


async def test_update_trigger_bumps_row_version_and_modified_at(products_db: str) -> None:
    conn = await asyncpg.connect(plain_url(products_db))
    try:
        category = await _category(conn, "Trigger test")
        product = await conn.fetchrow(
            "INSERT INTO product.products (name, price, category_id) VALUES ('T', 1, $1) "
            "RETURNING product_id, row_version, modified_at, created_at",
            category,
        )
        assert product["row_version"] == 1
        for expected in (2, 3):
            row = await conn.fetchrow(
                "UPDATE product.products SET price = price + 1 WHERE product_id = $1 "
                "RETURNING row_version, modified_at, created_at",
                product["product_id"],
            )
            assert row["row_version"] == expected
            assert row["modified_at"] > product["modified_at"]
            assert row["created_at"] == product["created_at"]
        # The trigger wins even over an explicit value.
        forced = await conn.fetchval(
            "UPDATE product.products SET row_version = 1 WHERE product_id = $1 "
            "RETURNING row_version",
            product["product_id"],
        )
        assert forced == 4
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "table", ["categories", "products", "discount_methods", "product_discounts", "product_images"]
)
async def test_every_table_has_the_version_trigger(tx: asyncpg.Connection, table: str) -> None:
    trigger = await tx.fetchval(
        "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'product' AND c.relname = $1 AND NOT t.tgisinternal",
        table,
    )
    assert trigger == f"trg_{table}_update"


async def _violation(conn: asyncpg.Connection, sql: str, *args: object) -> str:
    with pytest.raises(asyncpg.IntegrityConstraintViolationError) as caught:
        async with conn.transaction():  # a savepoint, so the outer transaction survives
            await conn.execute(sql, *args)
    name = caught.value.constraint_name  # type: ignore[attr-defined]
    assert name in CONSTRAINT_MESSAGES, f"no client message for constraint {name}"
    return str(name)


async def test_constraints_refuse_bad_rows(tx: asyncpg.Connection) -> None:
    category = await _category(tx, "Constraints")
    method = await tx.fetchval(
        "INSERT INTO product.discount_methods (method_name) VALUES ('Percentage') "
        "RETURNING discount_method_id"
    )
    product = await tx.fetchval(
        "INSERT INTO product.products (name, price, category_id) VALUES ('P', 5, $1) "
        "RETURNING product_id",
        category,
    )
    insert_product = (
        "INSERT INTO product.products (name, price, category_id, currency) VALUES ($1, $2, $3, $4)"
    )
    assert await _violation(tx, insert_product, "P", -1, category, "USD") == "products_price_check"
    assert await _violation(tx, insert_product, "P", 1, 999999, "USD") == (
        "products_category_id_fkey"
    )
    assert await _violation(tx, insert_product, "P", 1, category, "usd") == (
        "ck_products_currency_iso4217"
    )
    assert await _violation(tx, insert_product, "  ", 1, category, "USD") == (
        "ck_products_name_not_blank"
    )
    assert (
        await _violation(tx, "INSERT INTO product.categories (name) VALUES ('Constraints')")
        == "categories_name_key"
    )
    assert (
        await _violation(
            tx,
            "UPDATE product.categories SET parent_id = category_id WHERE category_id = $1",
            category,
        )
        == "ck_categories_parent_not_self"
    )
    discount = (
        "INSERT INTO product.product_discounts "
        "(product_id, discount_method_id, discount_value, start_date, end_date) "
        "VALUES ($1, $2, $3, now(), $4)"
    )
    assert await _violation(tx, discount, product, method, -5, None) == (
        "product_discounts_discount_value_check"
    )
    ended = await _violation(tx, discount, product, method, 5, datetime(2000, 1, 1, tzinfo=UTC))
    assert CONSTRAINT_MESSAGES[ended] == "`endDate` must not be before `startDate`"
    assert (
        await _violation(
            tx, "INSERT INTO product.product_images (product_id, url) VALUES ($1, '')", product
        )
        == "ck_product_images_url_not_blank"
    )


async def test_name_longer_than_100_is_refused_by_the_column(tx: asyncpg.Connection) -> None:
    category = await _category(tx, "Lengths")
    with pytest.raises(asyncpg.StringDataRightTruncationError):
        await tx.execute(
            "INSERT INTO product.products (name, price, category_id) VALUES ($1, 1, $2)",
            "n" * 101,
            category,
        )


async def test_restrict_keeps_categories_with_products(tx: asyncpg.Connection) -> None:
    category = await _category(tx, "Restricted")
    await tx.execute(
        "INSERT INTO product.products (name, price, category_id) VALUES ('x', 1, $1)", category
    )
    with pytest.raises(asyncpg.RestrictViolationError):
        await tx.execute("DELETE FROM product.categories WHERE category_id = $1", category)
