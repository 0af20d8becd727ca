"""Alembic environment of the analytics service (see `subgraphs.kit.migrations`)."""

from subgraphs.analytics.models import Base
from subgraphs.kit.migrations import run

run(Base.metadata)
