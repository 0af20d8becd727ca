"""The orders subgraph's dataloaders, created fresh for every request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import SessionScope, by_column, grouped_by_column
from subgraphs.orders.catalog import ProductCatalog
from subgraphs.orders.models import Order, OrderItem


@dataclass(frozen=True, slots=True)
class OrderLoaders:
    order: DataLoader[uuid.UUID, Order | None]
    items: DataLoader[uuid.UUID, list[OrderItem]]


OrderContext = ServiceContext[OrderLoaders]


def make_loaders(context: ServiceContext[OrderLoaders]) -> OrderLoaders:
    db: SessionScope = context.db
    return OrderLoaders(
        order=by_column(db, Order, Order.id),
        items=grouped_by_column(db, OrderItem, OrderItem.order_id, order_by=[OrderItem.id]),
    )


def catalog_of(context: OrderContext) -> ProductCatalog:
    """The process's products client, made by the app's lifespan."""
    request = context.request
    catalog = getattr(request.app.state, "catalog", None) if request is not None else None
    if not isinstance(catalog, ProductCatalog):
        raise RuntimeError("the orders app's lifespan has not started its product catalogue")
    return catalog
