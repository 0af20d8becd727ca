"""The app factory every subgraph uses: GraphQL at ``/graphql``, ``/health``, ``/ready``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.fastapi import GraphQLRouter
from strawberry.schema import BaseSchema

from subgraphs.kit.auth.install import install_token_auth
from subgraphs.kit.auth.middleware import request_identity
from subgraphs.kit.auth.verifier import TokenVerifier
from subgraphs.kit.context import ServiceContext
from subgraphs.kit.db import UnitOfWork, create_engine, create_sessionmaker, ping
from subgraphs.kit.events.runtime import ConsumerSpec, EventRuntime
from subgraphs.kit.logging import (
    CorrelationIdMiddleware,
    configure_logging,
    current_correlation_id,
    get_logger,
    new_correlation_id,
)
from subgraphs.kit.settings import ServiceSettings

LoadersT = TypeVar("LoadersT")

log = get_logger("polyshop.app")


def create_service_app(
    name: str,
    schema: BaseSchema,
    settings: ServiceSettings,
    *,
    loaders_factory: Callable[[ServiceContext[LoadersT]], LoadersT],
    verify_tokens: bool = True,
    event_consumers: Sequence[ConsumerSpec] = (),
    publishes_events: bool = False,
) -> FastAPI:
    """A FastAPI app serving ``schema``; the engine lives as long as the app's lifespan.

    GraphiQL is served only in dev mode. ``/health`` says the process is alive; ``/ready``
    says it can serve (its database answers), so orchestrators route traffic by it.
    Every request must carry a valid service or user token (see `subgraphs.kit.auth`),
    except where ``verify_tokens`` is off: the auth service checks its own keys.
    A service that writes events to its outbox sets ``publishes_events`` (the relay needs the
    outbox table); ``event_consumers`` run for as long as the app does.
    """
    verifier: TokenVerifier | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Here rather than at import: importing an app module must not rewire logging.
        configure_logging(settings.log_level, json=settings.log_json)
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        log.info("service started", service=name, port=settings.port, dev_mode=settings.dev_mode)
        try:
            if publishes_events or event_consumers:
                async with EventRuntime(
                    service=name,
                    settings=settings,
                    engine=engine,
                    sessionmaker=app.state.sessionmaker,
                    consumers=event_consumers,
                    relay=publishes_events,
                ) as events:
                    app.state.events = events
                    yield
            else:
                yield
        finally:
            if verifier is not None:
                await verifier.aclose()
            await engine.dispose()
            log.info("service stopped", service=name)

    app = FastAPI(
        title=f"PolyShop {name}",
        lifespan=lifespan,
        docs_url="/docs" if settings.dev_mode else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.dev_mode else None,
    )
    app.state.settings = settings

    async def get_context(request: Request) -> AsyncIterator[ServiceContext[LoadersT]]:
        sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        context = ServiceContext(
            uow=UnitOfWork(sessionmaker),
            loaders_factory=loaders_factory,
            correlation_id=current_correlation_id() or new_correlation_id(),
            service_name=name,
            dev_mode=settings.dev_mode,
            identity=request_identity(request),
        )
        try:
            yield context
        finally:
            # Normally a no-op: the transaction extension already finished the session.
            await context.uow.finish(commit=False)

    graphql: GraphQLRouter[Any, None] = GraphQLRouter(
        schema,
        context_getter=cast(Any, get_context),
        graphql_ide="graphiql" if settings.dev_mode else None,
    )
    app.include_router(graphql, prefix="/graphql")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        engine: AsyncEngine = request.app.state.engine
        try:
            await ping(engine)
        except Exception as exc:
            log.warning("not ready", error=str(exc))
            body = {"status": "unavailable", "service": name}
            if settings.dev_mode:
                body["error"] = str(exc)
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "service": name})

    if verify_tokens:
        verifier = install_token_auth(app, dev_mode=settings.dev_mode)
    app.add_middleware(CorrelationIdMiddleware)
    return app
