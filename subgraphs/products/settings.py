"""Settings of the products process (``POLYSHOP_*`` variables), the kit's plus its own."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from subgraphs.kit.settings import ServiceSettings

IMAGE_MAX_BYTES = 10 * 1024 * 1024


class ProductsSettings(ServiceSettings):
    service_name: str = "products"
    port: int = 4002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/product_db"
    public_url: str | None = None
    """Base URL browsers reach this service at (``POLYSHOP_PUBLIC_URL``); uploaded images'
    ``url`` is built from it. Unset: the base URL of the request that uploaded the image."""
    image_max_bytes: int = Field(default=IMAGE_MAX_BYTES, ge=1)
    """Largest uploaded image accepted (``uploadProductImage``)."""


@lru_cache(maxsize=1)
def get_products_settings() -> ProductsSettings:
    return ProductsSettings()
