"""The auth subgraph's GraphQL schema: the `User` entity, sign-up/in, sessions and roles.

Print the SDL committed in ``schema/auth.graphql`` with
``python -m subgraphs.auth.schema > schema/auth.graphql``.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.federation.schema_directives import Authenticated
from strawberry.types import Info

from subgraphs.auth import service
from subgraphs.auth.loaders import AuthContext
from subgraphs.auth.models import User
from subgraphs.auth.runtime import AuthRuntime
from subgraphs.auth.service import AuthResult
from subgraphs.auth.throttle import forwarded_client
from subgraphs.kit.auth import (
    Forbidden,
    identity_of,
    request_caller,
    require_identity,
    require_role,
    require_user,
)
from subgraphs.kit.cache import invalidate, private
from subgraphs.kit.schema import build_schema, print_sdl

AuthInfo = Info[AuthContext, None]
USERS_READ_SCOPE = "users:read"


def runtime(info: AuthInfo) -> AuthRuntime:
    return info.context.resources


def address_of(info: AuthInfo) -> str:
    """The client's address for throttling: the router's ``X-Forwarded-For`` on calls whose
    bearer token is the router's, else the TCP peer (see `subgraphs.auth.throttle`)."""
    request = info.context.request
    assert request is not None
    peer = request.client.host if request.client else "unknown"
    caller = request_caller(request)
    router = runtime(info).settings.auth_router_client_id
    through_router = caller is not None and caller.is_service and caller.client_id == router
    if not through_router:
        return peer
    return forwarded_client(request.headers.get("x-forwarded-for")) or peer


@strawberry.federation.type(keys=["id"], name="User", description="A person with an account.")
class UserType:
    id: strawberry.ID
    name: str
    created_at: datetime
    stored_email: strawberry.Private[str]
    # True in a sign-in payload: the caller just proved to be this user.
    signed_in: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, user: User, *, signed_in: bool = False) -> UserType:
        return cls(
            id=strawberry.ID(str(user.id)),
            name=user.name,
            created_at=user.created_at,
            stored_email=user.email,
            signed_in=signed_in,
        )

    @strawberry.field(
        description="Visible to the user, admins and services holding users:read; "
        "anyone else gets null and a FORBIDDEN error.",
    )
    def email(self, info: AuthInfo) -> str | None:
        if self.signed_in:
            return self.stored_email
        identity = require_identity(info)
        admin = runtime(info).settings.auth_admin_role
        if (
            identity.user_id == str(self.id)
            or identity.has_role(admin)
            or identity.has_scope(USERS_READ_SCOPE)
        ):
            return self.stored_email
        raise Forbidden("Only the user, an admin or a service may read this email")

    @strawberry.field(description="Role names, sorted.")
    async def roles(self, info: AuthInfo) -> list[str]:
        user_id = service.parse_user_id(self.id)
        return await info.context.loaders.roles_by_user.load(user_id) if user_id else []

    @classmethod
    async def resolve_reference(cls, info: AuthInfo, id: strawberry.ID) -> UserType | None:
        require_identity(info)
        return await load_user(info, id)


async def load_user(info: AuthInfo, user_id: str) -> UserType | None:
    parsed = service.parse_user_id(user_id)
    user = await info.context.loaders.user_by_id.load(parsed) if parsed else None
    return UserType.from_model(user) if user is not None else None


@strawberry.type(description="A signed-in session: keep the refresh token secret.")
class AuthPayload:
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int = strawberry.field(description="Seconds the access token stays valid.")
    user: UserType

    @classmethod
    def from_result(cls, result: AuthResult) -> AuthPayload:
        return cls(
            access_token=result.access.token,
            refresh_token=result.refresh_token,
            token_type="Bearer",
            expires_in=result.access.expires_in,
            user=UserType.from_model(result.user, signed_in=True),
        )


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user; null without a user token.")
    async def me(self, info: AuthInfo) -> UserType | None:
        identity = identity_of(info)
        if identity is None or identity.user_id is None:
            return None
        return await load_user(info, identity.user_id)

    @strawberry.field(
        description="A user by id (any authenticated caller).",
        directives=[Authenticated()],
    )
    async def user(self, info: AuthInfo, id: strawberry.ID) -> UserType | None:
        require_identity(info)
        return await load_user(info, id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Creates an account with the default role and signs in.")
    async def register(self, info: AuthInfo, input: RegisterInput) -> AuthPayload:
        async with info.context.db() as session:
            result = await service.register(
                runtime(info), session, email=input.email, password=input.password, name=input.name
            )
        return AuthPayload.from_result(result)

    @strawberry.mutation(description="Signs in; failures are throttled per email and address.")
    async def login(self, info: AuthInfo, email: str, password: str) -> AuthPayload:
        async with info.context.db() as session:
            result = await service.login(
                runtime(info), session, email=email, password=password, address=address_of(info)
            )
        return AuthPayload.from_result(result)

    @strawberry.mutation(description="Spends a refresh token for a new access and refresh token.")
    async def refresh_token(self, info: AuthInfo, refresh_token: str) -> AuthPayload:
        return AuthPayload.from_result(await service.refresh(runtime(info), refresh_token))

    @strawberry.mutation(
        description="Ends the session of this refresh token (or all the user's sessions); "
        "false when the token was unknown or already revoked."
    )
    async def logout(self, info: AuthInfo, refresh_token: str, all_sessions: bool = False) -> bool:
        async with info.context.db() as session:
            return await service.logout(
                session, runtime(info), raw_token=refresh_token, all_sessions=all_sessions
            )

    @strawberry.mutation(
        description="Changes the password and ends every other session.",
        directives=[Authenticated()],
    )
    async def change_password(
        self, info: AuthInfo, current_password: str, new_password: str
    ) -> AuthPayload:
        identity = require_user(info)
        async with info.context.db() as session:
            result = await service.change_password(
                runtime(info),
                session,
                identity,
                current_password=current_password,
                new_password=new_password,
                address=address_of(info),
            )
        return AuthPayload.from_result(result)

    @strawberry.mutation(
        description="Admin only. Takes effect in the user's next token.",
        directives=[Authenticated()],
    )
    async def grant_role(self, info: AuthInfo, user_id: strawberry.ID, role: str) -> UserType:
        require_role(info, runtime(info).settings.auth_admin_role)
        async with info.context.db() as session:
            user = await service.grant_role(session, user_id=user_id, role=role)
        invalidate("User", {"id": user.id})
        return UserType.from_model(user)

    @strawberry.mutation(
        description="Admin only. The last admin keeps the admin role.",
        directives=[Authenticated()],
    )
    async def revoke_role(self, info: AuthInfo, user_id: strawberry.ID, role: str) -> UserType:
        require_role(info, runtime(info).settings.auth_admin_role)
        async with info.context.db() as session:
            user = await service.revoke_role(session, runtime(info), user_id=user_id, role=role)
        invalidate("User", {"id": user.id})
        return UserType.from_model(user)


CONSTRAINT_MESSAGES = {
    "users_email_key": "An account with this email already exists",
    "users_name_not_blank": "A name must not be blank",
}

USER_MAX_AGE = 30
"""Seconds the router may keep a user's own account data, for that user only (``private``)."""

schema = build_schema(
    query=Query,
    mutation=Mutation,
    types=[UserType],
    constraint_messages=CONSTRAINT_MESSAGES,
    cache_hints={"User": private(USER_MAX_AGE)},
)


def sdl() -> str:
    """The SDL to commit as ``schema/auth.graphql``."""
    return print_sdl(schema)


if __name__ == "__main__":
    print(sdl(), end="")
