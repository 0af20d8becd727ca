"""Payments in flight: one open payment per order, the reconciler's index, the sandbox ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Two requests for one order can never both hold a charge in flight or a success.
    op.create_index(
        "uq_payments_order_open",
        "payments",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('INITIATED', 'SUCCESS')"),
    )
    # The reconciler's scan: only payments whose outcome is unknown.
    op.create_index(
        "ix_payments_initiated_created_at",
        "payments",
        ["created_at"],
        postgresql_where=sa.text("status = 'INITIATED'"),
    )
    # The sandbox provider's own ledger (it stands in for a remote provider's records).
    op.create_table(
        "sandbox_charges",
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("charge_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("reference", name="sandbox_charges_pkey"),
        sa.UniqueConstraint("charge_id", name="uq_sandbox_charges_charge_id"),
    )


def downgrade() -> None:
    op.drop_table("sandbox_charges")
    op.drop_index("ix_payments_initiated_created_at", table_name="payments")
    op.drop_index("uq_payments_order_open", table_name="payments")
