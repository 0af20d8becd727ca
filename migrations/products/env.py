"""Alembic environment of the products service (see `subgraphs.kit.migrations`)."""

from subgraphs.kit.migrations import run
from subgraphs.products.models import Base

run(Base.metadata, schema="product")
