"""A kit service for subprocess tests: ``uvicorn tests.support.slow_app:app``.

Settings come from ``POLYSHOP_*`` variables like any service; ``slow(seconds)`` holds a
database connection for that long (``pg_sleep``), so requests can be caught in flight.
"""

from __future__ import annotations

import strawberry
from sqlalchemy import text

from subgraphs.kit import ServiceContext, ServiceSettings, build_schema, create_service_app


@strawberry.type
class Query:
    @strawberry.field
    async def slow(self, info: strawberry.Info, seconds: float) -> float:
        context: ServiceContext[None, None] = info.context
        async with context.db() as session:
            await session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return seconds


app = create_service_app(
    "slow",
    build_schema(query=Query),
    ServiceSettings(service_name="slow"),
    loaders_factory=lambda _c: None,
    verify_tokens=False,
)
