"""Settings of the orders process (``POLYSHOP_*``; the products URL is
``POLYSHOP_ORDERS_PRODUCTS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from subgraphs.kit.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    service_name: str = "orders"
    port: int = 4004
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/order_db"

    orders_products_url: str = "http://127.0.0.1:4002/graphql"
    orders_products_timeout: float = Field(default=5.0, gt=0)
    orders_max_items: int = Field(default=100, ge=1)
    orders_max_quantity: int = Field(default=1000, ge=1)


@lru_cache(maxsize=1)
def get_orders_settings() -> OrdersSettings:
    return OrdersSettings()
