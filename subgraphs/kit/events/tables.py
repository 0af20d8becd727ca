"""The ``outbox`` and ``inbox`` tables, added to a service's own `MetaData`.

Call ``add_event_tables(Base.metadata)`` in the service's ``models.py`` so Alembic's
autogenerate sees them, or write the migration by hand; the snippet below is the reviewed
form (a test runs it and compares the result with these definitions)::

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
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("seq", name="uq_outbox_seq"),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["seq"],
                    postgresql_where=sa.text("published_at IS NULL"))
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"],
                    postgresql_where=sa.text("published_at IS NOT NULL"))
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"])
    # --- event tables: end ---

(with ``import sqlalchemy as sa`` and ``from sqlalchemy.dialects import postgresql``;
``downgrade`` drops ``inbox`` then ``outbox``). ``seq`` gives the publishing order; the
inbox key is (consumer, event id) because one database may hold several consumers of the
same event, each of which must see it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


@dataclass(frozen=True, slots=True)
class EventTables:
    outbox: Table
    inbox: Table


def add_event_tables(metadata: MetaData, *, schema: str | None = None) -> EventTables:
    """Define ``outbox`` and ``inbox`` in ``metadata`` (see the module docstring)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", Uuid(), primary_key=True),
        Column("seq", BigInteger(), Identity(always=True), nullable=False),
        Column("subject", Text(), nullable=False),
        Column("type", Text(), nullable=False),
        Column("source", Text(), nullable=False),
        Column("correlation_id", Text(), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("data", JSONB(), nullable=False),
        Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer(), server_default="0", nullable=False),
        Column("last_error", Text(), nullable=True),
        UniqueConstraint("seq", name="uq_outbox_seq"),
        schema=schema,
    )
    Index(
        "ix_outbox_unpublished",
        outbox.c.seq,
        postgresql_where=text("published_at IS NULL"),
    )
    Index(
        "ix_outbox_published_at",
        outbox.c.published_at,
        postgresql_where=text("published_at IS NOT NULL"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", Text(), nullable=False),
        Column("event_id", Uuid(), nullable=False),
        Column("event_type", Text(), nullable=False),
        Column("source", Text(), nullable=False),
        Column("handled_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
        PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
        schema=schema,
    )
    Index("ix_inbox_handled_at", inbox.c.handled_at)
    return EventTables(outbox=outbox, inbox=inbox)


DEFAULT_TABLES = add_event_tables(MetaData())
"""The tables in the default schema, for services that keep them there (the usual case)."""
