"""Idempotency keys belong to a customer: unique per (user_id, idempotency_key), not globally,
so one customer's key never finds (or blocks) another customer's payment.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_payments_idempotency_key", "payments", type_="unique")
    op.create_unique_constraint(
        "uq_payments_user_idempotency_key", "payments", ["user_id", "idempotency_key"]
    )


def downgrade() -> None:
    # Fails if two customers have used one key since: such rows must be resolved by hand.
    op.drop_constraint("uq_payments_user_idempotency_key", "payments", type_="unique")
    op.create_unique_constraint("uq_payments_idempotency_key", "payments", ["idempotency_key"])
