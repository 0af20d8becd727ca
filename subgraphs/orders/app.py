"""The orders service process: ``uvicorn subgraphs.orders.app:app`` (port 4004).

Settings come from ``POLYSHOP_*`` variables: ``POLYSHOP_DATABASE_URL`` (asyncpg URL of
``order_db``), ``POLYSHOP_NATS_URL``, ``POLYSHOP_ORDERS_PRODUCTS_URL``, and
``POLYSHOP_AUTH_CLIENT_ID``/``POLYSHOP_AUTH_CLIENT_SECRET`` for the token orders shows
products.
"""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.kit.app import create_service_app
from subgraphs.kit.auth import JwtVerifier
from subgraphs.kit.auth.install import install_token_auth
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.orders.events import CONSUMERS
from subgraphs.orders.loaders import make_loaders
from subgraphs.orders.resources import order_resources
from subgraphs.orders.schema import LIVE, schema
from subgraphs.orders.settings import OrdersSettings, get_orders_settings


def create_app(
    settings: OrdersSettings | None = None,
    *,
    verify_tokens: bool = True,
    verifier: JwtVerifier | None = None,
    token_settings: TokenSettings | None = None,
) -> FastAPI:
    """The app; ``verifier`` replaces the JWKS-backed one (tests sign their own tokens)."""
    settings = settings or get_orders_settings()
    token_settings = token_settings or TokenSettings()
    app = create_service_app(
        "orders",
        schema,
        settings,
        loaders_factory=make_loaders,
        resources=order_resources(token_settings),
        verify_tokens=verify_tokens and verifier is None,
        event_consumers=CONSUMERS,
        publishes_events=True,
        live=LIVE,
    )
    if verifier is not None:
        install_token_auth(
            app, dev_mode=settings.dev_mode, settings=token_settings, verifier=verifier
        )
    return app


app = create_app()
