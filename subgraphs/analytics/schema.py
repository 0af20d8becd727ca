"""The analytics subgraph's schema: sales reports and the rebuild of the rollups.

Every field is for admins and services (sales figures are the business's own). Days are UTC
calendar days, both ends of a range included; amounts are per currency. Print the committed
SDL with ``python -m subgraphs.analytics.schema > schema/analytics.graphql``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.federation.schema_directives import Authenticated, Key
from strawberry.federation.types import FieldSet

from subgraphs.analytics import service
from subgraphs.analytics.loaders import AnalyticsContext
from subgraphs.analytics.models import SalesDaily, SalesMonthly
from subgraphs.kit.auth.guards import require_grant
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.pagination import page_size
from subgraphs.kit.scalars import Money
from subgraphs.kit.schema import build_schema, print_sdl

TOP_PRODUCTS_MAX = 100


READ_SCOPE = "analytics:read"
"""Lets a service read the reports (admins may by their role)."""
WRITE_SCOPE = "analytics:write"
"""Lets a service rebuild the rollups (admins may by their role)."""


def _require_admin(
    info: strawberry.Info[AnalyticsContext, None], scope: str = READ_SCOPE
) -> AnalyticsContext:
    context = info.context
    require_grant(info, role=context.resources.admin_role, scope=scope, what="Analytics")
    return context


@strawberry.federation.type(name="Product", keys=[Key(fields=FieldSet("id"), resolvable=False)])
class ProductRef:
    id: strawberry.ID


@strawberry.type(name="SalesDay", description="Paid, uncancelled orders of one UTC day.")
class SalesDayType:
    date: date
    currency: str
    total_orders: int
    total_revenue: Money

    @classmethod
    def from_row(cls, row: SalesDaily) -> SalesDayType:
        return cls(
            date=row.date,
            currency=row.currency,
            total_orders=row.total_orders,
            total_revenue=Money(row.total_revenue),
        )


@strawberry.type(name="SalesMonth")
class SalesMonthType:
    year: int
    month: int
    currency: str
    total_orders: int
    total_revenue: Money

    @classmethod
    def from_row(cls, row: SalesMonthly) -> SalesMonthType:
        return cls(
            year=row.year,
            month=row.month,
            currency=row.currency,
            total_orders=row.total_orders,
            total_revenue=Money(row.total_revenue),
        )


@strawberry.type(name="ProductSales", description="What one product sold in a period.")
class ProductSalesType:
    product: ProductRef | None  # the products subgraph's: null when it is down
    currency: str
    units: int
    revenue: Money


@strawberry.type(name="RebuildResult")
class RebuildResultType:
    events: int = strawberry.field(description="Events replayed from events_raw.")
    orders: int
    days: int = strawberry.field(description="Days with sales after the rebuild.")


@strawberry.type
class Query:
    @strawberry.field(
        description="One row per day and currency with sales, `from` and `to` included.",
        directives=[Authenticated()],
    )
    async def sales_daily(
        self,
        info: strawberry.Info[AnalyticsContext, None],
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        currency: str | None = None,
    ) -> list[SalesDayType]:
        context = _require_admin(info)
        service.check_range(from_, to)
        async with context.db() as session:
            rows = await service.sales_daily(session, from_, to, currency)
        return [SalesDayType.from_row(row) for row in rows]

    @strawberry.field(
        description="One row per month and currency with sales in `year`.",
        directives=[Authenticated()],
    )
    async def sales_monthly(
        self, info: strawberry.Info[AnalyticsContext, None], year: int, currency: str | None = None
    ) -> list[SalesMonthType]:
        context = _require_admin(info)
        if not 1970 <= year <= 9999:
            raise BadUserInput("`year` is out of range", argument="year")
        async with context.db() as session:
            rows = await service.sales_monthly(session, year, currency)
        return [SalesMonthType.from_row(row) for row in rows]

    @strawberry.field(
        description="Best sellers by units (then revenue) between `from` and `to`, included.",
        directives=[Authenticated(), page_size(10, argument="limit", connection=False)],
    )
    async def top_products(
        self,
        info: strawberry.Info[AnalyticsContext, None],
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        limit: int = 10,
        currency: str | None = None,
    ) -> list[ProductSalesType]:
        context = _require_admin(info)
        service.check_range(from_, to)
        if not 1 <= limit <= TOP_PRODUCTS_MAX:
            raise BadUserInput(
                f"`limit` must be between 1 and {TOP_PRODUCTS_MAX}", argument="limit"
            )
        async with context.db() as session:
            rows = await service.top_products(session, from_, to, limit, currency)
        return [
            ProductSalesType(
                product=ProductRef(id=strawberry.ID(row.product_id)),
                currency=row.currency,
                units=row.units,
                revenue=Money(row.revenue),
            )
            for row in rows
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Admin (or a service granted analytics:write): recompute every order "
        "fact and rollup from events_raw.",
        directives=[Authenticated()],
    )
    async def rebuild_rollups(
        self, info: strawberry.Info[AnalyticsContext, None]
    ) -> RebuildResultType:
        context = _require_admin(info, WRITE_SCOPE)
        async with context.db() as session:
            result = await service.rebuild(session)
        return RebuildResultType(events=result.events, orders=result.orders, days=result.days)


schema = build_schema(query=Query, mutation=Mutation, types=[ProductRef])


def sdl() -> str:
    """The SDL to commit as ``schema/analytics.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
