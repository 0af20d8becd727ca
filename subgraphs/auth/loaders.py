"""DataLoaders of the auth service: users by id and role names by user."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from subgraphs.auth.models import Role, User, UserRole
from subgraphs.auth.runtime import AuthRuntime
from subgraphs.kit.context import ServiceContext
from subgraphs.kit.loaders import SessionScope, by_column


@dataclass(frozen=True, slots=True)
class AuthLoaders:
    user_by_id: DataLoader[uuid.UUID, User | None]
    roles_by_user: DataLoader[uuid.UUID, list[str]]


def roles_by_user(db: SessionScope) -> DataLoader[uuid.UUID, list[str]]:
    async def load(user_ids: list[uuid.UUID]) -> list[list[str]]:
        statement = (
            select(UserRole.user_id, Role.name)
            .join(Role, Role.id == UserRole.role_id)
            .where(UserRole.user_id.in_(user_ids))
            .order_by(Role.name)
        )
        async with db() as session:
            rows = (await session.execute(statement)).all()
        names: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
        for user_id, name in rows:
            names[user_id].append(name)
        return [names.get(user_id, []) for user_id in user_ids]

    return DataLoader(load_fn=load)


AuthContext = ServiceContext[AuthLoaders, AuthRuntime]


def make_loaders(context: AuthContext) -> AuthLoaders:
    return AuthLoaders(
        user_by_id=by_column(context.db, User, User.id),
        roles_by_user=roles_by_user(context.db),
    )
