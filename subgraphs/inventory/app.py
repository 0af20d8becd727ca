"""The inventory service process: ``uvicorn subgraphs.inventory.app:app`` (port 4003).

Settings come from ``POLYSHOP_*`` variables, e.g. ``POLYSHOP_DATABASE_URL`` (asyncpg URL of
``inventory_db``) and ``POLYSHOP_NATS_URL``. The process relays its outbox and consumes the
orders and payments events (see `subgraphs.inventory.events`).
"""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.inventory.events import CONSUMERS
from subgraphs.inventory.loaders import make_loaders
from subgraphs.inventory.schema import LIVE, schema
from subgraphs.inventory.settings import InventorySettings, get_inventory_settings
from subgraphs.kit.app import create_service_app
from subgraphs.kit.context import settings_only


def create_app(
    settings: InventorySettings | None = None,
    *,
    verify_tokens: bool = True,
    events: bool = True,
) -> FastAPI:
    """``events=False`` serves GraphQL only (no relay, no consumers), for GraphQL-only tests."""
    return create_service_app(
        "inventory",
        schema,
        settings or get_inventory_settings(),
        loaders_factory=make_loaders,
        resources=settings_only,
        verify_tokens=verify_tokens,
        event_consumers=CONSUMERS if events else (),
        publishes_events=events,
        live=LIVE if events else None,
    )


app = create_app()
