"""Helpers of the notifications tests (imported by name: this directory is on sys.path)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from nats.js import JetStreamContext
from starlette.types import ASGIApp, Receive, Scope, Send

from subgraphs.kit.auth import Principal
from subgraphs.kit.events import Envelope as Event
from subgraphs.kit.events import EventSettings, ensure_event_stream

IDENTITY_HEADER = b"x-test-identity"
PHONE_USER = "user-with-phone"


@dataclass
class Received:
    """One message the test SMTP server accepted."""

    sender: str
    recipients: list[str]
    message: Message

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode()


@dataclass
class MailSink:
    """aiosmtpd handler: keeps every message (the server runs in its own thread)."""

    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        with self.lock:
            self.messages.append(
                Received(
                    sender=str(envelope.mail_from),
                    recipients=list(envelope.rcpt_tos),
                    message=message_from_bytes(raw),
                )
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.recipients]


class SmtpServer:
    """A real SMTP server on a fixed port that the test can take down and bring back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = MailSink()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class WithTestIdentity:
    """Puts the identity of the ``x-test-identity`` header (JSON) where the kit's token
    middleware would, so resolvers' permission checks run for real without an auth server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = dict(scope["headers"]).get(IDENTITY_HEADER)
            if raw:
                claims = json.loads(raw)
                scope.setdefault("state", {})["identity"] = Principal.from_claims(claims)
        await self.app(scope, receive, send)


def user_header(user_id: str) -> dict[str, str]:
    return {IDENTITY_HEADER.decode(): json.dumps({"sub": user_id})}


ADMIN = {IDENTITY_HEADER.decode(): json.dumps({"sub": "admin-1", "roles": ["admin"]})}


async def publish(js: JetStreamContext, settings: EventSettings, envelope: Event) -> None:
    """Publish like a producer's relay does; a second call is a redelivery (new msg id)."""
    await ensure_event_stream(js, envelope.source, settings)
    msg_id = f"{envelope.id}-{time.monotonic_ns()}"
    await js.publish(envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": msg_id})
