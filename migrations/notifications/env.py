"""Alembic environment of the notifications service (see `subgraphs.kit.migrations`)."""

from subgraphs.kit.migrations import run
from subgraphs.notifications.models import Base

run(Base.metadata)
