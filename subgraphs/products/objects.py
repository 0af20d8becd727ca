"""GraphQL object types of the products subgraph (entities ``Product`` and ``Category``).

Types are built from ORM rows with ``from_row``; related data comes through the request's
dataloaders, so any nesting costs one SQL statement per level and batch.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.ids import bigint_id
from subgraphs.kit.scalars import Money
from subgraphs.products import models
from subgraphs.products.loaders import ProductContext
from subgraphs.products.pricing import Discount, DiscountKind, effective_price, total_for

MAX_QUANTITY = 1_000_000


@strawberry.type(name="DiscountMethod")
class DiscountMethodType:
    id: strawberry.ID
    name: str = strawberry.field(description="The method's name, e.g. Percentage, BOGO.")
    kind: DiscountKind | None = strawberry.field(
        description="The computation behind this method; null for a name the service does "
        "not know (such discounts are ignored in prices)."
    )
    description: str | None
    is_deleted: bool
    version: int

    @classmethod
    def from_row(cls, row: models.DiscountMethod) -> DiscountMethodType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            kind=DiscountKind.of(row.name),
            description=row.description,
            is_deleted=row.is_deleted,
            version=row.row_version,
        )


@strawberry.type(name="ProductDiscount")
class ProductDiscountType:
    id: strawberry.ID
    value: Money = strawberry.field(
        description="Percent for Percentage and BOGO, an amount in the product's currency "
        "for FixedAmount."
    )
    start_date: datetime
    end_date: datetime | None
    active: bool
    is_deleted: bool
    version: int
    product_id: strawberry.Private[int]
    method_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.ProductDiscount) -> ProductDiscountType:
        return cls(
            id=strawberry.ID(str(row.id)),
            value=Money(row.value),
            start_date=row.start_date,
            end_date=row.end_date,
            active=row.active,
            is_deleted=row.is_deleted,
            version=row.row_version,
            product_id=row.product_id,
            method_id=row.discount_method_id,
        )

    @strawberry.field
    async def method(
        self, info: strawberry.Info[ProductContext, None]
    ) -> DiscountMethodType | None:
        row = await info.context.loaders.discount_method.load(self.method_id)
        return None if row is None else DiscountMethodType.from_row(row)

    @strawberry.field
    async def product(self, info: strawberry.Info[ProductContext, None]) -> ProductType | None:
        row = await info.context.loaders.product.load(self.product_id)
        return None if row is None else ProductType.from_row(row)


@strawberry.type(name="ProductImage")
class ProductImageType:
    id: strawberry.ID
    url: str
    alt_text: str | None
    position: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.ProductImage) -> ProductImageType:
        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            alt_text=row.alt_text,
            position=row.position,
            created_at=row.created_at,
        )


@strawberry.federation.type(name="Category", keys=["id"])
class CategoryType:
    id: strawberry.ID
    name: str
    description: str | None
    is_deleted: bool
    deleted_at: datetime | None
    created_at: datetime
    modified_at: datetime
    version: int = strawberry.field(description="Row version; send it back to update.")
    key: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Category) -> CategoryType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            is_deleted=row.is_deleted,
            deleted_at=row.deleted_at,
            created_at=row.created_at,
            modified_at=row.modified_at,
            version=row.row_version,
            key=row.id,
            parent_id=row.parent_id,
        )

    @classmethod
    async def resolve_reference(
        cls, info: strawberry.Info[ProductContext, None], id: strawberry.ID
    ) -> CategoryType | None:
        key = bigint_id(id)
        if key is None:
            return None
        row = await info.context.loaders.category.load(key)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    async def parent(self, info: strawberry.Info[ProductContext, None]) -> CategoryType | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.category.load(self.parent_id)
        return None if row is None else CategoryType.from_row(row)

    @strawberry.field(description="Live sub-categories, by name.")
    async def children(self, info: strawberry.Info[ProductContext, None]) -> list[CategoryType]:
        rows = await info.context.loaders.subcategories.load(self.key)
        return [CategoryType.from_row(row) for row in rows]

    @strawberry.field(
        description="Live products directly in this category, by name (use "
        "Query.products(filter: {categoryId}) for sub-categories and paging)."
    )
    async def products(self, info: strawberry.Info[ProductContext, None]) -> list[ProductType]:
        rows = await info.context.loaders.category_products.load(self.key)
        return [ProductType.from_row(row) for row in rows]


@strawberry.federation.type(name="Product", keys=["id"])
class ProductType:
    id: strawberry.ID
    name: str
    description: str | None
    price: Money = strawberry.field(description="List price, before discounts.")
    currency: str = strawberry.field(description="ISO 4217 code of every amount of this product.")
    brand: str | None
    active: bool = strawberry.field(description="Whether the product is offered for sale.")
    image_url: str | None
    is_deleted: bool
    deleted_at: datetime | None
    created_at: datetime
    modified_at: datetime
    version: int = strawberry.field(description="Row version; send it back to update.")
    key: strawberry.Private[int]
    category_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Product) -> ProductType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            price=Money(row.price),
            currency=row.currency,
            brand=row.brand,
            active=row.active,
            image_url=row.image_url,
            is_deleted=row.is_deleted,
            deleted_at=row.deleted_at,
            created_at=row.created_at,
            modified_at=row.modified_at,
            version=row.row_version,
            key=row.id,
            category_id=row.category_id,
        )

    @classmethod
    async def resolve_reference(
        cls, info: strawberry.Info[ProductContext, None], id: strawberry.ID
    ) -> ProductType | None:
        """Soft-deleted products still resolve (with isDeleted) for the orders that name them."""
        key = bigint_id(id)
        if key is None:
            return None
        row = await info.context.loaders.product.load(key)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    async def category(self, info: strawberry.Info[ProductContext, None]) -> CategoryType | None:
        row = await info.context.loaders.category.load(self.category_id)
        return None if row is None else CategoryType.from_row(row)

    @strawberry.field(description="Gallery images, in display order.")
    async def images(self, info: strawberry.Info[ProductContext, None]) -> list[ProductImageType]:
        rows = await info.context.loaders.images.load(self.key)
        return [ProductImageType.from_row(row) for row in rows]

    @strawberry.field(description="All discounts of the product that are not deleted.")
    async def discounts(
        self, info: strawberry.Info[ProductContext, None]
    ) -> list[ProductDiscountType]:
        rows = await info.context.loaders.discounts.load(self.key)
        return [ProductDiscountType.from_row(row) for row in rows]

    @strawberry.field(description="Discounts in force now.")
    async def active_discounts(
        self, info: strawberry.Info[ProductContext, None]
    ) -> list[ProductDiscountType]:
        rows = await info.context.loaders.active_discounts.load(self.key)
        return [ProductDiscountType.from_row(row) for row in rows]

    async def _discounts_now(self, info: strawberry.Info[ProductContext, None]) -> list[Discount]:
        loaders = info.context.loaders
        rows = await loaders.active_discounts.load(self.key)
        methods = await loaders.discount_method.load_many([row.discount_method_id for row in rows])
        found: list[Discount] = []
        for row, method in zip(rows, methods, strict=True):
            kind = None if method is None else DiscountKind.of(method.name)
            if kind is not None:
                found.append(Discount(kind, row.value))
        return found

    @strawberry.field(
        description="Unit price after the best Percentage or FixedAmount discount in force "
        "now (discounts do not stack); the list price when none applies."
    )
    async def effective_price(self, info: strawberry.Info[ProductContext, None]) -> Money:
        return Money(effective_price(self.price, await self._discounts_now(info)))

    @strawberry.field(
        description="Total for `quantity` units with the cheapest single discount in force "
        "now, BOGO included (BOGO: in each pair, the second unit is `value` percent off)."
    )
    async def price_for(self, info: strawberry.Info[ProductContext, None], quantity: int) -> Money:
        if quantity < 1 or quantity > MAX_QUANTITY:
            raise BadUserInput(
                f"`quantity` must be between 1 and {MAX_QUANTITY}", argument="quantity"
            )
        return Money(total_for(self.price, quantity, await self._discounts_now(info)))
