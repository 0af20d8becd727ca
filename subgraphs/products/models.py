"""SQLAlchemy models of schema ``product`` (DDL in ``migrations/products``).

The kit's event tables live in the same schema (``product.outbox``, ``product.inbox``:
`EVENT_TABLES`), so a catalogue write and the event announcing it commit together.

``row_version`` and ``modified_at`` are set by the database trigger on every UPDATE, so the
mapper reads them back (RETURNING) and uses ``row_version`` as its version counter: an
UPDATE whose row moved underneath it matches no row and fails instead of overwriting.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    DateTime,
    FetchedValue,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    Uuid,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from subgraphs.kit.events import add_event_tables

SCHEMA = "product"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


EVENT_TABLES = add_event_tables(Base.metadata, schema=SCHEMA)


def _pk(name: str) -> Mapped[int]:
    return mapped_column(name, BigInteger, Identity(always=True), primary_key=True)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _modified() -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), server_onupdate=FetchedValue()
    )


def _version() -> Mapped[int]:
    return mapped_column(BigInteger, server_default=text("1"), server_onupdate=FetchedValue())


def _versioned(version: Any) -> dict[str, Any]:
    return {"version_id_col": version, "version_id_generator": False, "eager_defaults": True}


class SoftDeleted:
    """Rows are never deleted by the service: they are flagged and kept for references."""

    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_deleted: Mapped[bool] = mapped_column(Boolean, server_default=false())


class Category(SoftDeleted, Base):
    __tablename__ = "categories"

    id: Mapped[int] = _pk("category_id")
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("product.categories.category_id", onupdate="CASCADE", ondelete="RESTRICT"),
    )
    created_at: Mapped[datetime] = _created()
    modified_at: Mapped[datetime] = _modified()
    row_version: Mapped[int] = _version()

    __mapper_args__ = _versioned(row_version)


class Product(SoftDeleted, Base):
    __tablename__ = "products"

    id: Mapped[int] = _pk("product_id")
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(CHAR(3), server_default=text("'USD'"))
    brand: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    category_id: Mapped[int] = mapped_column(
        ForeignKey("product.categories.category_id", onupdate="CASCADE", ondelete="RESTRICT"),
    )
    image_url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created()
    modified_at: Mapped[datetime] = _modified()
    correlation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    service_origin: Mapped[str | None] = mapped_column(String(50))
    row_version: Mapped[int] = _version()

    __mapper_args__ = _versioned(row_version)


class ProductImage(Base):
    __tablename__ = "product_images"

    id: Mapped[int] = _pk("image_id")
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.products.product_id", onupdate="CASCADE", ondelete="CASCADE")
    )
    url: Mapped[str] = mapped_column(String(2048))
    alt_text: Mapped[str | None] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = _created()
    modified_at: Mapped[datetime] = _modified()
    row_version: Mapped[int] = _version()

    __mapper_args__ = _versioned(row_version)


class ProductImageFile(Base):
    """The bytes of an uploaded image (``uploadProductImage``), one row per image, kept apart
    from ``product_images`` so that listing images never reads them (see
    docs/decisions/0014-product-images-in-postgresql.md)."""

    __tablename__ = "product_image_files"

    image_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("product.product_images.image_id", onupdate="CASCADE", ondelete="CASCADE"),
        primary_key=True,
    )
    content_type: Mapped[str] = mapped_column(String(100))
    byte_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(CHAR(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = _created()


class DiscountMethod(SoftDeleted, Base):
    __tablename__ = "discount_methods"

    id: Mapped[int] = _pk("discount_method_id")
    name: Mapped[str] = mapped_column("method_name", String(50), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    modified_at: Mapped[datetime] = _modified()
    row_version: Mapped[int] = _version()

    __mapper_args__ = _versioned(row_version)


class ProductDiscount(SoftDeleted, Base):
    __tablename__ = "product_discounts"

    id: Mapped[int] = _pk("product_discount_id")
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.products.product_id", onupdate="CASCADE", ondelete="CASCADE"),
    )
    discount_method_id: Mapped[int] = mapped_column(
        ForeignKey(
            "product.discount_methods.discount_method_id", onupdate="CASCADE", ondelete="RESTRICT"
        )
    )
    value: Mapped[Decimal] = mapped_column("discount_value", Numeric(10, 2))
    start_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = _created()
    modified_at: Mapped[datetime] = _modified()
    row_version: Mapped[int] = _version()

    __mapper_args__ = _versioned(row_version)
