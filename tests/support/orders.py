"""Helpers of the orders tests: a served ASGI app, signed test tokens, polling, streams."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from polyshop.devstack.ports import free_port
from polyshop.runtime.tokens import basic_credentials
from subgraphs.kit.events import Envelope, ensure_event_stream, new_envelope
from subgraphs.kit.events.settings import EventSettings
from subgraphs.orders.settings import OrdersSettings
from subgraphs.products.app import create_app as create_products_app
from subgraphs.products.settings import ProductsSettings
from tests.support.eventually import eventually
from tests.support.keys import TestKeys

PRODUCT_MUTATIONS = """
mutation Category($name: String!) { createCategory(input: {name: $name}) { id } }
mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id version } }
mutation Update($id: ID!, $v: Int!, $input: UpdateProductInput!) {
  updateProduct(id: $id, expectedVersion: $v, input: $input) { id version }
}
mutation Delete($id: ID!) { deleteProduct(id: $id) { id } }
"""


class Catalog:
    """Products created through the real products subgraph's GraphQL mutations."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url
        self.category_id: str | None = None
        self.versions: dict[str, int] = {}

    async def _call(self, operation: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            self.url,
            json={"query": PRODUCT_MUTATIONS, "operationName": operation, "variables": variables},
        )
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    async def add(
        self, price: str, *, currency: str = "USD", active: bool = True, name: str | None = None
    ) -> str:
        if self.category_id is None:
            created = await self._call("Category", name=f"Orders test {uuid.uuid4().hex[:6]}")
            self.category_id = created["createCategory"]["id"]
        product = (
            await self._call(
                "Create",
                input={
                    "name": name or f"Thing {uuid.uuid4().hex[:6]}",
                    "price": price,
                    "currency": currency,
                    "active": active,
                    "categoryId": self.category_id,
                },
            )
        )["createProduct"]
        self.versions[product["id"]] = product["version"]
        return str(product["id"])

    async def set_price(self, product_id: str, price: str) -> None:
        updated = await self._call(
            "Update", id=product_id, v=self.versions[product_id], input={"price": price}
        )
        self.versions[product_id] = updated["updateProduct"]["version"]

    async def delete(self, product_id: str) -> None:
        await self._call("Delete", id=product_id)


@dataclass(frozen=True)
class Customer:
    id: str
    token: str


GraphQL = Callable[..., Awaitable[dict[str, Any]]]

PLACE = """
mutation Place($items: [OrderItemInput!]!, $currency: String!, $key: String!) {
  placeOrder(input: {items: $items, currency: $currency}, idempotencyKey: $key) {
    id status currency totalAmount createdAt
    items { productId quantity unitPrice totalPrice product { id } }
    user { id }
  }
}
"""


ServiceDatabaseFactory = Callable[[str], Awaitable[str]]


def orders_settings(database_url: str, nats_url: str, products_url: str) -> OrdersSettings:
    """Production logic with test-sized delays."""
    return OrdersSettings(
        database_url=database_url,
        nats_url=nats_url,
        orders_products_url=products_url,
        log_level="WARNING",
        nats_reconnect_wait=1,
        events_relay_poll_interval=0.2,
        events_publish_timeout=1.0,
        events_retry_backoff_initial=0.05,
        events_retry_backoff_max=0.5,
        events_consumer_backoff_initial=0.2,
        events_consumer_backoff_max=1.0,
        events_consumer_ack_wait=5.0,
        events_consumer_fetch_timeout=0.3,
    )


CLIENT_SECRET = "orders-secret"


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Runs ``app`` on uvicorn on a free port until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped during start-up")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Issuer:
    """Issues service tokens to the client ``orders`` and publishes its key."""

    def __init__(self, keys: TestKeys) -> None:
        self.keys = keys
        self.issued = 0
        self.url = ""
        self.app = Starlette(
            routes=[
                Route("/.well-known/jwks.json", self.jwks),
                Route("/oauth/token", self.token, methods=["POST"]),
            ]
        )

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    async def jwks(self, _request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.keys.public_jwk]})

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if request.headers.get("authorization") != basic_credentials("orders", CLIENT_SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        assert form.get("grant_type") == "client_credentials"
        self.issued += 1
        token = self.keys.service_token("orders", scope="products:read")
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 600})


@asynccontextmanager
async def products_server(
    database_url: str, jwks_url: str, *, anonymous: bool, nats_url: str | None = None
) -> AsyncIterator[str]:
    """The real products subgraph, verifying tokens against ``jwks_url``; yields its URL.

    With ``anonymous`` it also serves callers without a token (as in development), which is
    how orders calls it when no client credentials are configured. With ``nats_url`` it
    relays its outbox there (the catalogue's events); without, its events stay in the outbox.
    """
    with pytest.MonkeyPatch.context() as env:
        # The kit reads token settings from the environment when it builds the app.
        env.setenv("POLYSHOP_AUTH_JWKS_URL", jwks_url)
        env.setenv("POLYSHOP_AUTH_ALLOW_ANONYMOUS", "true" if anonymous else "false")
        settings = ProductsSettings(database_url=database_url, log_level="WARNING")
        if nats_url is not None:
            settings = settings.model_copy(
                update={"nats_url": nats_url, "events_relay_poll_interval": 0.2}
            )
        app = create_products_app(settings, events=nats_url is not None)
    async with serve(app) as base:
        yield f"{base}/graphql"


def catalog_writer(keys: TestKeys) -> dict[str, str]:
    """Headers of a tool allowed to change the catalogue (scope ``catalog:write``)."""
    return {"Authorization": f"Bearer {keys.service_token('catalog-tool', scope='catalog:write')}"}


async def stream_events(js: JetStreamContext, stream: str) -> list[Envelope]:
    """Every envelope stored in ``stream``, in stream order."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return []
    state = info.state
    if state.messages == 0:
        return []
    messages: list[RawStreamMsg] = [
        await js.get_msg(stream, seq) for seq in range(state.first_seq, state.last_seq + 1)
    ]
    return [Envelope.from_json(m.data) for m in messages if m.data]


STATUS = "query S($id: ID!) { order(id: $id) { status cancelReason } }"


async def publish(js: JetStreamContext, source: str, event_type: str, **data: Any) -> Envelope:
    """Publishes as the other service's relay would: its stream, the event id as Msg-Id."""
    await ensure_event_stream(js, source, EventSettings())
    envelope = new_envelope(source, event_type, data, correlation_id=f"corr-{uuid.uuid4().hex}")
    await js.publish(
        envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": str(envelope.id)}
    )
    return envelope


async def wait_for_status(
    gql: GraphQL, customer: Customer, order_id: str, status: str
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        body = await gql(STATUS, token=customer.token, id=order_id)
        seen.update(body["data"]["order"])
        return bool(seen["status"] == status)

    await eventually(reached, what=f"order {order_id} to become {status}")
    return seen
