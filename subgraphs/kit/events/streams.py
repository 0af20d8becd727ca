"""Creating the JetStream streams on first use (idempotent, safe from several replicas).

An existing stream is left as it is: changing retention or replicas is an operator's
decision, not a side effect of a deploy.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamInfo
from nats.js.errors import BadRequestError, NotFoundError

from subgraphs.kit.events.settings import EventSettings
from subgraphs.kit.events.subjects import DLQ_STREAM, PREFIX, stream_name, stream_subjects


def event_stream_config(service: str, settings: EventSettings) -> StreamConfig:
    return StreamConfig(
        name=stream_name(service),
        description=f"PolyShop events of the {service} service",
        subjects=stream_subjects(service),
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        storage=StorageType.FILE,
        num_replicas=settings.events_stream_replicas,
        max_age=settings.events_stream_max_age,
        duplicate_window=settings.events_duplicate_window,
    )


def dlq_stream_config(settings: EventSettings) -> StreamConfig:
    return StreamConfig(
        name=DLQ_STREAM,
        description="PolyShop events that consumers gave up on, with the error",
        subjects=[f"{PREFIX}.dlq.>"],
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        storage=StorageType.FILE,
        num_replicas=settings.events_stream_replicas,
        max_age=settings.events_dlq_max_age,
        duplicate_window=settings.events_duplicate_window,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> StreamInfo:
    """The stream's info, creating it when missing."""
    assert config.name is not None
    try:
        return await js.stream_info(config.name)
    except NotFoundError:
        pass
    try:
        return await js.add_stream(config)
    except BadRequestError:
        # Another replica created it between our two calls (with its own settings).
        return await js.stream_info(config.name)


async def ensure_event_stream(
    js: JetStreamContext, service: str, settings: EventSettings
) -> StreamInfo:
    return await ensure_stream(js, event_stream_config(service, settings))


async def ensure_dlq_stream(js: JetStreamContext, settings: EventSettings) -> StreamInfo:
    return await ensure_stream(js, dlq_stream_config(settings))
