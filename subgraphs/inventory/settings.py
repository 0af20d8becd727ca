"""Settings of the inventory process (``POLYSHOP_*`` variables, e.g. ``POLYSHOP_DATABASE_URL``,
the asyncpg URL of ``inventory_db``, and ``POLYSHOP_NATS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from subgraphs.kit.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    service_name: str = "inventory"
    port: int = 4003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/inventory_db"


@lru_cache(maxsize=1)
def get_inventory_settings() -> InventorySettings:
    return InventorySettings()
