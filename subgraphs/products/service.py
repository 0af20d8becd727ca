"""Business rules of the catalogue. Every write validates its input first and raises
`BadUserInput`/`NotFound`/`Conflict` before touching the database; the database's own
constraints stay as the safety net (mapped by the kit's error policy).

Functions take the request's session and flush, never commit: the request's transaction
commits only when the whole operation succeeded. A product write also records its event in
the same session (`subgraphs.products.events`), so the event commits with it or not at all.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from subgraphs.kit.errors import BadUserInput, Conflict, NotFound
from subgraphs.kit.pagination import Page, SortKey, paginate
from subgraphs.products import events
from subgraphs.products import validation as check
from subgraphs.products.models import (
    Category,
    DiscountMethod,
    Product,
    ProductDiscount,
    ProductImage,
    ProductImageFile,
)
from subgraphs.products.pricing import DiscountKind

SERVICE_ORIGIN = "products"

# Friendly messages for the database constraints (the safety net behind the checks here).
CONSTRAINT_MESSAGES = {
    "categories_name_key": "A category with this name already exists",
    "discount_methods_method_name_key": "A discount method with this name already exists",
    "products_price_check": "`price` must not be negative",
    "products_category_id_fkey": "The category does not exist",
    "ck_products_currency_iso4217": "`currency` must be an ISO 4217 currency code",
    "ck_products_name_not_blank": "`name` must not be empty",
    "ck_categories_name_not_blank": "`name` must not be empty",
    "ck_categories_parent_not_self": "A category cannot be its own parent",
    "categories_parent_id_fkey": "The parent category does not exist or still has children",
    "product_discounts_check": "`endDate` must not be before `startDate`",
    "product_discounts_end_date_check": "`endDate` must not be before `startDate`",
    "product_discounts_discount_value_check": "`value` must not be negative",
    "product_discounts_product_id_fkey": "The product does not exist",
    "product_discounts_discount_method_id_fkey": "The discount method does not exist",
    "product_images_product_id_fkey": "The product does not exist",
    "ck_product_images_url_not_blank": "`url` must not be empty",
    "ck_product_images_position": "`position` must not be negative",
}

Row = TypeVar("Row", Product, Category, DiscountMethod, ProductDiscount)


@dataclass(frozen=True, slots=True)
class Origin:
    """Who asked for a write: stored on product rows for tracing across services."""

    correlation_id: uuid.UUID | None = None

    @classmethod
    def from_header(cls, value: str | None) -> Origin:
        try:
            return cls(uuid.UUID(value)) if value else cls()
        except ValueError:
            return cls()


def _now() -> datetime:
    return datetime.now(UTC)


async def _fetch(session: AsyncSession, model: type[Row], row_id: int, label: str) -> Row:
    row = await session.get(model, row_id, populate_existing=True)
    if row is None:
        raise NotFound(f"{label} {row_id} does not exist", id=str(row_id))
    return row


def _expect_version(row: Product | Category, expected: int | None, label: str) -> None:
    if expected is not None and row.row_version != expected:
        raise Conflict(
            f"{label} {row.id} is at version {row.row_version}, not {expected}; "
            "reload it and try again",
            currentVersion=row.row_version,
        )


def _soft_delete(row: Row) -> None:
    if not row.is_deleted:
        row.is_deleted = True
        row.deleted_at = _now()


def _restore(row: Row) -> None:
    if row.is_deleted:
        row.is_deleted = False
        row.deleted_at = None


# --- categories -------------------------------------------------------------------------


async def live_category(session: AsyncSession, category_id: int, *, field: str) -> Category:
    """A category a product or sub-category may point at (exists, not deleted)."""
    category = await session.get(Category, category_id)
    if category is None:
        raise BadUserInput(f"Category {category_id} does not exist", field=field)
    if category.is_deleted:
        raise BadUserInput(f"Category {category_id} is deleted", field=field)
    return category


async def _check_category_name(
    session: AsyncSession, name: str, *, except_id: int | None = None
) -> None:
    query = select(Category.id, Category.is_deleted).where(
        func.lower(Category.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(Category.id != except_id)
    clash = (await session.execute(query)).first()
    if clash is not None:
        hint = " (it is deleted: restore it instead)" if clash.is_deleted else ""
        raise BadUserInput(f"A category named {name!r} already exists{hint}", field="name")


async def _ancestor_ids(session: AsyncSession, category_id: int) -> set[int]:
    """The category and all its ancestors (recursive CTE: one statement)."""
    tree = (
        select(Category.id.label("id"), Category.parent_id.label("parent_id"))
        .where(Category.id == category_id)
        .cte("ancestors", recursive=True)
    )
    parent = select(Category.id, Category.parent_id).join(tree, Category.id == tree.c.parent_id)
    tree = tree.union(parent)
    return set((await session.scalars(select(tree.c.id))).all())


async def create_category(
    session: AsyncSession,
    *,
    name: str,
    description: str | None = None,
    parent_id: int | None = None,
) -> Category:
    clean_name = check.name(name)
    clean_description = check.optional_text(
        description, field="description", limit=check.DESCRIPTION_MAX
    )
    if parent_id is not None:
        await live_category(session, parent_id, field="parentId")
    await _check_category_name(session, clean_name)
    category = Category(name=clean_name, description=clean_description, parent_id=parent_id)
    session.add(category)
    await session.flush()
    return category


async def update_category(
    session: AsyncSession, category_id: int, expected_version: int, changes: Mapping[str, Any]
) -> Category:
    category = await _fetch(session, Category, category_id, "Category")
    _expect_version(category, expected_version, "Category")
    if category.is_deleted:
        raise BadUserInput(f"Category {category_id} is deleted; restore it first", field="id")
    if "name" in changes:
        clean_name = check.name(changes["name"])
        await _check_category_name(session, clean_name, except_id=category_id)
        category.name = clean_name
    if "description" in changes:
        category.description = check.optional_text(
            changes["description"], field="description", limit=check.DESCRIPTION_MAX
        )
    if "parent_id" in changes:
        parent_id = changes["parent_id"]
        if parent_id is not None:
            await live_category(session, parent_id, field="parentId")
            if category_id in await _ancestor_ids(session, parent_id):
                raise BadUserInput(
                    "A category cannot move under itself or one of its sub-categories",
                    field="parentId",
                )
        category.parent_id = parent_id
    await session.flush()
    return category


async def delete_category(
    session: AsyncSession, category_id: int, expected_version: int | None = None
) -> Category:
    category = await _fetch(session, Category, category_id, "Category")
    _expect_version(category, expected_version, "Category")
    if category.is_deleted:
        return category
    products = await session.scalar(
        select(func.count())
        .select_from(Product)
        .where(Product.category_id == category_id, ~Product.is_deleted)
    )
    children = await session.scalar(
        select(func.count())
        .select_from(Category)
        .where(Category.parent_id == category_id, ~Category.is_deleted)
    )
    if products or children:
        raise BadUserInput(
            f"Category {category_id} still has {products} product(s) and {children} "
            "sub-categories; move or delete them first",
            field="id",
        )
    _soft_delete(category)
    await session.flush()
    return category


async def restore_category(
    session: AsyncSession, category_id: int, expected_version: int | None = None
) -> Category:
    category = await _fetch(session, Category, category_id, "Category")
    _expect_version(category, expected_version, "Category")
    if category.parent_id is not None and category.is_deleted:
        await live_category(session, category.parent_id, field="parentId")
    _restore(category)
    await session.flush()
    return category


# --- products ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewProduct:
    name: str
    price: Decimal
    category_id: int
    currency: str = "USD"
    description: str | None = None
    brand: str | None = None
    active: bool = True
    image_url: str | None = None


async def create_product(session: AsyncSession, data: NewProduct, origin: Origin) -> Product:
    product = Product(
        name=check.name(data.name),
        price=check.money(data.price, field="price"),
        currency=check.currency(data.currency),
        description=check.optional_text(
            data.description, field="description", limit=check.DESCRIPTION_MAX
        ),
        brand=check.optional_text(data.brand, field="brand", limit=check.BRAND_MAX),
        active=data.active,
        image_url=check.url(data.image_url, field="imageUrl", limit=check.IMAGE_URL_MAX),
        category_id=data.category_id,
        correlation_id=origin.correlation_id,
        service_origin=SERVICE_ORIGIN,
    )
    await live_category(session, data.category_id, field="categoryId")
    session.add(product)
    await session.flush()
    await events.product_created(session, product)
    return product


_PRODUCT_FIELDS = {
    "name",
    "price",
    "currency",
    "description",
    "brand",
    "active",
    "image_url",
    "category_id",
}


async def update_product(
    session: AsyncSession,
    product_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    origin: Origin,
) -> Product:
    """Applies the given fields only; a stale ``expected_version`` fails with CONFLICT."""
    unknown = set(changes) - _PRODUCT_FIELDS
    if unknown:
        raise BadUserInput(f"Unknown product fields: {sorted(unknown)}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            clean[key] = check.name(value)
        elif key == "price":
            clean[key] = check.money(_required(value, "price"), field="price")
        elif key == "currency":
            clean[key] = check.currency(_required(value, "currency"))
        elif key == "description":
            clean[key] = check.optional_text(
                value, field="description", limit=check.DESCRIPTION_MAX
            )
        elif key == "brand":
            clean[key] = check.optional_text(value, field="brand", limit=check.BRAND_MAX)
        elif key == "image_url":
            clean[key] = check.url(value, field="imageUrl", limit=check.IMAGE_URL_MAX)
        elif key == "active":
            clean[key] = bool(_required(value, "active"))
        elif key == "category_id":
            clean[key] = _required(value, "categoryId")
    product = await _fetch(session, Product, product_id, "Product")
    _expect_version(product, expected_version, "Product")
    if product.is_deleted:
        raise BadUserInput(f"Product {product_id} is deleted; restore it first", field="id")
    if "category_id" in clean:
        await live_category(session, clean["category_id"], field="categoryId")
    changed = [key for key, value in clean.items() if getattr(product, key) != value]
    for key, value in clean.items():
        setattr(product, key, value)
    product.correlation_id = origin.correlation_id
    await session.flush()
    await events.product_updated(session, product, changed)
    return product


def _required(value: Any, field_name: str) -> Any:
    if value is None:
        raise BadUserInput(f"`{field_name}` cannot be null", field=field_name)
    return value


async def delete_product(
    session: AsyncSession, product_id: int, expected_version: int | None = None
) -> Product:
    product = await _fetch(session, Product, product_id, "Product")
    _expect_version(product, expected_version, "Product")
    if product.is_deleted:
        return product
    _soft_delete(product)
    await session.flush()
    await events.product_deleted(session, product)
    return product


async def restore_product(
    session: AsyncSession, product_id: int, expected_version: int | None = None
) -> Product:
    product = await _fetch(session, Product, product_id, "Product")
    _expect_version(product, expected_version, "Product")
    if not product.is_deleted:
        return product
    await live_category(session, product.category_id, field="categoryId")
    _restore(product)
    await session.flush()
    await events.product_restored(session, product)
    return product


# --- images -----------------------------------------------------------------------------


async def add_image(
    session: AsyncSession,
    product_id: int,
    *,
    url: str,
    alt_text: str | None = None,
    position: int | None = None,
) -> ProductImage:
    clean_url = check.url(url, field="url", limit=check.GALLERY_URL_MAX)
    if clean_url is None:
        raise BadUserInput("`url` must not be empty", field="url")
    clean_alt = check.optional_text(alt_text, field="altText", limit=check.ALT_TEXT_MAX)
    if position is not None and position < 0:
        raise BadUserInput("`position` must not be negative", field="position")
    product = await _fetch(session, Product, product_id, "Product")
    if product.is_deleted:
        raise BadUserInput(f"Product {product_id} is deleted", field="productId")
    if position is None:
        last = await session.scalar(
            select(func.max(ProductImage.position)).where(ProductImage.product_id == product_id)
        )
        position = 0 if last is None else last + 1
    image = ProductImage(
        product_id=product_id, url=clean_url, alt_text=clean_alt, position=position
    )
    session.add(image)
    await session.flush()
    await events.product_updated(session, product, ["images"])
    return image


IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def image_type(data: bytes) -> str | None:
    """The image type of ``data`` from its first bytes (PNG, JPEG, GIF, WebP); None for
    anything else. The client's Content-Type is a claim; these bytes are what browsers get."""
    for magic, content_type in IMAGE_TYPES.items():
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def add_uploaded_image(
    session: AsyncSession,
    product_id: int,
    data: bytes,
    *,
    url_for: Callable[[int], str],
    alt_text: str | None = None,
    position: int | None = None,
    max_bytes: int,
) -> ProductImage:
    """A gallery image whose bytes are stored here (``product_image_files``) and served by
    ``GET /images/<id>``; ``url_for(image_id)`` is that address. Only PNG, JPEG, GIF and WebP
    are accepted, up to ``max_bytes``."""
    if not data:
        raise BadUserInput("The uploaded file is empty", field="file")
    if len(data) > max_bytes:
        raise BadUserInput(f"The image exceeds the limit of {max_bytes} bytes", field="file")
    content_type = image_type(data)
    if content_type is None:
        raise BadUserInput("The uploaded file is not a PNG, JPEG, GIF or WebP image", field="file")
    # The address needs the row's id: a provisional one until the flush gives it (same
    # transaction, never seen outside).
    image = await add_image(
        session, product_id, url=url_for(0), alt_text=alt_text, position=position
    )
    image.url = url_for(image.id)
    session.add(
        ProductImageFile(
            image_id=image.id,
            content_type=content_type,
            byte_size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
    )
    await session.flush()
    return image


async def image_file(session: AsyncSession, image_id: int) -> ProductImageFile | None:
    """The stored bytes of an uploaded image (None: no such image, or not an uploaded one)."""
    return await session.scalar(
        select(ProductImageFile)
        .where(ProductImageFile.image_id == image_id)
        .options(undefer(ProductImageFile.data))
    )


async def remove_image(session: AsyncSession, image_id: int) -> int:
    """Deletes the image row (images are not referenced elsewhere); returns its product id."""
    image = await session.get(ProductImage, image_id)
    if image is None:
        raise NotFound(f"Image {image_id} does not exist", id=str(image_id))
    product_id = image.product_id
    await session.delete(image)
    await session.flush()
    product = await _fetch(session, Product, product_id, "Product")
    await events.product_updated(session, product, ["images"])
    return product_id


# --- discounts --------------------------------------------------------------------------


async def create_discount_method(
    session: AsyncSession, kind: DiscountKind, description: str | None = None
) -> DiscountMethod:
    clash = await session.scalar(select(DiscountMethod).where(DiscountMethod.name == kind.value))
    if clash is not None:
        hint = " (it is deleted: restore it instead)" if clash.is_deleted else ""
        raise BadUserInput(f"The discount method {kind.value!r} already exists{hint}", field="kind")
    method = DiscountMethod(
        name=kind.value,
        description=check.optional_text(
            description, field="description", limit=check.DESCRIPTION_MAX
        ),
    )
    session.add(method)
    await session.flush()
    return method


async def set_discount_method_deleted(
    session: AsyncSession, method_id: int, *, deleted: bool
) -> DiscountMethod:
    method = await _fetch(session, DiscountMethod, method_id, "Discount method")
    if deleted:
        _soft_delete(method)
    else:
        _restore(method)
    await session.flush()
    return method


@dataclass(frozen=True, slots=True)
class NewDiscount:
    product_id: int
    discount_method_id: int
    value: Decimal
    start_date: datetime
    end_date: datetime | None = None
    active: bool = True


def _check_discount_value(kind: DiscountKind | None, value: Decimal) -> Decimal:
    clean = check.money(value, field="value")
    if kind in {DiscountKind.PERCENTAGE, DiscountKind.BOGO} and clean > 100:
        raise BadUserInput(f"A {kind.value} discount is a percentage: at most 100", field="value")
    if kind is DiscountKind.BOGO and clean == 0:
        raise BadUserInput("A BOGO discount needs a percentage above 0", field="value")
    return clean


async def add_discount(session: AsyncSession, data: NewDiscount) -> ProductDiscount:
    check.date_range(data.start_date, data.end_date)
    product = await session.get(Product, data.product_id)
    if product is None or product.is_deleted:
        raise BadUserInput(f"Product {data.product_id} does not exist", field="productId")
    method = await session.get(DiscountMethod, data.discount_method_id)
    if method is None or method.is_deleted:
        raise BadUserInput(
            f"Discount method {data.discount_method_id} does not exist", field="discountMethodId"
        )
    discount = ProductDiscount(
        product_id=data.product_id,
        discount_method_id=data.discount_method_id,
        value=_check_discount_value(DiscountKind.of(method.name), data.value),
        start_date=data.start_date,
        end_date=data.end_date,
        active=data.active,
    )
    session.add(discount)
    await session.flush()
    await events.product_updated(session, product, ["discounts"])
    return discount


async def remove_discount(session: AsyncSession, discount_id: int) -> ProductDiscount:
    discount = await _fetch(session, ProductDiscount, discount_id, "Discount")
    if discount.is_deleted:
        return discount
    _soft_delete(discount)
    await session.flush()
    product = await _fetch(session, Product, discount.product_id, "Product")
    await events.product_updated(session, product, ["discounts"])
    return discount


# --- listing ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductQuery:
    category_id: int | None = None
    include_subcategories: bool = True
    search: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    brand: str | None = None
    active: bool | None = None
    currency: str | None = None

    def validated(self) -> ProductQuery:
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise BadUserInput("`minPrice` must not exceed `maxPrice`", field="minPrice")
        if self.search is not None and len(self.search) > 200:
            raise BadUserInput("`search` is longer than 200 characters", field="search")
        return self


ORDERINGS: dict[str, SortKey] = {
    "NAME_ASC": SortKey("NAME_ASC", (Product.name, Product.id)),
    "NAME_DESC": SortKey("NAME_DESC", (Product.name, Product.id), descending=True),
    "PRICE_ASC": SortKey("PRICE_ASC", (Product.price, Product.id)),
    "PRICE_DESC": SortKey("PRICE_DESC", (Product.price, Product.id), descending=True),
    "NEWEST": SortKey("NEWEST", (Product.created_at, Product.id), descending=True),
    "OLDEST": SortKey("OLDEST", (Product.created_at, Product.id)),
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered_products(query: ProductQuery) -> Select[Product]:
    """Live products matching the filter; sub-categories via a recursive CTE."""
    statement = select(Product).where(~Product.is_deleted)
    if query.category_id is not None:
        if query.include_subcategories:
            tree = (
                select(Category.id.label("id"))
                .where(Category.id == query.category_id, ~Category.is_deleted)
                .cte("subtree", recursive=True)
            )
            tree = tree.union_all(
                select(Category.id).where(Category.parent_id == tree.c.id, ~Category.is_deleted)
            )
            statement = statement.where(Product.category_id.in_(select(tree.c.id)))
        else:
            statement = statement.where(Product.category_id == query.category_id)
    if query.search:
        pattern = f"%{_escape_like(query.search.strip())}%"
        statement = statement.where(
            or_(
                Product.name.ilike(pattern, escape="\\"),
                Product.description.ilike(pattern, escape="\\"),
            )
        )
    if query.min_price is not None:
        statement = statement.where(Product.price >= query.min_price)
    if query.max_price is not None:
        statement = statement.where(Product.price <= query.max_price)
    if query.brand:
        statement = statement.where(func.lower(Product.brand) == query.brand.strip().lower())
    if query.active is not None:
        statement = statement.where(Product.active == literal(query.active))
    if query.currency:
        statement = statement.where(Product.currency == query.currency.strip().upper())
    return statement


async def list_products(
    session: AsyncSession,
    query: ProductQuery,
    *,
    order: str,
    first: int,
    after: str | None,
) -> Page[Product]:
    return await paginate(
        session, filtered_products(query.validated()), ORDERINGS[order], first=first, after=after
    )


async def count_products(session: AsyncSession, query: ProductQuery) -> int:
    subquery = filtered_products(query).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def list_categories(
    session: AsyncSession, *, include_deleted: bool = False, roots_only: bool = False
) -> list[Category]:
    statement = select(Category).order_by(Category.name, Category.id)
    if not include_deleted:
        statement = statement.where(~Category.is_deleted)
    if roots_only:
        statement = statement.where(Category.parent_id.is_(None))
    return list((await session.scalars(statement)).all())


async def list_discount_methods(session: AsyncSession) -> list[DiscountMethod]:
    statement = select(DiscountMethod).where(~DiscountMethod.is_deleted).order_by(DiscountMethod.id)
    return list((await session.scalars(statement)).all())
