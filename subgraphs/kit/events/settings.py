"""Settings of the event machinery (NATS connection, streams, relay, consumers).

Field names carry a ``nats_``/``events_`` prefix so that `ServiceSettings` can inherit this
class and keep one settings object per process (environment prefix ``POLYSHOP_``).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DAY = 86_400.0


class EventSettings(BaseSettings):
    """Defaults suit production; tests shrink the delays."""

    model_config = SettingsConfigDict(env_prefix="POLYSHOP_", extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    # nats-py takes whole seconds for these two.
    nats_connect_timeout: int = Field(default=2, ge=1)
    nats_reconnect_wait: int = Field(default=2, ge=0)

    # Streams: one per producing service plus the dead-letter stream.
    events_stream_replicas: int = Field(default=1, ge=1, le=5)
    events_stream_max_age: float = Field(default=7 * DAY, gt=0)
    events_dlq_max_age: float = Field(default=30 * DAY, gt=0)
    # JetStream drops a second message with the same Nats-Msg-Id inside this window.
    events_duplicate_window: float = Field(default=120.0, gt=0)

    # Waiting for JetStream's answer to a publish or an API call.
    events_publish_timeout: float = Field(default=5.0, gt=0)
    # Between attempts while NATS (or the database) is unreachable, relay and consumers.
    events_retry_backoff_initial: float = Field(default=0.2, gt=0)
    events_retry_backoff_max: float = Field(default=10.0, gt=0)

    events_relay_batch_size: int = Field(default=100, ge=1)
    # A safety net: NOTIFY wakes the relay at once, polling covers lost notifications.
    events_relay_poll_interval: float = Field(default=1.0, gt=0)

    events_consumer_max_deliveries: int = Field(default=5, ge=1)
    events_consumer_backoff_initial: float = Field(default=1.0, gt=0)
    events_consumer_backoff_max: float = Field(default=60.0, gt=0)
    events_consumer_ack_wait: float = Field(default=30.0, gt=0)
    events_consumer_fetch_batch: int = Field(default=10, ge=1)
    events_consumer_fetch_timeout: float = Field(default=5.0, gt=0)
    events_consumer_max_ack_pending: int = Field(default=1000, ge=1)
