"""Settings of the analytics process (``POLYSHOP_*`` variables), the kit's plus its own."""

from __future__ import annotations

from functools import lru_cache

from subgraphs.kit.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: str = "analytics"
    port: int = 4007
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/analytics_db"
    admin_role: str = "admin"


@lru_cache(maxsize=1)
def get_analytics_settings() -> AnalyticsSettings:
    return AnalyticsSettings()
