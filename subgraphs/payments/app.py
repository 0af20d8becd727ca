"""The payments service process: ``uvicorn subgraphs.payments.app:app`` (port 4005).

Settings come from ``POLYSHOP_*`` variables (see `PaymentsSettings`), e.g.
``POLYSHOP_DATABASE_URL`` (asyncpg URL of ``payment_db``), ``POLYSHOP_NATS_URL``,
``POLYSHOP_PAYMENTS_PROVIDER`` and ``POLYSHOP_PAYMENTS_RECONCILE_INTERVAL``.
"""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.kit.app import create_service_app
from subgraphs.payments.events import consumers
from subgraphs.payments.loaders import make_loaders
from subgraphs.payments.providers import PaymentProvider
from subgraphs.payments.resources import payments_resources
from subgraphs.payments.schema import live_spec, schema
from subgraphs.payments.settings import PaymentsSettings, get_payments_settings


def create_app(
    settings: PaymentsSettings | None = None,
    *,
    verify_tokens: bool = True,
    provider: PaymentProvider | None = None,
) -> FastAPI:
    """The app; it also runs the reconciler (``app.state.resources.reconciler``)."""
    settings = settings or get_payments_settings()
    return create_service_app(
        "payments",
        schema,
        settings,
        loaders_factory=make_loaders,
        resources=payments_resources(provider),
        verify_tokens=verify_tokens,
        event_consumers=consumers(settings.payments_orders_source),
        publishes_events=True,
        live=live_spec(settings.payments_event_source),
    )


app = create_app()
