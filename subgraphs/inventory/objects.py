"""GraphQL types of inventory: the ``Product`` entity's stock fields and reservations.

``Product`` belongs to the products subgraph; this one only adds ``stock`` and ``inStock``,
so resolving a reference costs nothing and the fields share one batched stock query.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from subgraphs.inventory import models
from subgraphs.inventory.loaders import InventoryContext
from subgraphs.kit.ids import bigint_id


@strawberry.type(name="StockLevel")
class StockLevelType:
    available: int = strawberry.field(description="Units that can be ordered now.")
    reserved: int = strawberry.field(description="Units held for orders awaiting payment.")

    @classmethod
    def from_row(cls, row: models.Stock | None) -> StockLevelType:
        """A product without a stock row has none of either."""
        if row is None:
            return cls(available=0, reserved=0)
        return cls(available=row.available, reserved=row.reserved)


@strawberry.federation.type(name="Product", keys=["id"])
class ProductType:
    id: strawberry.ID
    key: strawberry.Private[int]

    @classmethod
    def of(cls, product_id: int) -> ProductType:
        return cls(id=strawberry.ID(str(product_id)), key=product_id)

    @classmethod
    def from_row(cls, row: models.Stock) -> ProductType:
        return cls.of(row.product_id)

    @classmethod
    async def resolve_reference(
        cls, info: strawberry.Info[InventoryContext, None], id: strawberry.ID
    ) -> ProductType | None:
        key = bigint_id(id)
        return None if key is None else cls.of(key)

    @strawberry.field(description="Units available and reserved; 0/0 when never stocked.")
    async def stock(self, info: strawberry.Info[InventoryContext, None]) -> StockLevelType | None:
        return StockLevelType.from_row(await info.context.loaders.stock.load(self.key))

    @strawberry.field(description="Whether at least one unit can be ordered now.")
    async def in_stock(self, info: strawberry.Info[InventoryContext, None]) -> bool | None:
        row = await info.context.loaders.stock.load(self.key)
        return row is not None and row.available > 0


@strawberry.enum(name="ReservationStatus")
class ReservationStatusType(Enum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    CONFIRMED = "CONFIRMED"


@strawberry.type(name="Reservation")
class ReservationType:
    id: strawberry.ID
    order_id: strawberry.ID
    quantity: int
    status: ReservationStatusType
    created_at: datetime
    updated_at: datetime
    product_key: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Reservation) -> ReservationType:
        return cls(
            id=strawberry.ID(str(row.id)),
            order_id=strawberry.ID(row.order_id),
            quantity=row.quantity,
            status=ReservationStatusType(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            product_key=row.product_id,
        )

    @strawberry.field(description="The reserved product (its catalogue fields come from products).")
    def product(self) -> ProductType | None:
        return ProductType.of(self.product_key)
