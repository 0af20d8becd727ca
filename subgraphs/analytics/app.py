"""The analytics service process: ``uvicorn subgraphs.analytics.app:app`` (port 4007).

Consumes order, payment and stock events (durables ``analytics-orders``,
``analytics-payments``, ``analytics-inventory``) into ``events_raw`` and the rollups.
There is no demo data: the rollups come from real orders, and replaying the demo's events
(or ``rebuildRollups``) fills them. Settings: `subgraphs.analytics.settings`.
"""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.analytics.events import consumers
from subgraphs.analytics.loaders import make_loaders
from subgraphs.analytics.schema import schema
from subgraphs.analytics.settings import AnalyticsSettings, get_analytics_settings
from subgraphs.kit.app import create_service_app
from subgraphs.kit.context import settings_only


def create_app(settings: AnalyticsSettings | None = None, *, verify_tokens: bool = True) -> FastAPI:
    return create_service_app(
        "analytics",
        schema,
        settings or get_analytics_settings(),
        loaders_factory=make_loaders,
        resources=settings_only,
        verify_tokens=verify_tokens,
        event_consumers=consumers(),
    )


app = create_app()
