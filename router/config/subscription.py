"""The ``subscription`` section of ``router.yaml`` (Apollo Router's name for the concept):
whether and how the router serves GraphQL subscriptions to clients."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SubscriptionConfig(BaseModel):
    """Subscriptions over WebSocket (``graphql-transport-ws``), multipart HTTP and SSE."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    enabled: bool = True
    """Serve subscriptions; when false every transport answers ``SUBSCRIPTION_NOT_SUPPORTED``."""
    max_opened_subscriptions: int | None = Field(default=10_000, ge=1)
    """Subscriptions open on this router at once, all clients together (None: no limit);
    past it a new one is refused with ``SUBSCRIPTION_LIMIT``."""
    max_subscriptions_per_connection: int = Field(default=100, ge=1)
    """Operations running at once on one WebSocket connection."""
    connection_init_timeout: float = Field(default=3.0, gt=0)
    """Seconds a WebSocket client has to send ``connection_init`` (then closed 4408)."""
    max_message_bytes: int = Field(default=1024 * 1024, ge=1024)
    """Largest WebSocket message a client may send (larger: closed 1009)."""
    heartbeat_interval: float = Field(default=5.0, gt=0)
    """Seconds between multipart heartbeats (``{}``) and SSE keep-alive comments while no
    event comes, and of silence after which a WebSocket client gets a protocol ``ping`` (no
    answer within another interval: closed 4408), so proxies, clients and the router see
    the stream alive."""
    send_timeout: float = Field(default=10.0, gt=0)
    """Seconds a message may wait for a client to read it (its socket buffers full); past
    it a WebSocket client is closed 1013 and a multipart or SSE stream is cut off, instead
    of being buffered for without bound."""
