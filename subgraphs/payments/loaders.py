"""The payments subgraph's dataloaders, created fresh for every request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select
from strawberry.dataloader import DataLoader

from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import SessionScope, by_column, rows_grouped_by
from subgraphs.payments.models import Payment
from subgraphs.payments.resources import PaymentsResources


@dataclass(frozen=True, slots=True)
class PaymentLoaders:
    payment: DataLoader[uuid.UUID, Payment | None]
    payments_of_order: DataLoader[str, list[Payment]]


PaymentContext = ServiceContext[PaymentLoaders, PaymentsResources]


def payments_of_orders(keys: list[str]) -> Select[Payment]:
    """Every attempt of each order, newest first, in one statement."""
    return (
        select(Payment)
        .where(Payment.order_id.in_(keys))
        .order_by(Payment.order_id, Payment.created_at.desc(), Payment.id.desc())
    )


def make_loaders(context: PaymentContext) -> PaymentLoaders:
    db: SessionScope = context.db
    return PaymentLoaders(
        payment=by_column(db, Payment, Payment.id),
        payments_of_order=rows_grouped_by(db, payments_of_orders, lambda row: row.order_id),
    )
