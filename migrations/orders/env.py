"""Alembic environment of the orders service (see `subgraphs.kit.migrations`)."""

from subgraphs.kit.migrations import run
from subgraphs.orders.models import Base

run(Base.metadata)
