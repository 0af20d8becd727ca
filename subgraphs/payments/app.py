"""The payments service process: ``uvicorn subgraphs.payments.app:app`` (port 4005).

Settings come from ``POLYSHOP_*`` variables (see `PaymentsSettings`), e.g.
``POLYSHOP_DATABASE_URL`` (asyncpg URL of ``payment_db``), ``POLYSHOP_NATS_URL``,
``POLYSHOP_PAYMENTS_PROVIDER`` and ``POLYSHOP_PAYMENTS_RECONCILE_INTERVAL``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from subgraphs.kit.app import create_service_app
from subgraphs.payments.events import consumers
from subgraphs.payments.loaders import make_loaders
from subgraphs.payments.providers import PaymentProvider, close_provider, load_provider
from subgraphs.payments.reconciler import Reconciler
from subgraphs.payments.schema import live_spec, schema
from subgraphs.payments.settings import PaymentsRuntime, PaymentsSettings, get_payments_settings


def create_app(
    settings: PaymentsSettings | None = None,
    *,
    verify_tokens: bool = True,
    provider: PaymentProvider | None = None,
) -> FastAPI:
    """The app; its lifespan also runs the reconciler (``app.state.reconciler``)."""
    settings = settings or get_payments_settings()
    app = create_service_app(
        "payments",
        schema,
        settings,
        loaders_factory=make_loaders,
        verify_tokens=verify_tokens,
        event_consumers=consumers(settings.payments_orders_source),
        publishes_events=True,
        live=live_spec(settings.payments_event_source),
    )
    runtime = PaymentsRuntime(
        provider=provider or load_provider(settings.payments_provider, settings),
        event_source=settings.payments_event_source,
        provider_timeout=settings.payments_provider_timeout,
    )
    app.state.payments = runtime
    kit_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with kit_lifespan(app):
            reconciler = Reconciler(
                app.state.sessionmaker,
                runtime.provider,
                interval=settings.payments_reconcile_interval,
                older_than=settings.payments_reconcile_after,
                event_source=settings.payments_event_source,
                lookup_timeout=settings.payments_provider_timeout,
                limit=settings.payments_reconcile_batch,
            )
            app.state.reconciler = reconciler
            reconciler.start()
            try:
                yield
            finally:
                await reconciler.stop(grace=settings.shutdown_timeout)
                await close_provider(runtime.provider)

    app.router.lifespan_context = lifespan
    return app


app = create_app()
