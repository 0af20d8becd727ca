"""The catalogue's events: what a product write announces, in the write's own transaction.

Every function here adds one outbox row (``product.outbox``) to the session of the write it
describes (`subgraphs.kit.events.outbox`): the row commits exactly when the change does, and
a write that fails (bad input, stale version, a constraint) leaves no event behind. The relay
of the process publishes the rows on ``polyshop.products.<event type>``; the router's entity
cache drops the product's entries on them (docs/router.md, ``entity_cache``), which is what
keeps a change made past the router (a tool talking to the subgraph, a migration script
using these functions) from being served stale.

The payloads are the kit's contracts (`subgraphs.kit.events.contracts`): ``product.created``,
``product.updated`` (``changed`` names the fields; ``images`` and ``discounts`` for the
gallery and the discounts), ``product.deleted`` and ``product.restored``. No consumer among
our services reads them today; a consumer of another source never sees them (one stream per
producing service).

Category and discount-method writes announce nothing: they change many products at once and
are rare; the router drops their entries from the mutation's answer (``invalidate_type``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.kit.events import add_event, new_event
from subgraphs.kit.events.contracts import (
    ProductCreated,
    ProductDeleted,
    ProductRestored,
    ProductUpdated,
)
from subgraphs.products.models import EVENT_TABLES, Product

SERVICE = "products"


async def product_created(session: AsyncSession, product: Product) -> None:
    """After the new row's flush (it needs its id and version)."""
    created = ProductCreated(
        product_id=str(product.id),
        version=product.row_version,
        category_id=str(product.category_id),
        name=product.name,
        price=product.price,
        currency=product.currency,
        active=product.active,
    )
    await add_event(session, new_event(SERVICE, created), tables=EVENT_TABLES)


async def product_updated(session: AsyncSession, product: Product, changed: Iterable[str]) -> None:
    """After the change's flush; nothing when ``changed`` is empty (no change, no event)."""
    names = sorted(set(changed))
    if not names:
        return
    updated = ProductUpdated(
        product_id=str(product.id),
        version=product.row_version,
        changed=names,
        name=product.name,
        price=product.price,
        currency=product.currency,
        active=product.active,
    )
    await add_event(session, new_event(SERVICE, updated), tables=EVENT_TABLES)


async def product_deleted(session: AsyncSession, product: Product) -> None:
    deleted = ProductDeleted(product_id=str(product.id), version=product.row_version)
    await add_event(session, new_event(SERVICE, deleted), tables=EVENT_TABLES)


async def product_restored(session: AsyncSession, product: Product) -> None:
    restored = ProductRestored(product_id=str(product.id), version=product.row_version)
    await add_event(session, new_event(SERVICE, restored), tables=EVENT_TABLES)
