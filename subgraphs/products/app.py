"""The products service process: ``uvicorn subgraphs.products.app:app`` (port 4002).

Settings come from ``POLYSHOP_*`` variables, e.g. ``POLYSHOP_DATABASE_URL`` (asyncpg URL of
``product_db``) and ``POLYSHOP_DEV_MODE``.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from subgraphs.kit.app import create_service_app
from subgraphs.kit.settings import ServiceSettings
from subgraphs.products.loaders import make_loaders
from subgraphs.products.schema import schema


class ProductsSettings(ServiceSettings):
    service_name: str = "products"
    port: int = 4002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/product_db"


@lru_cache(maxsize=1)
def get_products_settings() -> ProductsSettings:
    return ProductsSettings()


def create_app(settings: ServiceSettings | None = None, *, verify_tokens: bool = True) -> FastAPI:
    return create_service_app(
        "products",
        schema,
        settings or get_products_settings(),
        loaders_factory=make_loaders,
        verify_tokens=verify_tokens,
    )


app = create_app()
