"""GraphQL: `User.notifications` through `_entities`, the admin log query with filters and
cursors, permissions, and the committed SDL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from nats.js import JetStreamContext

from subgraphs.kit.events import new_envelope
from subgraphs.notifications.schema import sdl
from subgraphs.notifications.settings import NotificationsSettings
from tests.support.eventually import eventually
from tests.support.notifications import ADMIN, PHONE_USER, SmtpServer, publish, user_header

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "notifications.graphql"
REGENERATE = "python -m subgraphs.notifications.schema > schema/notifications.graphql"

ENTITIES = """
query($representations: [_Any!]!, $channel: NotificationChannel) {
  _entities(representations: $representations) {
    __typename
    ... on User {
      id
      notifications(channel: $channel) {
        id channel template recipient subject status attempts eventType sentAt
      }
    }
  }
}"""

LOGS = """
query($channel: NotificationChannel!, $filter: NotificationLogFilter, $first: Int,
      $after: String) {
  notificationLogs(channel: $channel, filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id template recipient status } }
  }
}"""


class Seeded:
    def __init__(self) -> None:
        run = uuid.uuid4().hex[:6]
        self.alice = f"alice-{run}"
        self.bob = f"bob-{run}"
        self.orders = [f"o-{run}-{n}" for n in range(3)]
        self.phone_order = f"o-{run}-phone"


def created(order_id: str, user_id: str) -> Any:
    return new_envelope(
        "orders",
        "order.created",
        {
            "order_id": order_id,
            "user_id": user_id,
            "currency": "EUR",
            "total_amount": "10.00",
            "items": [{"product_id": "1", "quantity": 1, "unit_price": "10.00"}],
        },
    )


@pytest.fixture(scope="module")
async def seeded(
    js: JetStreamContext,
    settings: NotificationsSettings,
    smtp: SmtpServer,
    sql: asyncpg.Connection,
    notifications_app: Any,
) -> Seeded:
    """Alice: two orders, her address from the `recipients` table; Bob: one order; the phone
    user: a paid order (receipt by e-mail and SMS)."""
    data = Seeded()
    await sql.execute(
        "INSERT INTO recipients (user_id, email) VALUES ($1, $2)", data.alice, "alice@real.test"
    )
    for order, user in zip(data.orders, [data.alice, data.alice, data.bob], strict=True):
        await publish(js, settings, created(order, user))
    await publish(js, settings, created(data.phone_order, PHONE_USER))
    await publish(
        js,
        settings,
        new_envelope(
            "payments",
            "payment.succeeded",
            {"order_id": data.phone_order, "payment_id": "p", "amount": "10.00", "currency": "EUR"},
        ),
    )

    async def all_sent() -> bool:
        count = await sql.fetchval(
            "SELECT (SELECT count(*) FROM email_logs WHERE status = 'SENT' AND user_id = ANY($1))"
            " + (SELECT count(*) FROM sms_logs WHERE status = 'SENT' AND user_id = ANY($1))",
            [data.alice, data.bob, PHONE_USER],
        )
        return bool(count == 3 + 2 + 1)

    await eventually(all_sent, what="the seeded notifications")
    return data


async def test_recipients_table_wins_over_the_pattern(seeded: Seeded, smtp: SmtpServer) -> None:
    assert len(smtp.sink.to("alice@real.test")) == 2
    assert smtp.sink.to(f"{seeded.alice}@customers.test") == []
    assert len(smtp.sink.to(f"{seeded.bob}@customers.test")) == 1


async def test_user_notifications_through_entities(seeded: Seeded, gql: Any) -> None:
    representations = [
        {"__typename": "User", "id": seeded.alice},
        {"__typename": "User", "id": seeded.bob},
        {"__typename": "User", "id": "nobody"},
    ]
    body = await gql(ENTITIES, headers=ADMIN, representations=representations)
    assert "errors" not in body, body
    alice, bob, nobody = body["data"]["_entities"]
    assert alice["__typename"] == "User"
    assert alice["id"] == seeded.alice
    assert [n["recipient"] for n in alice["notifications"]] == ["alice@real.test"] * 2
    assert [n["subject"] for n in alice["notifications"]] == [
        f"PolyShop: order {seeded.orders[1]} received",  # newest first
        f"PolyShop: order {seeded.orders[0]} received",
    ]
    assert {n["status"] for n in alice["notifications"]} == {"SENT"}
    assert all(n["sentAt"] and n["attempts"] == 1 for n in alice["notifications"])
    assert len(bob["notifications"]) == 1
    assert nobody == {"__typename": "User", "id": "nobody", "notifications": []}


async def test_user_sees_both_channels_and_can_filter(seeded: Seeded, gql: Any) -> None:
    rep = [{"__typename": "User", "id": PHONE_USER}]
    body = await gql(ENTITIES, headers=user_header(PHONE_USER), representations=rep)
    mine = body["data"]["_entities"][0]["notifications"]
    assert {(n["channel"], n["template"]) for n in mine} == {
        ("EMAIL", "order_confirmation"),
        ("EMAIL", "payment_receipt"),
        ("SMS", "payment_receipt"),
    }
    sms_only = await gql(
        ENTITIES, headers=user_header(PHONE_USER), representations=rep, channel="SMS"
    )
    notes = sms_only["data"]["_entities"][0]["notifications"]
    assert notes
    assert {n["channel"] for n in notes} == {"SMS"}
    assert notes[0]["recipient"] == "+15550001"
    assert notes[0]["subject"] is None


async def test_user_notifications_are_private(seeded: Seeded, gql: Any) -> None:
    rep = [{"__typename": "User", "id": seeded.alice}]
    other = await gql(ENTITIES, headers=user_header(seeded.bob), representations=rep)
    # The field is nullable (contributed to auth's User): the refusal nulls only it.
    assert other["data"]["_entities"] == [
        {"__typename": "User", "id": seeded.alice, "notifications": None}
    ]
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert other["errors"][0]["path"] == ["_entities", 0, "notifications"]
    anonymous = await gql(ENTITIES, representations=rep)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    own = await gql(ENTITIES, headers=user_header(seeded.alice), representations=rep)
    assert len(own["data"]["_entities"][0]["notifications"]) == 2


async def test_admin_log_filters_and_cursor_pages(seeded: Seeded, gql: Any) -> None:
    wanted = {"userId": seeded.alice, "status": "SENT", "template": "order_confirmation"}
    first = await gql(LOGS, headers=ADMIN, channel="EMAIL", filter=wanted, first=1)
    page = first["data"]["notificationLogs"]
    assert page["totalCount"] == 2
    assert page["pageInfo"]["hasNextPage"] is True
    second = await gql(
        LOGS,
        headers=ADMIN,
        channel="EMAIL",
        filter=wanted,
        first=1,
        after=page["pageInfo"]["endCursor"],
    )
    rest = second["data"]["notificationLogs"]
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": rest["edges"][0]["cursor"],
    }
    ids = [page["edges"][0]["node"]["id"], rest["edges"][0]["node"]["id"]]
    assert len(set(ids)) == 2
    assert all(i.startswith("email:") for i in ids)

    none_failed = await gql(
        LOGS, headers=ADMIN, channel="EMAIL", filter={**wanted, "status": "FAILED"}
    )
    assert none_failed["data"]["notificationLogs"]["edges"] == []
    receipts = await gql(
        LOGS, headers=ADMIN, channel="EMAIL", filter={**wanted, "template": "payment_receipt"}
    )
    assert receipts["data"]["notificationLogs"]["totalCount"] == 0

    now = datetime.now(UTC)
    in_range = {
        "userId": seeded.alice,
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(minutes=1)).isoformat(),
    }
    body = await gql(LOGS, headers=ADMIN, channel="EMAIL", filter=in_range)
    assert body["data"]["notificationLogs"]["totalCount"] == 2
    future = {"userId": seeded.alice, "from": (now + timedelta(minutes=1)).isoformat()}
    body = await gql(LOGS, headers=ADMIN, channel="EMAIL", filter=future)
    assert body["data"]["notificationLogs"]["totalCount"] == 0

    sms = await gql(LOGS, headers=ADMIN, channel="SMS", filter={"userId": PHONE_USER})
    (edge,) = sms["data"]["notificationLogs"]["edges"]
    assert edge["node"]["recipient"] == "+15550001"


async def test_admin_log_refuses_bad_input_and_non_admins(seeded: Seeded, gql: Any) -> None:
    backwards = await gql(
        LOGS,
        headers=ADMIN,
        channel="EMAIL",
        filter={"from": "2030-01-02T00:00:00+00:00", "to": "2030-01-01T00:00:00+00:00"},
    )
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = await gql(LOGS, headers=ADMIN, channel="EMAIL", filter={"template": "spam"})
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    user = await gql(LOGS, headers=user_header(seeded.alice), channel="EMAIL")
    assert user["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert user["errors"][0]["path"] == ["notificationLogs"]


def test_committed_sdl_is_fresh() -> None:
    assert SCHEMA_FILE.exists(), f"missing {SCHEMA_FILE}; run: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == sdl(), f"stale {SCHEMA_FILE}; run: {REGENERATE}"


async def test_service_sdl_matches_the_file(gql: Any) -> None:
    body = await gql("{ _service { sdl } }")
    assert body["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()
    assert 'type User @key(fields: "id")' in SCHEMA_FILE.read_text()


SAVE = """mutation($u: ID!, $e: String, $p: String) {
  saveRecipient(userId: $u, email: $e, phoneNumber: $p) { userId email phoneNumber updatedAt }
}"""


async def test_saved_recipient_receives_the_next_messages(
    js: JetStreamContext,
    settings: NotificationsSettings,
    smtp: SmtpServer,
    sql: asyncpg.Connection,
    gql: Any,
) -> None:
    user, order = f"carol-{uuid.uuid4().hex[:6]}", f"o-{uuid.uuid4().hex[:6]}"
    body = await gql(SAVE, headers=ADMIN, u=user, e="old@carol.test", p=None)
    assert body["data"]["saveRecipient"]["email"] == "old@carol.test"
    body = await gql(SAVE, headers=ADMIN, u=user, e="carol@carol.test", p="+4915112345678")
    assert body["data"]["saveRecipient"] == {
        "userId": user,
        "email": "carol@carol.test",
        "phoneNumber": "+4915112345678",
        "updatedAt": body["data"]["saveRecipient"]["updatedAt"],
    }
    await publish(js, settings, created(order, user))
    await publish(
        js,
        settings,
        new_envelope(
            "payments",
            "payment.succeeded",
            {"order_id": order, "payment_id": "p2", "amount": "10.00", "currency": "EUR"},
        ),
    )
    mails = await eventually(
        lambda: len(smtp.sink.to("carol@carol.test")) == 2 and smtp.sink.to("carol@carol.test"),
        what="both e-mails",
    )
    assert len(mails) == 2
    assert smtp.sink.to("old@carol.test") == []
    phone = await eventually(
        lambda: sql.fetchval(
            "SELECT phone_number FROM sms_logs WHERE user_id = $1 AND status = 'SENT'", user
        ),
        what="the SMS",
    )
    assert phone == "+4915112345678"


async def test_save_recipient_checks_input_and_role(gql: Any) -> None:
    bad = await gql(SAVE, headers=ADMIN, u="dave", e="not-an-address", p=None)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_phone = await gql(SAVE, headers=ADMIN, u="dave", e=None, p="0151 123")
    assert bad_phone["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    user = await gql(SAVE, headers=user_header("dave"), u="dave", e="d@d.test", p=None)
    assert user["errors"][0]["extensions"]["code"] == "FORBIDDEN"
