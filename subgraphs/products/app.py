"""The products service process: ``uvicorn subgraphs.products.app:app`` (port 4002).

Settings come from ``POLYSHOP_*`` variables, e.g. ``POLYSHOP_DATABASE_URL`` (asyncpg URL of
``product_db``), ``POLYSHOP_NATS_URL`` and ``POLYSHOP_DEV_MODE`` (see
`subgraphs.products.settings`). Besides ``/graphql`` (which takes GraphQL multipart requests:
``uploadProductImage``) the service serves uploaded images at ``/images/<id>``
(`subgraphs.products.images`). The process relays its outbox: the catalogue's events
(`subgraphs.products.events`) reach NATS on ``polyshop.products.*``.
"""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.kit.app import create_service_app
from subgraphs.kit.context import settings_only
from subgraphs.products.images import router as images_router
from subgraphs.products.loaders import make_loaders
from subgraphs.products.models import EVENT_TABLES
from subgraphs.products.schema import schema
from subgraphs.products.settings import ProductsSettings, get_products_settings


def create_app(
    settings: ProductsSettings | None = None,
    *,
    verify_tokens: bool = True,
    events: bool = True,
) -> FastAPI:
    """``events=False`` runs no relay: writes still record their events in the outbox (same
    transaction), which stay there unpublished; for GraphQL-only tests without NATS."""
    app = create_service_app(
        "products",
        schema,
        settings or get_products_settings(),
        loaders_factory=make_loaders,
        resources=settings_only,
        verify_tokens=verify_tokens,
        publishes_events=events,
        event_tables=EVENT_TABLES,
        multipart_uploads=True,
    )
    app.include_router(images_router)
    return app


app = create_app()
