"""Alembic environment of the auth service (see `subgraphs.kit.migrations`)."""

from subgraphs.auth.models import Base
from subgraphs.kit.migrations import run

run(Base.metadata)
