"""Alembic environment of the inventory service (see `subgraphs.kit.migrations`)."""

from subgraphs.inventory.models import Base
from subgraphs.kit.migrations import run

run(Base.metadata)
