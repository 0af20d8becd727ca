"""The products subgraph's dataloaders, created fresh for every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from strawberry.dataloader import DataLoader

from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import SessionScope, by_column, grouped_by_column, rows_grouped_by
from subgraphs.products.models import (
    Category,
    DiscountMethod,
    Product,
    ProductDiscount,
    ProductImage,
)
from subgraphs.products.settings import ProductsSettings


@dataclass(frozen=True, slots=True)
class ProductLoaders:
    # Entities resolve even when soft-deleted (old orders still show their product).
    product: DataLoader[int, Product | None]
    category: DataLoader[int, Category | None]
    discount_method: DataLoader[int, DiscountMethod | None]
    # Lists show live rows only.
    subcategories: DataLoader[int, list[Category]]
    category_products: DataLoader[int, list[Product]]
    images: DataLoader[int, list[ProductImage]]
    discounts: DataLoader[int, list[ProductDiscount]]
    active_discounts: DataLoader[int, list[ProductDiscount]]


ProductContext = ServiceContext[ProductLoaders, ProductsSettings]


def active_discounts_query(now: datetime) -> Any:
    """Discounts in force at ``now`` whose method still exists, per product key list."""

    def query(keys: list[int]) -> Select[ProductDiscount]:
        return (
            select(ProductDiscount)
            .join(DiscountMethod, DiscountMethod.id == ProductDiscount.discount_method_id)
            .where(
                ProductDiscount.product_id.in_(keys),
                ProductDiscount.active,
                ~ProductDiscount.is_deleted,
                ~DiscountMethod.is_deleted,
                ProductDiscount.start_date <= now,
                or_(ProductDiscount.end_date.is_(None), ProductDiscount.end_date >= now),
            )
            .order_by(ProductDiscount.id)
        )

    return query


def make_loaders(context: ProductContext) -> ProductLoaders:
    db: SessionScope = context.db
    return ProductLoaders(
        product=by_column(db, Product, Product.id),
        category=by_column(db, Category, Category.id),
        discount_method=by_column(db, DiscountMethod, DiscountMethod.id),
        subcategories=grouped_by_column(
            db,
            Category,
            Category.parent_id,
            where=[~Category.is_deleted],
            order_by=[Category.name, Category.id],
        ),
        category_products=grouped_by_column(
            db,
            Product,
            Product.category_id,
            where=[~Product.is_deleted],
            order_by=[Product.name, Product.id],
        ),
        images=grouped_by_column(
            db,
            ProductImage,
            ProductImage.product_id,
            order_by=[ProductImage.position, ProductImage.id],
        ),
        discounts=grouped_by_column(
            db,
            ProductDiscount,
            ProductDiscount.product_id,
            where=[~ProductDiscount.is_deleted],
            order_by=[ProductDiscount.start_date, ProductDiscount.id],
        ),
        active_discounts=rows_grouped_by(
            db, active_discounts_query(context.now), lambda d: d.product_id
        ),
    )
