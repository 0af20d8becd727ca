"""Drop ``products.stock``: stock lives only in the inventory service.

Seed 001 gives stock its own database (inventory_db: ``stock.available``/``reserved``), and
the architecture (docs/architecture.md) makes inventory the single owner of that figure. A second copy here would drift
from the real one and invite checkout to read the wrong number, so products keeps none;
``Product.stock`` is resolved by the inventory subgraph through the ``Product`` entity.

Downgrade restores the column (as 0 for every row: the real figures are in inventory).

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE product.products DROP COLUMN IF EXISTS stock")


def downgrade() -> None:
    op.execute(
        "ALTER TABLE product.products ADD COLUMN stock INT NOT NULL DEFAULT 0 CHECK (stock >= 0)"
    )
    op.execute("ALTER TABLE product.products ALTER COLUMN stock DROP DEFAULT")
