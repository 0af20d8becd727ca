"""The per-request GraphQL context every resolver of a service receives, and the process
parts a service's resources are made from.

A service plugs into the kit in one way: ``create_service_app(..., loaders_factory=...,
resources=...)``. ``resources`` is an async context manager factory: it gets the kit's
`ServiceProcess` (settings, engine, sessions, telemetry) when the app starts, yields the
service's long-lived collaborators (a products client, a payment provider, a dispatcher...)
and closes them when the app stops. What it yields reaches every resolver as
``ServiceContext.resources``, typed: a service declares
``OrderContext = ServiceContext[OrderLoaders, OrderResources]`` once and its resolvers take
``info: strawberry.Info[OrderContext, None]``. Nothing is looked up on ``app.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.fastapi import BaseContext

from polyshop.runtime.principal import Principal
from subgraphs.kit.db import UnitOfWork
from subgraphs.kit.settings import ServiceSettings

if TYPE_CHECKING:
    from subgraphs.kit.events.live import LiveEvents
    from subgraphs.kit.telemetry import ServiceTelemetry

LoadersT = TypeVar("LoadersT")
ResourcesT = TypeVar("ResourcesT")
SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class ServiceContext(BaseContext, Generic[LoadersT, ResourcesT]):
    """Session, dataloaders, the process's resources and request facts, fresh per request.

    ``now`` is fixed when the request starts so that every resolver of one response agrees
    on what "currently active" means. ``live`` is the process's `LiveEvents` where the app
    streams live events (``create_service_app(live=...)``), else None. ``request`` (a
    Request, or the WebSocket of a subscription) is set by Strawberry, as on `BaseContext`.
    """

    uow: UnitOfWork
    resources: ResourcesT
    correlation_id: str
    loaders_factory: InitVar[Callable[[ServiceContext[LoadersT, ResourcesT]], LoadersT]]
    service_name: str = "service"
    dev_mode: bool = False
    identity: Principal | None = None
    live: LiveEvents | None = None
    now: datetime = field(default_factory=_now)
    loaders: LoadersT = field(init=False)

    def __post_init__(
        self, loaders_factory: Callable[[ServiceContext[LoadersT, ResourcesT]], LoadersT]
    ) -> None:
        BaseContext.__init__(self)
        self.loaders = loaders_factory(self)

    def db(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Exclusive use of the request's session: ``async with ctx.db() as session``."""
        return self.uow.session()


@dataclass(frozen=True, slots=True)
class ServiceProcess(Generic[SettingsT]):
    """What the kit made for the process when the app started, handed to the service's
    ``resources`` factory: its settings, database engine and sessions, and telemetry (for a
    client span around an outgoing call, say)."""

    name: str
    settings: SettingsT
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    telemetry: ServiceTelemetry


ResourcesFactory = Callable[[ServiceProcess[SettingsT]], AbstractAsyncContextManager[ResourcesT]]
"""``resources=`` of `create_service_app`: entered once the kit's parts exist, exited first
on shutdown (before the event workers stop and the engine closes)."""


@asynccontextmanager
async def settings_only(process: ServiceProcess[SettingsT]) -> AsyncIterator[SettingsT]:
    """``resources=`` of a service whose resolvers need nothing but its settings."""
    yield process.settings
