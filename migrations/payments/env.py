"""Alembic environment of the payments service (see `subgraphs.kit.migrations`)."""

from subgraphs.kit.migrations import run
from subgraphs.payments.models import Base

run(Base.metadata)
