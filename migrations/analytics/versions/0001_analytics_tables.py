"""Analytics tables (seed 001: sales_daily, sales_monthly, events_raw), the order facts the
rollups are computed from, product sales per day, and the kit's inbox/outbox tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now_column(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=nullable
    )


def _totals() -> list[sa.Column[object]]:
    return [
        sa.Column("total_orders", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_revenue", sa.Numeric(), server_default=sa.text("0"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "events_raw",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        _now_column("created_at"),
    )
    op.create_index("ix_events_raw_type_occurred", "events_raw", ["event_type", "occurred_at"])
    op.create_table(
        "sales_orders",
        sa.Column("order_id", sa.Text(), primary_key=True),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("total_amount", sa.Numeric(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sale_date", sa.Date(), nullable=True),
    )
    op.create_index("ix_sales_orders_sale_date", "sales_orders", ["sale_date"])
    op.create_table(
        "sales_order_lines",
        sa.Column("order_id", sa.Text(), primary_key=True),
        sa.Column("line_no", sa.Integer(), primary_key=True),
        sa.Column("product_id", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(), nullable=False),
    )
    op.create_table(
        "sales_daily",
        sa.Column("date", sa.Date(), primary_key=True),
        sa.Column("currency", sa.Text(), primary_key=True),
        *_totals(),
    )
    op.create_table(
        "sales_monthly",
        sa.Column("year", sa.SmallInteger(), primary_key=True),
        sa.Column("month", sa.SmallInteger(), primary_key=True),
        sa.Column("currency", sa.Text(), primary_key=True),
        *_totals(),
    )
    op.create_table(
        "product_sales_daily",
        sa.Column("date", sa.Date(), primary_key=True),
        sa.Column("product_id", sa.Text(), primary_key=True),
        sa.Column("currency", sa.Text(), primary_key=True),
        sa.Column("units", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("revenue", sa.Numeric(), server_default=sa.text("0"), nullable=False),
    )
    # --- event tables: begin ---
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        _now_column("created_at"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("seq", name="uq_outbox_seq"),
    )
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_index(
        "ix_outbox_published_at",
        "outbox",
        ["published_at"],
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _now_column("handled_at"),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"])
    # --- event tables: end ---


def downgrade() -> None:
    for table in (
        "inbox",
        "outbox",
        "product_sales_daily",
        "sales_monthly",
        "sales_daily",
        "sales_order_lines",
        "sales_orders",
        "events_raw",
    ):
        op.drop_table(table)
