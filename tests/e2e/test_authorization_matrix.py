"""Who may do what: every root field, mutation and entity field of the supergraph, for five
callers, through the router and straight at the subgraph, on a real `polyshop up`.

The table `ROWS` is the contract: for each field (or group of fields that share a rule) the
outcome for an anonymous caller, a customer (Alice) acting on her own data, another customer
(Bob) acting on Alice's, an admin, and a service with its own client-credentials token (the
`orders` client: products:read users:read inventory:read, as orders uses to read prices).

Each row runs twice per caller: through the router (which adds its own token, and forwards the
caller's in ``X-PolyShop-User-Token``) and at the owning subgraph directly, with the caller's
token as bearer; entity fields are asked with ``_entities`` there. The dev stack's subgraphs
accept token-less calls (dev mode), so "anonymous" reaches the resolvers on both paths.

Outcomes: ``ok`` (a value, no error), ``null`` (no value, no error: the record is hidden),
``denied`` (no value; every error is UNAUTHENTICATED, FORBIDDEN or the router's
UNAUTHORIZED_FIELD_OR_TYPE), or another error code the call failed with after it was let in
(e.g. CONFLICT when an admin tries to fulfil an unpaid order) — so mutations that would change
shared data are asked in a form that passes authorization and then fails harmlessly.

`test_every_field_of_the_supergraph_has_a_row` derives the field list from the committed
supergraph and subgraph SDLs: a field added without a row here fails.
"""

from __future__ import annotations

import base64
import inspect
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from graphql import parse
from graphql.language import (
    BooleanValueNode,
    DirectiveNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
)

from polyshop.devstack.demo_flow import ADMIN, ALICE, BOB, DEMO_PASSWORD
from polyshop.services import SERVICES
from tests.e2e.test_stack_up import RunningStack, running_stack

REPO_ROOT = Path(__file__).resolve().parents[2]
CALLERS = ("anonymous", "customer", "other_customer", "admin", "service")
PATHS = ("router", "subgraph")
DENIED_CODES = {"UNAUTHENTICATED", "FORBIDDEN", "UNAUTHORIZED_FIELD_OR_TYPE"}
SERVICE_CLIENT = "orders"
OK, NULL, DENIED = "ok", "null", "denied"

Variables = Mapping[str, Any] | Callable[["World"], Any]


def everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(CALLERS, outcome)


def only(allowed: dict[str, str], otherwise: str = DENIED) -> dict[str, str]:
    return {caller: allowed.get(caller, otherwise) for caller in CALLERS}


PUBLIC = everyone(OK)
ADMIN_ONLY = only({"admin": OK})
SIGNED_IN = only({"customer": OK, "other_customer": OK, "admin": OK, "service": OK})
OWNER_OR_ADMIN_HIDDEN = only({"customer": OK, "admin": OK}, NULL)


@dataclass(frozen=True)
class Row:
    """One rule. ``fields`` are the coordinates it covers: ``Query.x``/``Mutation.x`` for root
    fields, ``<subgraph>:Type.field`` for entity fields. ``path`` leads to the value judged
    (router and root-field calls); ``entity_query`` is the ``_entities`` selection for entity
    rows, judged at ``_entities[0]`` plus ``entity_path``."""

    fields: tuple[str, ...]
    subgraph: str
    query: str
    path: tuple[str, ...]
    expect: dict[str, str]
    variables: Variables = field(default_factory=dict)
    entity: tuple[str, str] | None = None
    """(typename, world attribute holding the key) for entity rows."""
    entity_query: str = ""
    entity_path: tuple[str, ...] = ()
    router_expect: dict[str, str] = field(default_factory=dict)
    """Where the router answers otherwise (its @authenticated/@policy refusals)."""

    @property
    def name(self) -> str:
        return self.fields[0] if len(self.fields) == 1 else f"{self.fields[0]}+{len(self.fields)}"


@dataclass
class World:
    """Tokens and ids the rows refer to, made once through the router."""

    http: aiohttp.ClientSession
    stack: RunningStack
    tokens: dict[str, str | None] = field(default_factory=dict)
    alice_id: str = ""
    bob_id: str = ""
    alice_paid_order: str = ""
    alice_awaiting_order: str = ""
    alice_payment: str = ""
    product: str = ""
    spare_product: str = ""
    category: str = ""

    async def router(self, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
        return await post(self.http, self.stack.router_url, query, token, variables)

    async def fresh_alice_order(self) -> str:
        """A new order of Alice's, awaiting payment or just created (cancellable)."""
        body = await self.router(
            PLACE, self.tokens["customer"], input=order_input(self.product), key=new_key()
        )
        assert "errors" not in body, body
        order_id: str = body["data"]["placeOrder"]["id"]
        return order_id

    async def refresh_token(self) -> str:
        body = await self.router(LOGIN_FULL, None, e=ALICE, p=DEMO_PASSWORD)
        token: str = body["data"]["login"]["refreshToken"]
        return token


async def post(
    http: aiohttp.ClientSession,
    url: str,
    query: str,
    token: str | None,
    variables: Mapping[str, Any],
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    payload = {"query": query, "variables": dict(variables)}
    async with http.post(url, json=payload, headers=headers) as response:
        assert response.status < 500, (response.status, await response.text())
        body: dict[str, Any] = await response.json(content_type=None)
    return body


def new_key() -> str:
    return f"matrix-{uuid.uuid4().hex}"


def order_input(product: str) -> dict[str, Any]:
    return {"items": [{"productId": product, "quantity": 1}], "currency": "USD"}


def sales_window() -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}


LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
LOGIN_FULL = """mutation($e: String!, $p: String!) {
  login(email: $e, password: $p) { accessToken refreshToken user { id } }
}"""
PLACE = """mutation($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id status }
}"""
CARD = {"number": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123"}
NO_SUCH_ID = "999999999"
STALE = 999999

ORDER_FIELDS = """id number status currency totalAmount cancelReason createdAt updatedAt version
  items { id productId quantity unitPrice totalPrice product { id } } user { id }"""
PAYMENT_FIELDS = """id amount currency status provider providerRef failureCode failureReason
  cardBrand cardLast4 createdAt updatedAt order { id }"""
PRODUCT_FIELDS = """id name description price currency brand active imageUrl isDeleted deletedAt
  createdAt modifiedAt version category { id } images { id } discounts { id }
  activeDiscounts { id } effectivePrice priceFor(quantity: 2)"""
CATEGORY_FIELDS = """id name description isDeleted deletedAt createdAt modifiedAt version
  parent { id } children { id } products { id }"""


def coordinates(owner: str, names: str) -> tuple[str, ...]:
    """``owner`` is ``subgraph:Type``; ``names`` its fields, space-separated."""
    return tuple(f"{owner}.{name}" for name in names.split())


def alice(w: World) -> dict[str, Any]:
    return {"id": w.alice_id}


ROWS: tuple[Row, ...] = (
    # ---- analytics: admins (or a service granted analytics:read/write) ----
    Row(
        ("Query.salesDaily",),
        "analytics",
        "query($from: Date!, $to: Date!) { salesDaily(from: $from, to: $to) { date } }",
        ("salesDaily",),
        ADMIN_ONLY,
        lambda w: sales_window(),
    ),
    Row(
        ("Query.salesMonthly",),
        "analytics",
        "query($y: Int!) { salesMonthly(year: $y) { month } }",
        ("salesMonthly",),
        ADMIN_ONLY,
        lambda w: {"y": datetime.now(UTC).year},
    ),
    Row(
        ("Query.topProducts",),
        "analytics",
        "query($from: Date!, $to: Date!) { topProducts(from: $from, to: $to) { units } }",
        ("topProducts",),
        ADMIN_ONLY,
        lambda w: sales_window(),
    ),
    Row(
        ("Mutation.rebuildRollups",),
        "analytics",
        "mutation { rebuildRollups { events } }",
        ("rebuildRollups",),
        ADMIN_ONLY,
    ),
    # ---- auth ----
    Row(
        ("Query.me",),
        "auth",
        "{ me { id } }",
        ("me",),
        only({"customer": OK, "other_customer": OK, "admin": OK}, NULL),
    ),
    Row(
        ("Query.user",),
        "auth",
        "query($id: ID!) { user(id: $id) { id } }",
        ("user",),
        SIGNED_IN,
        alice,
    ),
    Row(
        ("auth:User.id", "auth:User.name", "auth:User.createdAt", "auth:User.roles"),
        "auth",
        "query($id: ID!) { user(id: $id) { id name createdAt roles } }",
        ("user",),
        SIGNED_IN,
        alice,
        entity=("User", "alice_id"),
        entity_query="... on User { id name createdAt roles }",
    ),
    Row(
        ("auth:User.email",),
        "auth",
        "query($id: ID!) { user(id: $id) { email } }",
        ("user", "email"),
        only({"customer": OK, "admin": OK, "service": OK}),  # service: users:read
        alice,
        entity=("User", "alice_id"),
        entity_query="... on User { email }",
        entity_path=("email",),
    ),
    Row(
        ("Mutation.register",),
        "auth",
        """mutation($input: RegisterInput!) { register(input: $input) { accessToken } }""",
        ("register",),
        PUBLIC,
        lambda w: {
            "input": {
                "email": f"matrix-{uuid.uuid4().hex[:12]}@example.com",
                "password": "matrix-password",
                "name": "Matrix",
            }
        },
    ),
    Row(
        ("Mutation.login",),
        "auth",
        LOGIN,
        ("login",),
        PUBLIC,
        {"e": BOB, "p": DEMO_PASSWORD},
    ),
    Row(
        ("Mutation.refreshToken",),
        "auth",
        "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
        ("refreshToken",),
        PUBLIC,
        lambda w: _refresh(w),
    ),
    Row(
        ("Mutation.logout",),
        "auth",
        'mutation { logout(refreshToken: "no-such-token") }',
        ("logout",),
        PUBLIC,
    ),
    Row(
        ("Mutation.changePassword",),
        "auth",
        """mutation($p: String!) {
          changePassword(currentPassword: $p, newPassword: $p) { accessToken }
        }""",
        ("changePassword",),
        # Let in, then refused for reusing the password: nobody's password changes.
        only(
            {
                "customer": "BAD_USER_INPUT",
                "other_customer": "BAD_USER_INPUT",
                "admin": "BAD_USER_INPUT",
            }
        ),
        {"p": DEMO_PASSWORD},
    ),
    Row(
        ("Mutation.grantRole",),
        "auth",
        'mutation($u: ID!) { grantRole(userId: $u, role: "customer") { id } }',
        ("grantRole",),
        ADMIN_ONLY,
        lambda w: {"u": w.bob_id},
    ),
    Row(
        ("Mutation.revokeRole",),
        "auth",
        'mutation($u: ID!) { revokeRole(userId: $u, role: "no-such-role") { id } }',
        ("revokeRole",),
        only({"admin": "BAD_USER_INPUT"}),
        lambda w: {"u": w.bob_id},
    ),
    # ---- inventory ----
    Row(
        ("Query.reservations",),
        "inventory",
        "query($o: ID!) { reservations(orderId: $o) { orderId } }",
        ("reservations",),
        only({"admin": OK, "service": OK}),  # service: inventory:read
        lambda w: {"o": w.alice_paid_order},
    ),
    Row(
        ("inventory:Product.id", "inventory:Product.stock", "inventory:Product.inStock"),
        "inventory",
        "query($id: ID!) { product(id: $id) { id stock { available reserved } inStock } }",
        ("product",),
        PUBLIC,
        lambda w: {"id": w.product},
        entity=("Product", "product"),
        entity_query="... on Product { id stock { available reserved } inStock }",
    ),
    Row(
        ("Mutation.setStock",),
        "inventory",
        "mutation($p: ID!) { setStock(productId: $p, available: 1000) { id } }",
        ("setStock",),
        ADMIN_ONLY,
        lambda w: {"p": w.product},
    ),
    Row(
        ("Mutation.adjustStock",),
        "inventory",
        "mutation($p: ID!) { adjustStock(productId: $p, delta: 1) { id } }",
        ("adjustStock",),
        ADMIN_ONLY,
        lambda w: {"p": w.product},
    ),
    # ---- notifications ----
    Row(
        ("Query.notificationLogs",),
        "notifications",
        "{ notificationLogs(first: 3) { edges { node { recipient subject body } } } }",
        ("notificationLogs",),
        ADMIN_ONLY,  # a service needs notifications:read, which orders lacks
    ),
    Row(
        ("Query.notificationTemplates",),
        "notifications",
        "{ notificationTemplates }",
        ("notificationTemplates",),
        PUBLIC,
    ),
    Row(
        ("notifications:User.id", "notifications:User.notifications"),
        "notifications",
        "query($id: ID!) { user(id: $id) { id notifications(first: 3) { id recipient } } }",
        # User.notifications is nullable (notifications contributes it to auth's User), so a
        # refusal nulls the field, not the user: judge the field.
        ("user", "notifications"),
        only({"customer": OK, "admin": OK}),
        alice,
        entity=("User", "alice_id"),
        entity_query="... on User { id notifications(first: 3) { id recipient } }",
        entity_path=("notifications",),
    ),
    Row(
        ("Mutation.saveRecipient",),
        "notifications",
        """mutation($u: ID!) {
          saveRecipient(userId: $u, email: "matrix@example.com") { userId }
        }""",
        ("saveRecipient",),
        ADMIN_ONLY,  # alice may not redirect even her own; a service needs notifications:write
        lambda w: {"u": str(uuid.uuid4())},
    ),
    # ---- orders ----
    Row(
        ("Query.order",),
        "orders",
        "query($id: ID!) { order(id: $id) { id } }",
        ("order",),
        OWNER_OR_ADMIN_HIDDEN,  # a service needs orders:read, which orders' client lacks
        lambda w: {"id": w.alice_paid_order},
        router_expect={"anonymous": DENIED},  # @authenticated: refused at the edge
    ),
    Row(
        coordinates(
            "orders:Order",
            "id number status currency totalAmount cancelReason createdAt updatedAt version "
            "items user",
        ),
        "orders",
        f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}",
        ("order",),
        OWNER_OR_ADMIN_HIDDEN,
        lambda w: {"id": w.alice_paid_order},
        entity=("Order", "alice_paid_order"),
        entity_query=f"... on Order {{ {ORDER_FIELDS} }}",
        router_expect={"anonymous": DENIED},
    ),
    Row(
        ("Query.myOrders",),
        "orders",
        "{ myOrders(first: 3) { totalCount } }",
        ("myOrders",),
        only({"customer": OK, "other_customer": OK, "admin": OK}),
    ),
    Row(
        ("orders:User.id", "orders:User.orders"),
        "orders",
        "query($id: ID!) { user(id: $id) { id orders(first: 3) { totalCount } } }",
        ("user", "orders"),
        only({"customer": OK, "admin": OK}),
        alice,
        entity=("User", "alice_id"),
        entity_query="... on User { id orders(first: 3) { totalCount } }",
        entity_path=("orders",),
    ),
    Row(
        ("Mutation.placeOrder",),
        "orders",
        PLACE,
        ("placeOrder",),
        only({"customer": OK, "other_customer": OK, "admin": OK}),
        lambda w: {"input": order_input(w.product), "key": new_key()},
    ),
    Row(
        ("Mutation.cancelOrder",),
        "orders",
        'mutation($id: ID!) { cancelOrder(id: $id, reason: "matrix") { id } }',
        ("cancelOrder",),
        only({"customer": OK, "admin": OK}),
        lambda w: _fresh_order(w),
    ),
    Row(
        ("Mutation.fulfillOrder",),
        "orders",
        "mutation($id: ID!) { fulfillOrder(id: $id) { id } }",
        ("fulfillOrder",),
        only({"admin": "CONFLICT"}),  # let in; the order awaits payment
        lambda w: {"id": w.alice_awaiting_order},
    ),
    # ---- payments ----
    Row(
        ("Query.payment",),
        "payments",
        "query($id: ID!) { payment(id: $id) { id } }",
        ("payment",),
        only({"customer": OK, "admin": OK}, NULL),
        lambda w: {"id": w.alice_payment},
        router_expect={"anonymous": DENIED},  # Payment is @authenticated
    ),
    Row(
        coordinates(
            "payments:Payment",
            "id amount currency status provider providerRef failureCode failureReason "
            "cardBrand cardLast4 createdAt updatedAt order",
        ),
        "payments",
        f"query($id: ID!) {{ payment(id: $id) {{ {PAYMENT_FIELDS} }} }}",
        ("payment",),
        only({"customer": OK, "admin": OK}, NULL),
        lambda w: {"id": w.alice_payment},
        entity=("Payment", "alice_payment"),
        entity_query=f"... on Payment {{ {PAYMENT_FIELDS} }}",
        router_expect={"anonymous": DENIED},
    ),
    Row(
        ("payments:Order.id", "payments:Order.payment", "payments:Order.payments"),
        "payments",
        "query($id: ID!) { order(id: $id) { id payment { id } payments { id } } }",
        ("order", "payment"),
        only({"customer": OK, "admin": OK}, NULL),
        lambda w: {"id": w.alice_paid_order},
        entity=("Order", "alice_paid_order"),
        entity_query="... on Order { id payment { id } payments { id } }",
        entity_path=("payment",),
        router_expect={"anonymous": DENIED},  # Payment is @authenticated
    ),
    Row(
        ("Mutation.payOrder",),
        "payments",
        """mutation($o: ID!, $card: CardInput!, $key: String!) {
          payOrder(orderId: $o, card: $card, idempotencyKey: $key) { id }
        }""",
        ("payOrder",),
        # Let in, then refused: the order is paid already (nothing is charged).
        only({"customer": "CONFLICT", "admin": "CONFLICT"}),
        lambda w: {"o": w.alice_paid_order, "card": CARD, "key": new_key()},
    ),
    # ---- products: the catalogue is public, writes need admin or catalog:write ----
    Row(
        ("Query.product",),
        "products",
        "query($id: ID!) { product(id: $id) { id } }",
        ("product",),
        PUBLIC,
        lambda w: {"id": w.product},
    ),
    Row(
        ("Query.products",),
        "products",
        "{ products(first: 2) { totalCount } }",
        ("products",),
        PUBLIC,
    ),
    Row(
        ("Query.category",),
        "products",
        "query($id: ID!) { category(id: $id) { id } }",
        ("category",),
        PUBLIC,
        lambda w: {"id": w.category},
    ),
    Row(("Query.categories",), "products", "{ categories { id } }", ("categories",), PUBLIC),
    Row(
        ("Query.discountMethods",),
        "products",
        "{ discountMethods { id } }",
        ("discountMethods",),
        PUBLIC,
    ),
    Row(
        coordinates(
            "products:Product",
            "id name description price currency brand active imageUrl isDeleted deletedAt "
            "createdAt modifiedAt version category images discounts activeDiscounts "
            "effectivePrice priceFor",
        ),
        "products",
        f"query($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}",
        ("product",),
        PUBLIC,
        lambda w: {"id": w.product},
        entity=("Product", "product"),
        entity_query=f"... on Product {{ {PRODUCT_FIELDS} }}",
    ),
    Row(
        coordinates(
            "products:Category",
            "id name description isDeleted deletedAt createdAt modifiedAt version parent "
            "children products",
        ),
        "products",
        f"query($id: ID!) {{ category(id: $id) {{ {CATEGORY_FIELDS} }} }}",
        ("category",),
        PUBLIC,
        lambda w: {"id": w.category},
        entity=("Category", "category"),
        entity_query=f"... on Category {{ {CATEGORY_FIELDS} }}",
    ),
    Row(
        ("Mutation.createProduct",),
        "products",
        """mutation($c: ID!) {
          createProduct(input: {name: "Matrix product", price: "1.00", categoryId: $c}) { id }
        }""",
        ("createProduct",),
        ADMIN_ONLY,
        lambda w: {"c": w.category},
    ),
    Row(
        # Files travel in multipart requests only; sent as JSON, an authorized caller gets
        # past authorization and then a clear BAD_USER_INPUT, and nothing is written.
        ("Mutation.uploadProductImage",),
        "products",
        """mutation($id: ID!, $f: Upload!) {
          uploadProductImage(productId: $id, file: $f) { id }
        }""",
        ("uploadProductImage",),
        only({"admin": "BAD_USER_INPUT"}),
        lambda w: {"id": w.spare_product, "f": "not-a-file"},
    ),
    Row(
        ("Mutation.updateProduct",),
        "products",
        f"""mutation($id: ID!) {{
          updateProduct(id: $id, expectedVersion: {STALE}, input: {{brand: "x"}}) {{ id }}
        }}""",
        ("updateProduct",),
        only({"admin": "CONFLICT"}),
        lambda w: {"id": w.spare_product},
    ),
    Row(
        ("Mutation.deleteProduct",),
        "products",
        f"mutation($id: ID!) {{ deleteProduct(id: $id, expectedVersion: {STALE}) {{ id }} }}",
        ("deleteProduct",),
        only({"admin": "CONFLICT"}),
        lambda w: {"id": w.spare_product},
    ),
    Row(
        ("Mutation.restoreProduct",),
        "products",
        f"mutation($id: ID!) {{ restoreProduct(id: $id, expectedVersion: {STALE}) {{ id }} }}",
        ("restoreProduct",),
        only({"admin": "CONFLICT"}),
        lambda w: {"id": w.spare_product},
    ),
    Row(
        ("Mutation.createCategory",),
        "products",
        """mutation($n: String!) { createCategory(input: {name: $n}) { id } }""",
        ("createCategory",),
        ADMIN_ONLY,
        lambda w: {"n": f"Matrix {uuid.uuid4().hex[:8]}"},
    ),
    Row(
        ("Mutation.updateCategory",),
        "products",
        f"""mutation($id: ID!) {{
          updateCategory(id: $id, expectedVersion: {STALE}, input: {{description: "x"}}) {{ id }}
        }}""",
        ("updateCategory",),
        only({"admin": "CONFLICT"}),
        lambda w: {"id": w.category},
    ),
    Row(
        ("Mutation.deleteCategory",),
        "products",
        f"mutation($id: ID!) {{ deleteCategory(id: $id, expectedVersion: {STALE}) {{ id }} }}",
        ("deleteCategory",),
        only({"admin": "CONFLICT"}),
        lambda w: {"id": w.category},
    ),
    Row(
        ("Mutation.restoreCategory",),
        "products",
        f"mutation($id: ID!) {{ restoreCategory(id: $id, expectedVersion: {STALE}) {{ id }} }}",
        ("restoreCategory",),
        only({"admin": "CONFLICT"}),
        lambda w: {"id": w.category},
    ),
    Row(
        ("Mutation.addProductImage",),
        "products",
        """mutation($p: ID!) {
          addProductImage(input: {productId: $p, url: "https://example.com/m.png"}) { id }
        }""",
        ("addProductImage",),
        ADMIN_ONLY,
        lambda w: {"p": w.spare_product},
    ),
    Row(
        ("Mutation.removeProductImage",),
        "products",
        f'mutation {{ removeProductImage(id: "{NO_SUCH_ID}") {{ id }} }}',
        ("removeProductImage",),
        only({"admin": "NOT_FOUND"}),
    ),
    Row(
        ("Mutation.createDiscountMethod",),
        "products",
        "mutation { createDiscountMethod(input: {kind: PERCENTAGE}) { id } }",
        ("createDiscountMethod",),
        only({"admin": "BAD_USER_INPUT"}),  # let in; the demo catalogue has this kind
    ),
    Row(
        ("Mutation.deleteDiscountMethod",),
        "products",
        f'mutation {{ deleteDiscountMethod(id: "{NO_SUCH_ID}") {{ id }} }}',
        ("deleteDiscountMethod",),
        only({"admin": "NOT_FOUND"}),
    ),
    Row(
        ("Mutation.restoreDiscountMethod",),
        "products",
        f'mutation {{ restoreDiscountMethod(id: "{NO_SUCH_ID}") {{ id }} }}',
        ("restoreDiscountMethod",),
        only({"admin": "NOT_FOUND"}),
    ),
    Row(
        ("Mutation.addProductDiscount",),
        "products",
        f"""mutation($p: ID!, $start: DateTime!) {{
          addProductDiscount(input: {{productId: $p, discountMethodId: "{NO_SUCH_ID}",
            value: "10", startDate: $start}}) {{ id }}
        }}""",
        ("addProductDiscount",),
        only({"admin": "BAD_USER_INPUT"}),  # let in; no such discount method
        lambda w: {"p": w.spare_product, "start": datetime.now(UTC).isoformat()},
    ),
    Row(
        ("Mutation.removeProductDiscount",),
        "products",
        f'mutation {{ removeProductDiscount(id: "{NO_SUCH_ID}") {{ id }} }}',
        ("removeProductDiscount",),
        only({"admin": "NOT_FOUND"}),
    ),
)


async def _refresh(w: World) -> dict[str, Any]:
    return {"t": await w.refresh_token()}


async def _fresh_order(w: World) -> dict[str, Any]:
    return {"id": await w.fresh_alice_order()}


# ---- the field list, from the SDLs ----


def _resolvable_key(directives: tuple[DirectiveNode, ...]) -> bool:
    keys = [d for d in directives if d.name.value == "key"]
    return bool(keys) and any(
        not any(
            a.name.value == "resolvable"
            and isinstance(a.value, BooleanValueNode)
            and not a.value.value
            for a in key.arguments or ()
        )
        for key in keys
    )


def schema_fields() -> set[str]:
    """Root fields of the supergraph, and every field each subgraph resolves on an entity."""
    found: set[str] = set()
    supergraph = parse((REPO_ROOT / "schema" / "supergraph.graphql").read_text())
    for node in supergraph.definitions:
        if isinstance(node, ObjectTypeDefinitionNode) and node.name.value in ("Query", "Mutation"):
            found |= {f"{node.name.value}.{f.name.value}" for f in node.fields or ()}
    for spec in SERVICES:
        document = parse((REPO_ROOT / "schema" / f"{spec.name}.graphql").read_text())
        for node in document.definitions:
            if not isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
                continue
            if not _resolvable_key(tuple(node.directives or ())):
                continue
            for entity_field in node.fields or ():
                if any(d.name.value == "external" for d in entity_field.directives or ()):
                    continue
                found.add(f"{spec.name}:{node.name.value}.{entity_field.name.value}")
    return found


def test_every_field_of_the_supergraph_has_a_row() -> None:
    covered = [name for row in ROWS for name in row.fields]
    assert len(covered) == len(set(covered)), "a field has two rows"
    expected = schema_fields()
    assert {"Query.order", "Mutation.saveRecipient", "payments:Payment.amount"} <= expected
    missing = sorted(expected - set(covered))
    stale = sorted(set(covered) - expected)
    assert not missing, f"fields without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for fields the schema no longer has: {stale}"
    for row in ROWS:
        assert set(row.expect) == set(CALLERS), row.name
        assert all(name.startswith(("Query.", "Mutation.")) for name in row.fields) == (
            row.entity is None
        ), f"{row.name}: entity fields need an _entities form, root fields none"


# ---- running the table ----


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="polyshop-matrix-"))
    try:
        yield path / "data"
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture(scope="module")
async def world(data_dir: Path) -> AsyncIterator[World]:
    async with (
        running_stack(data_dir) as stack,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http,
    ):
        w = World(http, stack)
        await prepare(w, data_dir)
        yield w


async def prepare(w: World, data_dir: Path) -> None:
    for caller, email in (("customer", ALICE), ("other_customer", BOB), ("admin", ADMIN)):
        body = await w.router(LOGIN_FULL, None, e=email, p=DEMO_PASSWORD)
        assert "errors" not in body, body
        w.tokens[caller] = body["data"]["login"]["accessToken"]
        if caller == "customer":
            w.alice_id = body["data"]["login"]["user"]["id"]
        if caller == "other_customer":
            w.bob_id = body["data"]["login"]["user"]["id"]
    w.tokens["anonymous"] = None
    w.tokens["service"] = await service_token(w, data_dir)

    orders = await w.router(
        "{ myOrders(first: 50) { edges { node { id status payment { id status } } } } }",
        w.tokens["customer"],
    )
    nodes = [edge["node"] for edge in orders["data"]["myOrders"]["edges"]]
    paid = next(n for n in nodes if n["status"] == "PAID" and n["payment"])
    w.alice_paid_order, w.alice_payment = paid["id"], paid["payment"]["id"]
    w.alice_awaiting_order = next(n["id"] for n in nodes if n["status"] == "PENDING_PAYMENT")

    catalogue = await w.router(
        '{ products(first: 40, filter: {currency: "USD", active: true}) '
        "{ edges { node { id category { id } } } } }",
        None,
    )
    products = [edge["node"] for edge in catalogue["data"]["products"]["edges"]]
    w.product, w.spare_product = products[0]["id"], products[-1]["id"]
    w.category = products[0]["category"]["id"]
    stocked = await w.router(
        "mutation($p: ID!) { setStock(productId: $p, available: 1000) { id } }",
        w.tokens["admin"],
        p=w.product,
    )
    assert "errors" not in stocked, stocked


async def service_token(w: World, data_dir: Path) -> str:
    """The orders service's own token, by the client-credentials grant (RFC 6749 §4.4)."""
    secret = (data_dir / "demo-client-secret").read_text().strip()
    basic = base64.b64encode(f"{SERVICE_CLIENT}:{secret}".encode()).decode()
    token_url = w.stack.service_url("auth").removesuffix("/graphql") + "/oauth/token"
    async with w.http.post(
        token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    ) as response:
        body = await response.json()
    assert response.status == 200, body
    assert set(body["scope"].split()) == {"products:read", "users:read", "inventory:read"}
    token: str = body["access_token"]
    return token


def outcome(body: Mapping[str, Any], path: tuple[str | int, ...]) -> str:
    """What the caller got at ``path``: ok, null, denied, or the error code."""
    value: Any = body.get("data")
    for step in path:
        if isinstance(value, dict):
            value = value.get(str(step)) if isinstance(step, str) else None
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            value = None
    errors = body.get("errors") or []
    if not errors:
        return OK if value is not None else NULL
    codes = {str((error.get("extensions") or {}).get("code")) for error in errors}
    if value is None and codes <= DENIED_CODES:
        return DENIED
    if value is None and len(codes) == 1:
        return codes.pop()
    return f"value={value is not None} codes={sorted(codes)}"


async def call(w: World, row: Row, route: str, caller: str) -> tuple[str, dict[str, Any]]:
    variables: Any = row.variables(w) if callable(row.variables) else dict(row.variables)
    if inspect.isawaitable(variables):
        variables = await variables
    token = w.tokens[caller]
    if route == "router":
        body = await post(w.http, w.stack.router_url, row.query, token, variables)
        return outcome(body, row.path), body
    url = w.stack.service_url(row.subgraph)
    if row.entity is None:
        body = await post(w.http, url, row.query, token, variables)
        return outcome(body, row.path), body
    typename, attribute = row.entity
    query = "query($r: [_Any!]!) { _entities(representations: $r) { " + row.entity_query + " } }"
    representation = {"__typename": typename, "id": getattr(w, attribute)}
    body = await post(w.http, url, query, token, {"r": [representation]})
    return outcome(body, ("_entities", 0, *row.entity_path)), body


@pytest.mark.parametrize("route", PATHS)
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_authorization_matrix(world: World, row: Row, route: str) -> None:
    expected = {**row.expect, **(row.router_expect if route == "router" else {})}
    got: dict[str, str] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for caller in CALLERS:
        got[caller], bodies[caller] = await call(world, row, route, caller)
    mismatched = {c: bodies[c] for c in CALLERS if got[c] != expected[c]}
    assert got == expected, f"{row.name} via {route}: {mismatched}"
