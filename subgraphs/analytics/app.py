"""The analytics service process: ``uvicorn subgraphs.analytics.app:app`` (port 4007).

Consumes order, payment and stock events (durables ``analytics-orders``,
``analytics-payments``, ``analytics-inventory``) into ``events_raw`` and the rollups.
There is no demo data: the rollups come from real orders, and replaying the demo's events
(or ``rebuildRollups``) fills them.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import FastAPI

from subgraphs.analytics.events import consumers
from subgraphs.analytics.loaders import make_loaders
from subgraphs.analytics.schema import schema
from subgraphs.kit.app import create_service_app
from subgraphs.kit.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: str = "analytics"
    port: int = 4007
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/analytics_db"
    admin_role: str = "admin"


@lru_cache(maxsize=1)
def get_analytics_settings() -> AnalyticsSettings:
    return AnalyticsSettings()


def create_app(settings: AnalyticsSettings | None = None, *, verify_tokens: bool = True) -> FastAPI:
    return create_service_app(
        "analytics",
        schema,
        settings or get_analytics_settings(),
        loaders_factory=make_loaders,
        verify_tokens=verify_tokens,
        event_consumers=consumers(),
    )


app = create_app()
