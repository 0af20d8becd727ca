"""Uploaded product images: their bytes in ``product.product_image_files`` (bytea).

``uploadProductImage`` stores the file here and a ``product_images`` row whose ``url`` points
at the products service's ``/images/<id>``; deleting the image row deletes the bytes (cascade).
Why PostgreSQL and not files on disk: docs/decisions/0014-product-images-in-postgresql.md.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS product.product_image_files (
          image_id     BIGINT       PRIMARY KEY
                       REFERENCES product.product_images (image_id)
                       ON UPDATE CASCADE ON DELETE CASCADE,
          content_type VARCHAR(100) NOT NULL,
          byte_size    INT          NOT NULL CONSTRAINT ck_product_image_files_size
                                    CHECK (byte_size > 0),
          sha256       CHAR(64)     NOT NULL,
          data         BYTEA        NOT NULL,
          created_at   TIMESTAMPTZ  NOT NULL DEFAULT now()
        )
        """
    )
    # The bytes are already compressed (PNG, JPEG, WebP): no TOAST compression attempts.
    op.execute("ALTER TABLE product.product_image_files ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS product.product_image_files")
