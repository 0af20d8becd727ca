"""The orders process's long-lived parts: its settings and the products client. Made when
the app starts (``create_service_app(resources=...)``), they reach resolvers as
``OrderContext.resources``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.kit.context import ResourcesFactory, ServiceProcess
from subgraphs.kit.tls import outgoing_context
from subgraphs.orders.catalog import ProductCatalog
from subgraphs.orders.settings import OrdersSettings


@dataclass(frozen=True, slots=True)
class OrderResources:
    settings: OrdersSettings
    catalog: ProductCatalog
    """Prices and checks products when an order is placed."""


def order_resources(
    token_settings: TokenSettings,
) -> ResourcesFactory[OrdersSettings, OrderResources]:
    """The resources factory; ``token_settings`` are the client credentials orders shows
    products."""

    @asynccontextmanager
    async def resources(process: ServiceProcess[OrdersSettings]) -> AsyncIterator[OrderResources]:
        settings = process.settings
        catalog = ProductCatalog.from_settings(
            settings.orders_products_url,
            timeout_seconds=settings.orders_products_timeout,
            token_settings=token_settings,
            tracer=process.telemetry.tracer,  # a client span around the call to products
            ssl=outgoing_context(settings),  # our client certificate, under mTLS without a mesh
        )
        try:
            yield OrderResources(settings=settings, catalog=catalog)
        finally:
            await catalog.aclose()

    return resources
