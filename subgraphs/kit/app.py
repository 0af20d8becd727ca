"""The app factory every subgraph uses: GraphQL at ``/graphql``, ``/health``, ``/ready``,
``/metrics``; traces, metrics and a graceful stop (see `subgraphs.kit.telemetry`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Generic, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from strawberry.fastapi import GraphQLRouter
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from polyshop.runtime.shutdown import ShutdownSignal
from subgraphs.kit.auth import JwtVerifier
from subgraphs.kit.auth.install import install_token_auth
from subgraphs.kit.auth.middleware import request_identity
from subgraphs.kit.cache import CacheControlMiddleware
from subgraphs.kit.context import ResourcesFactory, ServiceContext, ServiceProcess, SettingsT
from subgraphs.kit.db import (
    UnitOfWork,
    create_engine,
    create_sessionmaker,
    ping,
    wait_for_database,
)
from subgraphs.kit.events.live import LiveEvents, LiveSpec
from subgraphs.kit.events.runtime import ConsumerSpec, EventRuntime
from subgraphs.kit.events.tables import DEFAULT_TABLES, EventTables
from subgraphs.kit.logging import (
    CorrelationIdMiddleware,
    configure_logging,
    current_correlation_id,
    get_logger,
    new_correlation_id,
)
from subgraphs.kit.settings import ServiceSettings
from subgraphs.kit.telemetry import METRICS_CONTENT_TYPE, ServiceTelemetry
from subgraphs.kit.tls import outgoing_context

LoadersT = TypeVar("LoadersT")
ResourcesT = TypeVar("ResourcesT")

log = get_logger("polyshop.app")


def create_service_app(
    name: str,
    schema: BaseSchema,
    settings: SettingsT,
    *,
    loaders_factory: Callable[[ServiceContext[LoadersT, ResourcesT]], LoadersT],
    resources: ResourcesFactory[SettingsT, ResourcesT] | None = None,
    verify_tokens: bool = True,
    event_consumers: Sequence[ConsumerSpec] = (),
    publishes_events: bool = False,
    event_tables: EventTables = DEFAULT_TABLES,
    live: LiveSpec | None = None,
    telemetry: ServiceTelemetry | None = None,
    multipart_uploads: bool = False,
) -> FastAPI:
    """A FastAPI app serving ``schema``; the engine lives as long as the app's lifespan.

    ``resources`` is how a service adds its own long-lived parts (see
    `subgraphs.kit.context`): called with the `ServiceProcess` once the engine exists, its
    context manager yields what resolvers get as ``ServiceContext.resources`` (also
    ``app.state.resources``, for the service's plain HTTP routes and for tests) and closes
    it first on shutdown. Without it, ``resources`` is None.

    GraphiQL is served only in dev mode. ``/health`` says the process is alive; ``/ready``
    says it can serve (its database answers), so orchestrators route traffic by it.
    Every request must carry a valid service or user token (see `subgraphs.kit.auth`),
    except where ``verify_tokens`` is off: the auth service checks its own keys.
    A service that writes events to its outbox sets ``publishes_events`` (the relay needs the
    outbox table); ``event_consumers`` run for as long as the app does. ``event_tables`` say
    where its outbox and inbox are, for a service that keeps its tables in its own Postgres
    schema (products: ``add_event_tables(Base.metadata, schema="product")``). ``live`` makes
    the service's events available to its subscription resolvers (``ServiceContext.live``, see
    `subgraphs.kit.events.live`); subscriptions are served over ``graphql-transport-ws`` at
    ``/graphql``, authenticated by the upgrade request's headers like any request.

    ``multipart_uploads`` accepts GraphQL multipart requests (files for ``Upload``
    arguments) on ``/graphql``; off by default, as Strawberry has it, since only a service
    with an ``Upload`` field needs them.

    ``telemetry`` defaults to one built from ``settings`` (metrics on, tracing with an OTLP
    endpoint). The app starts while its database is down (``/ready`` says 503) and starts its
    event workers once the database answers. On SIGTERM ``/ready`` turns 503 first and the
    server stops accepting ``shutdown_delay`` seconds later (see `ShutdownSignal`); requests in
    flight finish, then consumers their message, the relay its batch, and the engine closes.
    """
    verifier: JwtVerifier | None = None
    telemetry = telemetry or ServiceTelemetry.from_settings(name, settings)
    lifecycle = _Lifecycle(settings)
    process = _Running[ResourcesT]()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Here rather than at import: importing an app module must not rewire logging.
        configure_logging(settings.log_level, json=settings.log_json)
        engine = create_engine(settings)
        telemetry.instrument_engine(engine)
        sessionmaker = create_sessionmaker(engine)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        process.sessionmaker = sessionmaker
        events: EventRuntime | None = None
        live_events: LiveEvents | None = None
        if publishes_events or event_consumers or live is not None:
            events = EventRuntime(
                service=name,
                settings=settings,
                engine=engine,
                sessionmaker=sessionmaker,
                consumers=event_consumers,
                relay=publishes_events,
                tables=event_tables,
                tracer=telemetry.tracer,
                stop_grace=settings.shutdown_timeout,
            )
            app.state.events = events
            if live is not None:
                live_events = LiveEvents(events.bus, live.subjects, live.keys_of)
            app.state.live = live_events
        process.live = live_events

        waiting = asyncio.create_task(_start_when_database_answers(engine, settings, events))
        lifecycle.started()
        service_parts = AsyncExitStack()
        try:
            if resources is not None:
                made = await service_parts.enter_async_context(
                    resources(ServiceProcess(name, settings, engine, sessionmaker, telemetry))
                )
                process.resources = made
                app.state.resources = made
            log.info(
                "service started", service=name, port=settings.port, dev_mode=settings.dev_mode
            )
            yield
        finally:
            lifecycle.stopped()
            try:
                # The service's own parts close first: they may still use the engine and events.
                await service_parts.aclose()
            except Exception:
                log.exception("closing the service's resources failed")
            waiting.cancel()
            try:
                await waiting
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("starting the event workers failed")
            if live_events is not None:
                await live_events.close()
            if events is not None:
                # Consumers finish the message in hand, the relay its batch, then NATS closes.
                await events.stop()
            if verifier is not None:
                await verifier.aclose()
            await engine.dispose()
            await asyncio.to_thread(telemetry.shutdown)
            log.info("service stopped", service=name)

    app = FastAPI(
        title=f"PolyShop {name}",
        lifespan=lifespan,
        docs_url="/docs" if settings.dev_mode else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.dev_mode else None,
    )
    app.state.settings = settings
    app.state.telemetry = telemetry
    app.state.lifecycle = lifecycle

    async def get_context(
        request: HTTPConnection,
    ) -> AsyncIterator[ServiceContext[LoadersT, ResourcesT]]:
        # An HTTPConnection: a Request for queries, a WebSocket for subscriptions.
        context = ServiceContext(
            uow=UnitOfWork(process.sessionmaker),
            resources=process.resources,
            loaders_factory=loaders_factory,
            correlation_id=current_correlation_id() or new_correlation_id(),
            service_name=name,
            dev_mode=settings.dev_mode,
            identity=request_identity(request),
            live=process.live,
        )
        try:
            yield context
        finally:
            # Normally a no-op: the transaction extension already finished the session.
            await context.uow.close(commit=False)

    graphql: GraphQLRouter[Any, None] = GraphQLRouter(
        schema,
        context_getter=cast(Any, get_context),
        graphql_ide="graphiql" if settings.dev_mode else None,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        multipart_uploads_enabled=multipart_uploads,
    )
    app.include_router(graphql, prefix="/graphql")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        if lifecycle.draining:
            return JSONResponse({"status": "draining", "service": name}, status_code=503)
        engine: AsyncEngine = request.app.state.engine
        try:
            await ping(engine)
        except Exception as exc:
            log.warning("not ready", error=str(exc))
            body = {"status": "unavailable", "service": name}
            if settings.dev_mode:
                body["error"] = type(exc).__name__  # its text may carry addresses
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "service": name})

    metrics = telemetry.metrics
    if metrics is not None:

        @app.get("/metrics", include_in_schema=False)
        async def metrics_endpoint() -> Response:
            return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    if verify_tokens:
        verifier = install_token_auth(
            app, dev_mode=settings.dev_mode, ssl=outgoing_context(settings)
        )
    app.add_middleware(CorrelationIdMiddleware)
    app.add_middleware(CacheControlMiddleware)
    # Last: outermost, so the access line above is logged inside the request's span.
    telemetry.instrument_app(app)
    return app


class _Running(Generic[ResourcesT]):
    """What the lifespan made, for the requests it serves."""

    def __init__(self) -> None:
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        # None until started, and for good in a service without ``resources``.
        self.resources: ResourcesT = cast(ResourcesT, None)
        self.live: LiveEvents | None = None

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self._sessionmaker is None:
            raise RuntimeError("the app's lifespan has not started")
        return self._sessionmaker

    @sessionmaker.setter
    def sessionmaker(self, value: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = value


async def _start_when_database_answers(
    engine: AsyncEngine, settings: ServiceSettings, events: EventRuntime | None
) -> None:
    """Wait for the database with backoff (it may start after the service), then start the
    event workers. ``/ready`` answers 503 meanwhile, since it pings the database itself; past
    ``db_startup_timeout`` the wait goes on, but logged as an error."""
    try:
        await wait_for_database(
            engine, within=settings.db_startup_timeout, backoff_max=settings.db_startup_backoff_max
        )
    except Exception:
        log.error("database still unreachable; waiting on", waited=settings.db_startup_timeout)
        await wait_for_database(
            engine, within=float("inf"), backoff_max=settings.db_startup_backoff_max
        )
    if events is not None:
        await events.start()


class _Lifecycle:
    """Readiness across start and stop, and the SIGTERM hook of `ShutdownSignal`."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.draining = False
        self.signal = ShutdownSignal(
            delay=settings.shutdown_delay,
            drain_timeout=settings.shutdown_timeout,
            on_draining=self._drain,
        )

    def _drain(self) -> None:
        self.draining = True
        log.info("shutdown requested; not ready")

    def started(self) -> None:
        self.draining = False
        self.signal.install()

    def stopped(self) -> None:
        self.draining = True
        self.signal.uninstall()
