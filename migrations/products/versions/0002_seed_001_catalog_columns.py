"""Seed 001: currency, brand and active on products; category tree; product images.

Also the indexes behind the catalogue's listings: keyset pagination walks
``(sort column, product_id)`` over live rows, so each ordering gets a partial index.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = [
    # ISO 4217 alphabetic code; the service checks it against the real list of codes.
    """
    ALTER TABLE product.products
      ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'USD'
        CONSTRAINT ck_products_currency_iso4217 CHECK (currency ~ '^[A-Z]{3}$'),
      ADD COLUMN brand VARCHAR(100),
      ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE,
      ADD CONSTRAINT ck_products_name_not_blank CHECK (btrim(name) <> '')
    """,
    """
    ALTER TABLE product.categories
      ADD COLUMN parent_id BIGINT
        REFERENCES product.categories(category_id) ON UPDATE CASCADE ON DELETE RESTRICT,
      ADD CONSTRAINT ck_categories_parent_not_self
        CHECK (parent_id IS NULL OR parent_id <> category_id),
      ADD CONSTRAINT ck_categories_name_not_blank CHECK (btrim(name) <> '')
    """,
    "CREATE INDEX IF NOT EXISTS ix_categories_parent_id ON product.categories (parent_id)",
    """
    CREATE TABLE IF NOT EXISTS product.product_images (
      image_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      product_id  BIGINT        NOT NULL REFERENCES product.products(product_id) ON UPDATE CASCADE ON DELETE CASCADE,
      url         VARCHAR(2048) NOT NULL CONSTRAINT ck_product_images_url_not_blank CHECK (btrim(url) <> ''),
      alt_text    VARCHAR(255),
      position    INT           NOT NULL DEFAULT 0 CONSTRAINT ck_product_images_position CHECK (position >= 0),
      created_at  TIMESTAMPTZ   NOT NULL DEFAULT NOW(),
      modified_at TIMESTAMPTZ   NOT NULL DEFAULT NOW(),
      row_version BIGINT        NOT NULL DEFAULT 1 CHECK (row_version >= 1)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ix_product_images_product_id ON product.product_images (product_id, position)",
    "DROP TRIGGER IF EXISTS trg_product_images_update ON product.product_images",
    """
    CREATE TRIGGER trg_product_images_update
    BEFORE UPDATE ON product.product_images
    FOR EACH ROW EXECUTE FUNCTION update_modified_at_version()
    """,
    "CREATE INDEX IF NOT EXISTS ix_products_live_name ON product.products (name, product_id) WHERE NOT is_deleted",
    "CREATE INDEX IF NOT EXISTS ix_products_live_price ON product.products (price, product_id) WHERE NOT is_deleted",
    "CREATE INDEX IF NOT EXISTS ix_products_live_created ON product.products (created_at, product_id) WHERE NOT is_deleted",
    "CREATE INDEX IF NOT EXISTS ix_products_live_brand ON product.products (brand) WHERE NOT is_deleted",
]

DOWNGRADE = [
    "DROP INDEX IF EXISTS product.ix_products_live_brand",
    "DROP INDEX IF EXISTS product.ix_products_live_created",
    "DROP INDEX IF EXISTS product.ix_products_live_price",
    "DROP INDEX IF EXISTS product.ix_products_live_name",
    "DROP TABLE IF EXISTS product.product_images",
    "DROP INDEX IF EXISTS product.ix_categories_parent_id",
    """
    ALTER TABLE product.categories
      DROP CONSTRAINT IF EXISTS ck_categories_name_not_blank,
      DROP CONSTRAINT IF EXISTS ck_categories_parent_not_self,
      DROP COLUMN IF EXISTS parent_id
    """,
    """
    ALTER TABLE product.products
      DROP CONSTRAINT IF EXISTS ck_products_name_not_blank,
      DROP COLUMN IF EXISTS active,
      DROP COLUMN IF EXISTS brand,
      DROP COLUMN IF EXISTS currency
    """,
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
