"""Subscriptions end to end on a real `polyshop up`: a customer subscribes to their order
through the router and sees every status change, with fields of other subgraphs fetched per
event (product names from products, the payment from payments), over the three transports
(graphql-transport-ws with the Python `websockets` client, Apollo's multipart HTTP, SSE); and
the protocol's edge cases close with the protocol's codes while the router stays up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio
import websockets

from bench.subscriptions import no_loss
from polyshop.devstack.demo_flow import Client, pay
from tests.e2e.test_stack_up import RunningStack, running_stack
from tests.support.ws_client import connected, next_payload, receive, subscribe, ws_url

SUCCESS_CARD = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2040, "cvc": "123"}
REGISTER = """
mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }
"""
BROWSE = """
query { products(first: 40, filter: {currency: "USD"}) {
  edges { node { id name inStock stock { available } } } } }
"""
PLACE = """
mutation Place($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id status }
}
"""
WATCH = """
subscription Watch($id: ID!) {
  orderUpdated(orderId: $id) { id status items { quantity product { name } } payment { status } }
}
"""


@dataclass
class Shop:
    stack: RunningStack
    client: Client
    token: str
    product: dict[str, Any]

    @property
    def ws(self) -> str:
        return ws_url(self.stack.router_url.removesuffix("/graphql"))

    async def place(self) -> str:
        order = await self.client.call(
            PLACE,
            self.token,
            input={"items": [{"productId": self.product["id"], "quantity": 1}], "currency": "USD"},
            key=uuid.uuid4().hex,
        )
        order_id: str = order["placeOrder"]["id"]
        return order_id

    async def pay(self, order_id: str) -> None:
        """payOrder as a client does it: retried while payments has not yet heard, through
        its own event, that the order awaits payment (the subscription's PENDING_PAYMENT comes
        from orders and may be a moment ahead of payments); the PAID that follows is what the
        tests check."""
        deadline = time.monotonic() + 30
        await pay(
            self.client, self.token, order_id, SUCCESS_CARD["number"], uuid.uuid4().hex, deadline
        )


@pytest.fixture(scope="module")
def stack_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="polyshop-subscriptions-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture(scope="module")
async def shop(stack_dir: Path) -> AsyncIterator[Shop]:
    async with (
        running_stack(stack_dir / "data") as stack,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        client = Client(session, stack.router_url)
        registration = {
            "email": f"live-{uuid.uuid4().hex[:10]}@example.com",
            "password": "a long enough passphrase",
            "name": "Live",
        }
        token = (await client.call(REGISTER, input=registration))["register"]["accessToken"]
        products = (await client.call(BROWSE, token))["products"]["edges"]
        product = next(
            edge["node"] for edge in products if edge["node"]["stock"]["available"] >= 20
        )
        yield Shop(stack, client, token, product)


async def statuses_until(socket: Any, op_id: str, final: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["status"] != final:
        payload = await next_payload(socket, op_id, wait=30)
        assert "errors" not in payload, payload
        seen.append(payload["data"]["orderUpdated"])
    return seen


async def test_websocket_sees_the_saga_with_federated_fields(shop: Shop) -> None:
    order_id = await shop.place()
    async with connected(shop.ws, payload={"Authorization": f"Bearer {shop.token}"}) as socket:
        await subscribe(socket, "1", WATCH, {"id": order_id})
        early = await statuses_until(socket, "1", "PENDING_PAYMENT")
        assert [e["status"] for e in early][-1] == "PENDING_PAYMENT"
        await shop.pay(order_id)
        paid = (await statuses_until(socket, "1", "PAID"))[-1]
        assert paid["items"] == [{"quantity": 1, "product": {"name": shop.product["name"]}}]
        assert paid["payment"] == {"status": "SUCCESS"}
        await socket.send(json.dumps({"id": "1", "type": "complete"}))
        await socket.send(json.dumps({"type": "ping"}))
        assert (await receive(socket))["type"] == "pong"


async def test_someone_elses_order_is_not_streamed(shop: Shop) -> None:
    order_id = await shop.place()
    async with connected(shop.ws) as socket:  # anonymous: @authenticated refuses the field
        await subscribe(socket, "1", WATCH, {"id": order_id})
        message = await receive(socket, wait=30)
        assert message["id"] == "1"
        assert message["type"] == "next", message
        assert not message["payload"]["data"]  # the refused root field: no data
        codes = [e["extensions"]["code"] for e in message["payload"]["errors"]]
        assert codes == ["UNAUTHORIZED_FIELD_OR_TYPE"]
        assert (await receive(socket))["type"] == "complete"
    stranger = (
        await shop.client.call(
            REGISTER,
            input={
                "email": f"other-{uuid.uuid4().hex[:10]}@example.com",
                "password": "a long enough passphrase",
                "name": "Other",
            },
        )
    )["register"]["accessToken"]
    async with connected(shop.ws, payload={"Authorization": f"Bearer {stranger}"}) as socket:
        await subscribe(socket, "2", WATCH, {"id": order_id})
        payload = await next_payload(socket, "2", wait=30)
        assert payload["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert payload["errors"][0]["message"] == f"Order {order_id} does not exist"


async def test_multipart_and_sse_stream_the_current_state(shop: Shop) -> None:
    order_id = await shop.place()
    body = {"query": WATCH, "variables": {"id": order_id}}
    headers = {"Authorization": f"Bearer {shop.token}", "content-type": "application/json"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            shop.stack.router_url,
            json=body,
            headers={**headers, "accept": "multipart/mixed;subscriptionSpec=1.0"},
        ) as response:
            assert response.status == 200
            assert response.headers["content-type"].startswith("multipart/mixed")
            text = ""
            async with asyncio.timeout(30):
                while '"orderUpdated"' not in text:
                    text += (await response.content.readany()).decode()
            part = text.split("\r\n\r\n", 1)[1].split("\r\n--graphql", 1)[0]
            assert json.loads(part)["payload"]["data"]["orderUpdated"]["id"] == order_id
        async with session.post(
            shop.stack.router_url, json=body, headers={**headers, "accept": "text/event-stream"}
        ) as response:
            assert response.status == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            text = ""
            async with asyncio.timeout(30):
                while "\n\n" not in text.split("event: next", 1)[-1]:
                    text += (await response.content.readany()).decode()
            data = text.split("event: next\ndata: ", 1)[1].split("\n\n", 1)[0]
            assert json.loads(data)["data"]["orderUpdated"]["id"] == order_id


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ("not json", 4400),
        (json.dumps({"type": "what"}), 4400),
        (json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ a }"}}), 4401),
        (json.dumps({"type": "connection_init", "payload": "x"}), 4400),
        (json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer bad"}}), 4403),
        (json.dumps({"type": "connection_init", "payload": {"pad": "x" * 1_100_000}}), 1009),
    ],
)
async def test_protocol_mistakes_get_their_close_codes(shop: Shop, first: str, code: int) -> None:
    async with websockets.connect(shop.ws, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(first)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        assert socket.close_code == code
    await router_still_answers(shop)


async def test_init_twice_duplicate_ids_and_no_init(shop: Shop) -> None:
    async with connected(shop.ws) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        assert socket.close_code == 4429
    order_id = await shop.place()
    async with connected(shop.ws, payload={"Authorization": f"Bearer {shop.token}"}) as socket:
        await subscribe(socket, "same", WATCH, {"id": order_id})
        await subscribe(socket, "same", WATCH, {"id": order_id})
        assert await close_code(socket) == 4409
    async with websockets.connect(shop.ws, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)  # the init timeout is 3 s
        assert socket.close_code == 4408
    await router_still_answers(shop)


async def close_code(socket: Any) -> int:
    """Reads (and drops) messages until the server closes; its close code."""
    async with asyncio.timeout(10):
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in socket:
                pass
    code: int = socket.close_code
    return code


async def router_still_answers(shop: Shop) -> None:
    products = await shop.client.call(BROWSE, shop.token)
    assert products["products"]["edges"]


CLIENTS = Path(__file__).resolve().parents[1] / "clients"


def node_clients() -> Path:
    if shutil.which("node") is None or not (CLIENTS / "node_modules" / "graphql-ws").is_dir():
        pytest.skip("Node or tests/clients/node_modules missing (make test installs them)")
    return CLIENTS / "subscribe.mjs"


@pytest.mark.parametrize("transport", ["ws", "sse", "apollo"])
async def test_real_clients_see_the_order_paid(shop: Shop, transport: str) -> None:
    """graphql-ws, graphql-sse and Apollo Client (multipart) each see PENDING_PAYMENT, then
    PAID with the payment joined in from payments, after paying through the router."""
    script = node_clients()
    order_id = await shop.place()
    process = await asyncio.create_subprocess_exec(
        "node",
        str(script),
        transport,
        shop.stack.router_url,
        shop.token,
        WATCH,
        json.dumps({"id": order_id}),
        '"PAID"',
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    results: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(60):
            while not results or results[-1].get("data", {}).get("orderUpdated", {}).get(
                "status"
            ) not in ("PENDING_PAYMENT", "PAID"):
                line = await process.stdout.readline()
                assert line, (await process.stderr.read()).decode() if process.stderr else ""
                results.append(json.loads(line))
            await shop.pay(order_id)
            while results[-1]["data"]["orderUpdated"]["status"] != "PAID":
                line = await process.stdout.readline()
                assert line, (await process.stderr.read()).decode() if process.stderr else ""
                results.append(json.loads(line))
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert all("errors" not in r or not r["errors"] for r in results), results
    paid = results[-1]["data"]["orderUpdated"]
    assert paid["payment"] == {"status": "SUCCESS"}
    assert paid["items"] == [{"quantity": 1, "product": {"name": shop.product["name"]}}]
    statuses = [r["data"]["orderUpdated"]["status"] for r in results]
    assert statuses[-2:] == ["PENDING_PAYMENT", "PAID"] or statuses == ["PAID"], statuses


async def test_graphiql_shows_the_payment_arriving(shop: Shop) -> None:
    """The vendored GraphiQL in headless Chromium runs `orderUpdated` over its WebSocket
    fetcher (the token in its headers editor), the order is paid through the API, and the
    result pane shows PAID."""
    from tests.support.cdp import chromium_page, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    order_id = await shop.place()
    params = {
        "query": WATCH,
        "variables": json.dumps({"id": order_id}),
        "headers": json.dumps({"Authorization": f"Bearer {shop.token}"}),
    }
    url = f"{shop.stack.router_url}?{urlencode(params)}"
    async with chromium_page(chromium) as page:
        await page.send("Runtime.enable")
        await page.send("Page.navigate", url=url)
        await page.wait_for("document.querySelector('.graphiql-execute-button') !== null")
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        result_text = (
            "(() => { const cm = document.querySelector('.result-window .CodeMirror');"
            " const text = cm && cm.CodeMirror.getValue();"
            " return text && text.includes('{STATUS}') ? text : null; })()"
        )
        await page.wait_for(result_text.replace("{STATUS}", "PENDING_PAYMENT"), 40)
        await shop.pay(order_id)
        shown = await page.wait_for(result_text.replace("{STATUS}", "PAID"), 40)
    assert json.loads(shown)["data"]["orderUpdated"]["payment"] == {"status": "SUCCESS"}


async def test_no_status_change_is_lost_or_repeated(shop: Shop) -> None:
    """The no-loss count of `bench.subscriptions` on 100 orders (the bench runs 1,000): each
    order watched by two `orderUpdated` subscriptions on different connections (sharing one
    upstream subscription in the router), paid once both saw PENDING_PAYMENT; every
    subscriber gets every change from the state it subscribed in up to PAID, once, in order."""
    report = await no_loss(shop.stack.router_url, orders=100, subscribers=2)
    assert report.ok, report.render()
    assert report.missing == report.duplicated == report.out_of_order == 0
    # At least PENDING_PAYMENT and PAID for each of the 200 subscribers, all delivered.
    assert report.delivered == report.expected >= 100 * 2 * 2
