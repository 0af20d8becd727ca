"""The inventory subgraph's dataloaders, created fresh for every request."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.inventory.models import Stock
from subgraphs.inventory.settings import InventorySettings
from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import by_column


@dataclass(frozen=True, slots=True)
class InventoryLoaders:
    # Stock rows by product id: any number of Product entities cost one SELECT.
    stock: DataLoader[int, Stock | None]


InventoryContext = ServiceContext[InventoryLoaders, InventorySettings]


def make_loaders(context: InventoryContext) -> InventoryLoaders:
    return InventoryLoaders(stock=by_column(context.db, Stock, Stock.product_id))
