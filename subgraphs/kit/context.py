"""The per-request GraphQL context every resolver of a service receives."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.fastapi import BaseContext

from polyshop.runtime.principal import Principal
from subgraphs.kit.db import UnitOfWork

LoadersT = TypeVar("LoadersT")


class ServiceContext(BaseContext, Generic[LoadersT]):
    """Session, dataloaders and request facts, created fresh for every request.

    ``now`` is fixed when the request starts so that every resolver of one response agrees
    on what "currently active" means.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        loaders_factory: Callable[[ServiceContext[LoadersT]], LoadersT],
        correlation_id: str,
        service_name: str = "service",
        dev_mode: bool = False,
        identity: Principal | None = None,
        now: datetime | None = None,
    ) -> None:
        super().__init__()
        self.uow = uow
        self.correlation_id = correlation_id
        self.service_name = service_name
        self.dev_mode = dev_mode
        self.identity = identity
        self.now = now or datetime.now(UTC)
        self.loaders: LoadersT = loaders_factory(self)

    def db(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Exclusive use of the request's session: ``async with ctx.db() as session``."""
        return self.uow.session()
