"""``paymentUpdated`` over a real `graphql-transport-ws` connection to the payments app on
uvicorn, fed through its outbox, the session's NATS and the live fan-out."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.kit.auth import token_verifier
from subgraphs.kit.auth.install import install_token_auth
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.payments.app import create_app
from subgraphs.payments.settings import PaymentsSettings
from tests.support.keys import AUDIENCE, ISSUER, TestKeys
from tests.support.orders import serve
from tests.support.payments import OK_CARD, seed_order
from tests.support.ws_client import connected, next_payload, receive, subscribe, ws_url

UPDATED = "subscription($id: ID!) { paymentUpdated(orderId: $id) { status amount order { id } } }"
PAY = """
mutation($order: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $order, card: $card, idempotencyKey: $key) { id status }
}
"""


@pytest.fixture(scope="module")
async def payments_url(settings: PaymentsSettings, keys: TestKeys) -> AsyncIterator[str]:
    app = create_app(settings, verify_tokens=False)
    install_token_auth(
        app,
        dev_mode=False,
        settings=TokenSettings(allow_anonymous=False),
        verifier=token_verifier(keys, issuer=ISSUER, audience=AUDIENCE, algorithms=["ES256"]),
    )
    async with serve(app) as url:
        yield url


async def test_outcome_arrives_and_late_subscribers_get_the_current_state(
    payments_url: str, keys: TestKeys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    user = str(uuid.uuid4())
    token = keys.token(user)
    order_id = await seed_order(sessionmaker, user_id=user, amount="12.00")
    headers = {"Authorization": f"Bearer {token}"}
    async with connected(ws_url(payments_url), headers=headers) as early:
        await subscribe(early, "1", UPDATED, {"id": order_id})
        # No payment yet: nothing is sent (a ping round trip proves it).
        await early.send(json.dumps({"type": "ping"}))
        assert (await receive(early))["type"] == "pong"
        async with httpx.AsyncClient(timeout=10) as http:
            paid = await http.post(
                f"{payments_url}/graphql",
                json={
                    "query": PAY,
                    "variables": {"order": order_id, "card": OK_CARD, "key": uuid.uuid4().hex},
                },
                headers=headers,
            )
        assert paid.json()["data"]["payOrder"]["status"] == "SUCCESS", paid.text
        update = await next_payload(early, "1")
        assert update == {
            "data": {
                "paymentUpdated": {
                    "status": "SUCCESS",
                    "amount": "12.00",
                    "order": {"id": order_id},
                }
            }
        }
        async with connected(ws_url(payments_url), headers=headers) as late:
            await subscribe(late, "2", UPDATED, {"id": order_id})
            assert (await next_payload(late, "2"))["data"]["paymentUpdated"]["status"] == "SUCCESS"
        # Exactly one update for the early subscriber.
        await early.send(json.dumps({"type": "ping"}))
        assert (await receive(early))["type"] == "pong"

    stranger = {"Authorization": f"Bearer {keys.token(str(uuid.uuid4()))}"}
    async with connected(ws_url(payments_url), headers=stranger) as socket:
        await subscribe(socket, "x", UPDATED, {"id": order_id})
        message = await receive(socket)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
