"""The payments subgraph's dataloaders, created fresh for every request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on
from strawberry.dataloader import DataLoader

from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import SessionScope, by_column, rows_by_key
from subgraphs.payments.models import Payment


@dataclass(frozen=True, slots=True)
class PaymentLoaders:
    payment: DataLoader[uuid.UUID, Payment | None]
    latest_payment: DataLoader[str, Payment | None]


PaymentContext = ServiceContext[PaymentLoaders]


def latest_payments(keys: list[str]) -> Select[Payment]:
    """The newest payment of each order, in one statement (``DISTINCT ON``)."""
    return (
        select(Payment)
        .where(Payment.order_id.in_(keys))
        .ext(distinct_on(Payment.order_id))
        .order_by(Payment.order_id, Payment.created_at.desc(), Payment.id.desc())
    )


def make_loaders(context: ServiceContext[PaymentLoaders]) -> PaymentLoaders:
    db: SessionScope = context.db
    return PaymentLoaders(
        payment=by_column(db, Payment, Payment.id),
        latest_payment=rows_by_key(db, latest_payments, lambda row: row.order_id),
    )
