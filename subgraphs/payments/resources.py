"""The payments process's long-lived parts: its settings, the payment provider and the
reconciler. Made when the app starts (``create_service_app(resources=...)``), they reach
resolvers as ``PaymentContext.resources``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from subgraphs.kit.context import ResourcesFactory, ServiceProcess
from subgraphs.payments.providers import PaymentProvider, close_provider, load_provider
from subgraphs.payments.reconciler import Reconciler
from subgraphs.payments.settings import PaymentsSettings


@dataclass(frozen=True, slots=True)
class PaymentsResources:
    settings: PaymentsSettings
    provider: PaymentProvider
    reconciler: Reconciler
    """Settles payments the provider answered too late for (runs while the app does)."""


def payments_resources(
    provider: PaymentProvider | None = None,
) -> ResourcesFactory[PaymentsSettings, PaymentsResources]:
    """The resources factory; ``provider`` replaces the one ``payments_provider`` names. The
    provider is closed when the app stops, after the reconciler."""

    @asynccontextmanager
    async def resources(
        process: ServiceProcess[PaymentsSettings],
    ) -> AsyncIterator[PaymentsResources]:
        settings = process.settings
        chosen = provider or load_provider(settings.payments_provider, settings)
        reconciler = Reconciler(
            process.sessionmaker,
            chosen,
            interval=settings.payments_reconcile_interval,
            older_than=settings.payments_reconcile_after,
            event_source=settings.payments_event_source,
            lookup_timeout=settings.payments_provider_timeout,
            limit=settings.payments_reconcile_batch,
        )
        reconciler.start()
        try:
            yield PaymentsResources(settings=settings, provider=chosen, reconciler=reconciler)
        finally:
            try:
                await reconciler.stop(grace=settings.shutdown_timeout)
            finally:
                await close_provider(chosen)

    return resources
