"""The orders subgraph's dataloaders, created fresh for every request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import SessionScope, by_column, grouped_by_column
from subgraphs.orders.models import Order, OrderItem
from subgraphs.orders.resources import OrderResources


@dataclass(frozen=True, slots=True)
class OrderLoaders:
    order: DataLoader[uuid.UUID, Order | None]
    items: DataLoader[uuid.UUID, list[OrderItem]]


OrderContext = ServiceContext[OrderLoaders, OrderResources]


def make_loaders(context: OrderContext) -> OrderLoaders:
    db: SessionScope = context.db
    return OrderLoaders(
        order=by_column(db, Order, Order.id),
        items=grouped_by_column(db, OrderItem, OrderItem.order_id, order_by=[OrderItem.id]),
    )
