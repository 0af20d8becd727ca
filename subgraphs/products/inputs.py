"""GraphQL input types and enums of the products subgraph."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from subgraphs.kit.scalars import Money
from subgraphs.products.pricing import DiscountKind

strawberry.enum(
    DiscountKind,
    name="DiscountKind",
    description="How a discount method computes a price (see Product.priceFor).",
)


@strawberry.enum(description="Orderings of Query.products; each ends with the id as tie-breaker.")
class ProductOrder(enum.Enum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NEWEST = "NEWEST"
    OLDEST = "OLDEST"


@strawberry.input
class ProductFilter:
    category_id: strawberry.ID | None = None
    include_subcategories: bool = strawberry.field(
        default=True, description="With categoryId: also products of all sub-categories."
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text found in the name or description."
    )
    min_price: Money | None = None
    max_price: Money | None = None
    brand: str | None = strawberry.field(default=None, description="Exact, case-insensitive.")
    active: bool | None = None
    currency: str | None = None


@strawberry.input
class CreateProductInput:
    name: str
    price: Money
    category_id: strawberry.ID
    currency: str = "USD"
    description: str | None = None
    brand: str | None = None
    active: bool = True
    image_url: str | None = None


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateProductInput:
    name: str | None = strawberry.UNSET
    price: Money | None = strawberry.UNSET
    category_id: strawberry.ID | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    brand: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    image_url: str | None = strawberry.UNSET


@strawberry.input
class CreateCategoryInput:
    name: str
    description: str | None = None
    parent_id: strawberry.ID | None = None


@strawberry.input(description="Only the fields given change; parentId null makes a root.")
class UpdateCategoryInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class AddProductImageInput:
    product_id: strawberry.ID
    url: str
    alt_text: str | None = None
    position: int | None = strawberry.field(
        default=None, description="Display position; after the last image when omitted."
    )


@strawberry.input
class CreateDiscountMethodInput:
    kind: DiscountKind
    description: str | None = None


@strawberry.input
class AddProductDiscountInput:
    product_id: strawberry.ID
    discount_method_id: strawberry.ID
    value: Money
    start_date: datetime
    end_date: datetime | None = None
    active: bool = True


def given(input_object: object) -> dict[str, Any]:
    """The fields of an update input that the client actually sent (UNSET dropped)."""
    return {
        name: value for name, value in vars(input_object).items() if value is not strawberry.UNSET
    }
