"""GraphQL object types of the orders subgraph: the ``Order`` entity, its items, and the
``Product`` and ``User`` entities it refers to (their other fields live in products and
auth; orders adds ``User.orders``)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.federation.schema_directives import Authenticated, Key
from strawberry.federation.types import FieldSet

from subgraphs.kit.auth.errors import Forbidden
from subgraphs.kit.auth.guards import identity_of
from subgraphs.kit.ids import uuid_id
from subgraphs.kit.pagination import Connection, check_page_size, page_size
from subgraphs.kit.scalars import Money
from subgraphs.orders import models, service
from subgraphs.orders.loaders import OrderContext

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100


@strawberry.federation.type(name="Product", keys=[Key(fields=FieldSet("id"), resolvable=False)])
class ProductRef:
    """A product of the products subgraph; orders knows only its id."""

    id: strawberry.ID


@strawberry.type(name="OrderItem")
class OrderItemType:
    id: strawberry.ID
    product_id: strawberry.ID
    quantity: int
    unit_price: Money = strawberry.field(description="The product's price when ordered.")
    total_price: Money = strawberry.field(description="unitPrice times quantity.")

    @classmethod
    def from_row(cls, row: models.OrderItem) -> OrderItemType:
        return cls(
            id=strawberry.ID(str(row.id)),
            product_id=strawberry.ID(str(row.product_id)),
            quantity=row.quantity,
            unit_price=Money(row.unit_price),
            total_price=Money(row.total_price),
        )

    @strawberry.field(description="Still resolvable when the product was deleted since.")
    def product(self) -> ProductRef | None:
        return ProductRef(id=self.product_id)


@strawberry.federation.type(name="Order", keys=["id"])
class OrderType:
    id: strawberry.ID
    number: int = strawberry.field(description="The order number shown to people.")
    status: models.OrderStatus
    currency: str
    total_amount: Money
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    key: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: models.Order) -> OrderType:
        return cls(
            id=strawberry.ID(str(row.id)),
            number=row.number,
            status=row.status,
            currency=row.currency,
            total_amount=Money(row.total_amount),
            cancel_reason=row.cancel_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.row_version,
            key=row.id,
            user_id=row.user_id,
        )

    @classmethod
    async def resolve_reference(
        cls, info: strawberry.Info[OrderContext, None], id: strawberry.ID
    ) -> OrderType | None:
        """Visible to its customer, admins and services allowed to read orders."""
        key = uuid_id(id)
        if key is None:
            return None
        row = await info.context.loaders.order.load(key)
        if row is None or not service.can_view(identity_of(info), row):
            return None
        return cls.from_row(row)

    @strawberry.field
    async def items(self, info: strawberry.Info[OrderContext, None]) -> list[OrderItemType]:
        rows = await info.context.loaders.items.load(self.key)
        return [OrderItemType.from_row(row) for row in rows]

    @strawberry.field
    def user(self) -> UserType | None:
        return UserType(id=strawberry.ID(str(self.user_id)))


@strawberry.federation.type(name="User", keys=["id"])
class UserType:
    """A user of the auth subgraph; orders adds the user's orders."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> UserType:
        return cls(id=id)

    @strawberry.field(
        description="Newest first; visible to the user, admins and services with orders:read.",
        directives=[Authenticated(), page_size(PAGE_SIZE_DEFAULT)],
    )
    async def orders(
        self,
        info: strawberry.Info[OrderContext, None],
        status: models.OrderStatus | None = None,
        first: int | None = PAGE_SIZE_DEFAULT,
        after: str | None = None,
    ) -> Connection[OrderType] | None:
        user_id = uuid_id(self.id)
        if user_id is None:
            return None
        if not service.can_list_for(identity_of(info), user_id):
            raise Forbidden("Only the user, an admin or a service may list these orders")
        return await order_page(info, user_id, status=status, first=first, after=after)


async def order_page(
    info: strawberry.Info[OrderContext, None],
    user_id: uuid.UUID,
    *,
    status: models.OrderStatus | None,
    first: int | None,
    after: str | None,
) -> Connection[OrderType]:
    context = info.context
    size = check_page_size(first, default=PAGE_SIZE_DEFAULT, maximum=PAGE_SIZE_MAX)
    async with context.db() as session:
        page = await service.list_orders(session, user_id, status=status, first=size, after=after)
    for row in page.rows:
        context.loaders.order.prime(row.id, row)

    async def count_total() -> int:
        statement = service.orders_of(user_id, status)
        async with context.db() as session:
            return await service.count(session, statement)

    return page.to_connection(OrderType.from_row, count_total)
