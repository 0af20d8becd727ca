"""A realistic demo catalogue, the same on every machine (seeded random), loaded once.

``await load_demo_data(database_url)`` inserts a category tree, a few hundred products with
brands and images, the three discount methods and a mix of active, expired, future and
switched-off discounts. It does nothing when the catalogue already has products, and an
advisory lock keeps two concurrent callers from both loading.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from subgraphs.products.models import (
    Category,
    DiscountMethod,
    Product,
    ProductDiscount,
    ProductImage,
)
from subgraphs.products.pricing import DiscountKind

SEED = 20_240_601
PRODUCT_COUNT = 320
IMAGE_HOST = "https://images.polyshop.example"


@dataclass(frozen=True)
class Aisle:
    """A sub-category and what it sells."""

    name: str
    nouns: tuple[str, ...]
    brands: tuple[str, ...]
    price_range: tuple[int, int]


TREE: dict[str, tuple[str, tuple[Aisle, ...]]] = {
    "Electronics": (
        "Phones, computers and everything that needs a charger.",
        (
            Aisle(
                "Phones",
                ("Smartphone", "Phone case", "Charger", "Screen protector"),
                ("Nimbus", "Orbitel", "Pixelon"),
                (9, 1199),
            ),
            Aisle(
                "Laptops",
                ("Ultrabook", "Gaming laptop", "Laptop sleeve", "Docking station"),
                ("Corewise", "Aeron", "Lumina"),
                (25, 2499),
            ),
            Aisle(
                "Audio",
                ("Headphones", "Earbuds", "Bluetooth speaker", "Soundbar"),
                ("Sonique", "Bassline", "Hertz & Co"),
                (19, 599),
            ),
            Aisle(
                "Cameras",
                ("Mirrorless camera", "Action camera", "Tripod", "Lens"),
                ("Optiq", "Framecraft"),
                (29, 1899),
            ),
        ),
    ),
    "Home & Kitchen": (
        "Cook, clean and furnish.",
        (
            Aisle(
                "Cookware",
                ("Frying pan", "Dutch oven", "Saucepan", "Chef's knife"),
                ("Ironleaf", "Copperfield", "Kochwerk"),
                (15, 349),
            ),
            Aisle(
                "Small Appliances",
                ("Kettle", "Blender", "Toaster", "Coffee grinder"),
                ("Brewmaster", "Kitchenly"),
                (19, 499),
            ),
            Aisle(
                "Lighting",
                ("Desk lamp", "Floor lamp", "LED strip", "Pendant light"),
                ("Lumen House", "Glowworks"),
                (12, 389),
            ),
        ),
    ),
    "Fashion": (
        "Clothes, shoes and accessories.",
        (
            Aisle(
                "Shoes",
                ("Sneakers", "Boots", "Loafers", "Sandals"),
                ("Stride", "Cobbler & Sons", "Urbanfoot"),
                (29, 289),
            ),
            Aisle(
                "Outerwear",
                ("Rain jacket", "Down parka", "Wool coat", "Fleece"),
                ("Northwind", "Cloudline"),
                (39, 449),
            ),
            Aisle(
                "Accessories",
                ("Leather belt", "Wallet", "Sunglasses", "Scarf"),
                ("Atelier Nove", "Basics Co"),
                (9, 199),
            ),
        ),
    ),
    "Sports & Outdoors": (
        "Gear for running, riding and sleeping outside.",
        (
            Aisle(
                "Running",
                ("Trail shoe", "Running vest", "Sports watch", "Water bottle"),
                ("Stride", "Pacer"),
                (9, 449),
            ),
            Aisle(
                "Cycling",
                ("Bike helmet", "Bike light", "Saddle bag", "Cycling gloves"),
                ("Velo", "Chainring"),
                (12, 299),
            ),
            Aisle(
                "Camping",
                ("Tent", "Sleeping bag", "Camping stove", "Headlamp"),
                ("Basecamp", "Wildtrail"),
                (15, 699),
            ),
        ),
    ),
    "Books": (
        "Printed books.",
        (
            Aisle(
                "Fiction",
                ("Novel", "Short stories", "Thriller", "Fantasy saga"),
                ("Inkwell Press", "Paperlane"),
                (8, 39),
            ),
            Aisle(
                "Cooking",
                ("Baking book", "Vegetarian cookbook", "Grilling guide"),
                ("Inkwell Press", "Saffron Books"),
                (12, 49),
            ),
            Aisle(
                "Travel",
                ("City guide", "Hiking atlas", "Phrasebook"),
                ("Maps Inc", "Paperlane"),
                (9, 45),
            ),
        ),
    ),
    "Toys & Games": (
        "For children and for the children in adults.",
        (
            Aisle(
                "Board Games",
                ("Strategy game", "Party game", "Cooperative game"),
                ("Meeple Works", "Dicey"),
                (15, 99),
            ),
            Aisle(
                "Building Sets",
                ("Castle set", "Spaceship set", "Marble run"),
                ("Brickmate", "Buildo"),
                (19, 249),
            ),
            Aisle(
                "Puzzles", ("1000-piece puzzle", "3D puzzle", "Puzzle mat"), ("Piecewise",), (9, 59)
            ),
        ),
    ),
    "Beauty": (
        "Skincare and fragrance.",
        (
            Aisle(
                "Skincare",
                ("Face cream", "Serum", "Sunscreen", "Cleanser"),
                ("Dermalux", "Pure Botanica"),
                (7, 129),
            ),
            Aisle(
                "Fragrance",
                ("Eau de parfum", "Eau de toilette", "Scented candle"),
                ("Maison Ambre", "Nordic Scents"),
                (14, 189),
            ),
        ),
    ),
}

ADJECTIVES = (
    "Classic",
    "Pro",
    "Compact",
    "Ultra",
    "Essential",
    "Premium",
    "Eco",
    "Travel",
    "Smart",
    "Vintage",
    "Lite",
    "Max",
    "Signature",
    "Everyday",
    "Studio",
)
COLOURS = ("Black", "White", "Graphite", "Navy", "Sand", "Olive", "Red", "Silver")
METHOD_DESCRIPTIONS = {
    DiscountKind.PERCENTAGE: "A percentage off the unit price.",
    DiscountKind.FIXED_AMOUNT: "A fixed amount off the unit price, in the product's currency.",
    DiscountKind.BOGO: "Buy one, get one: every second unit is discounted by the value in percent.",
}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    cents = rng.choice(("0.99", "0.49", "0.00", "0.95", "0.50"))
    return Decimal(rng.randint(low, high - 1)) + Decimal(cents)


async def load_demo_data(database_url: str) -> int:
    """Load the demo catalogue into an empty product database; returns products inserted."""
    engine = create_async_engine(database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('polyshop.demo'))"))
            existing = await session.scalar(select(func.count()).select_from(Product))
            if existing:
                return 0
            return await _insert_catalogue(session, random.Random(SEED), datetime.now(UTC))
    finally:
        await engine.dispose()


async def _insert_catalogue(session: AsyncSession, rng: random.Random, now: datetime) -> int:
    aisles: list[tuple[Category, Aisle]] = []
    for root_name, (description, children) in TREE.items():
        root = Category(name=root_name, description=description)
        session.add(root)
        await session.flush()
        for aisle in children:
            child = Category(name=aisle.name, parent_id=root.id, description=f"{aisle.name}.")
            session.add(child)
            aisles.append((child, aisle))
    methods = {
        kind: DiscountMethod(name=kind.value, description=text_)
        for kind, text_ in METHOD_DESCRIPTIONS.items()
    }
    session.add_all(methods.values())
    await session.flush()

    products: list[Product] = []
    used_names: set[str] = set()
    while len(products) < PRODUCT_COUNT:
        category, aisle = rng.choice(aisles)
        brand = rng.choice(aisle.brands)
        noun = rng.choice(aisle.nouns)
        name = f"{brand} {rng.choice(ADJECTIVES)} {noun}"
        if name in used_names:
            name = f"{name} {rng.choice(COLOURS)}"
        if name in used_names:
            continue
        used_names.add(name)
        currency = rng.choices(("USD", "EUR", "GBP"), weights=(85, 10, 5))[0]
        slug = _slug(name)
        products.append(
            Product(
                name=name,
                description=f"{name}: a {noun.lower()} by {brand}, from our {aisle.name} aisle.",
                price=_price(rng, *aisle.price_range),
                currency=currency,
                brand=brand,
                active=rng.random() > 0.05,
                category_id=category.id,
                image_url=f"{IMAGE_HOST}/{slug}/0.jpg",
                service_origin="products-demo",
            )
        )
    session.add_all(products)
    await session.flush()

    for product in products:
        slug = _slug(product.name)
        for position in range(rng.randint(1, 3)):
            session.add(
                ProductImage(
                    product_id=product.id,
                    url=f"{IMAGE_HOST}/{slug}/{position}.jpg",
                    alt_text=f"{product.name}, view {position + 1}",
                    position=position,
                )
            )
        _add_discounts(session, rng, product, methods, now)
    for product in rng.sample(products, 4):  # a few retired products, still referable
        product.is_deleted = True
        product.deleted_at = now - timedelta(days=rng.randint(1, 90))
    await session.flush()
    return len(products)


def _add_discounts(
    session: AsyncSession,
    rng: random.Random,
    product: Product,
    methods: dict[DiscountKind, DiscountMethod],
    now: datetime,
) -> None:
    roll = rng.random()
    day = timedelta(days=1)
    if roll < 0.18:  # running percentage sale
        session.add(
            ProductDiscount(
                product_id=product.id,
                discount_method_id=methods[DiscountKind.PERCENTAGE].id,
                value=Decimal(rng.choice((5, 10, 15, 20, 25, 30, 40))),
                start_date=now - rng.randint(1, 20) * day,
                end_date=rng.choice((None, now + rng.randint(5, 30) * day)),
            )
        )
    elif roll < 0.28:  # expired fixed-amount promotion
        session.add(
            ProductDiscount(
                product_id=product.id,
                discount_method_id=methods[DiscountKind.FIXED_AMOUNT].id,
                value=min(Decimal(rng.choice((2, 5, 10, 20))), product.price),
                start_date=now - 60 * day,
                end_date=now - 30 * day,
            )
        )
    elif roll < 0.36:  # buy one, get one free or half price
        session.add(
            ProductDiscount(
                product_id=product.id,
                discount_method_id=methods[DiscountKind.BOGO].id,
                value=Decimal(rng.choice((50, 100))),
                start_date=now - 3 * day,
                end_date=now + 14 * day,
            )
        )
    elif roll < 0.40:  # announced for next week
        session.add(
            ProductDiscount(
                product_id=product.id,
                discount_method_id=methods[DiscountKind.PERCENTAGE].id,
                value=Decimal(20),
                start_date=now + 7 * day,
                end_date=now + 14 * day,
            )
        )
    elif roll < 0.43:  # paused by a merchandiser
        session.add(
            ProductDiscount(
                product_id=product.id,
                discount_method_id=methods[DiscountKind.FIXED_AMOUNT].id,
                value=Decimal(5),
                start_date=now - 5 * day,
                active=False,
            )
        )
