"""Business rules of the auth service; resolvers stay thin and call these.

Functions take the request's session for writes that stand or fall with the operation.
Two kinds of writes must survive a failed operation and so use their own transaction:
throttle counters (a failed login *is* an error) and the revocation of a refresh-token
family on reuse (the reuse is answered with an error too).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.auth.errors import TooManyRequests
from subgraphs.auth.models import RefreshToken, Role, User, UserRole
from subgraphs.auth.runtime import AuthRuntime
from subgraphs.auth.tokens import (
    AccessToken,
    RotationOutcome,
    find_refresh_token,
    issue_refresh_token,
    revoke_family,
    revoke_user_tokens,
    rotate_refresh_token,
)
from subgraphs.kit.auth import Principal, Unauthenticated
from subgraphs.kit.errors import BadUserInput, NotFound
from subgraphs.kit.ids import uuid_id

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 320
MAX_NAME_LENGTH = 200
INVALID_CREDENTIALS = "Invalid email or password"
_REFRESH_FAILURES = {
    RotationOutcome.UNKNOWN: ("The refresh token is not valid", "invalid"),
    RotationOutcome.EXPIRED: ("The refresh token has expired", "expired"),
    RotationOutcome.REUSED: (
        "The refresh token was already used; this login's sessions are revoked",
        "reused",
    ),
}


@dataclass(frozen=True, slots=True)
class AuthResult:
    access: AccessToken
    refresh_token: str
    user: User


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    normalized = normalize_email(email)
    if len(normalized) > MAX_EMAIL_LENGTH or not EMAIL.match(normalized):
        raise BadUserInput("Enter a valid email address", field="email")
    return normalized


def validate_password(runtime: AuthRuntime, password: str, *, email: str, field: str) -> None:
    settings = runtime.settings
    if len(password) < settings.auth_password_min_length:
        raise BadUserInput(
            f"A password needs at least {settings.auth_password_min_length} characters",
            field=field,
        )
    if len(password) > settings.auth_password_max_length:
        raise BadUserInput(
            f"A password has at most {settings.auth_password_max_length} characters", field=field
        )
    if password.strip().lower() == email:
        raise BadUserInput("The password must not be the email address", field=field)


def validate_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise BadUserInput(f"A name has 1 to {MAX_NAME_LENGTH} characters", field="name")
    return cleaned


def parse_user_id(value: str) -> uuid.UUID | None:
    return uuid_id(value)


async def role_names(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    statement = (
        select(Role.name)
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id)
        .order_by(Role.name)
    )
    return list((await session.scalars(statement)).all())


async def start_session(
    runtime: AuthRuntime,
    session: AsyncSession,
    user: User,
    *,
    family_id: uuid.UUID | None = None,
) -> AuthResult:
    """A new access token and the first refresh token of a new family (a login)."""
    now = runtime.clock()
    access = await runtime.issuer.for_user(user.id, await role_names(session, user.id), now)
    raw, _ = await issue_refresh_token(
        session, user.id, now=now, lifetime=refresh_lifetime(runtime), family_id=family_id
    )
    return AuthResult(access=access, refresh_token=raw, user=user)


def refresh_lifetime(runtime: AuthRuntime) -> timedelta:
    return timedelta(days=runtime.settings.auth_refresh_token_days)


async def add_role(session: AsyncSession, user_id: uuid.UUID, role_name: str) -> None:
    role = await session.scalar(select(Role).where(Role.name == role_name))
    if role is None:
        raise BadUserInput(f"Unknown role {role_name!r}", field="role")
    await session.execute(
        insert(UserRole).values(user_id=user_id, role_id=role.id).on_conflict_do_nothing()
    )


async def register(
    runtime: AuthRuntime, session: AsyncSession, *, email: str, password: str, name: str
) -> AuthResult:
    email = validate_email(email)
    name = validate_name(name)
    validate_password(runtime, password, email=email, field="password")
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise BadUserInput("An account with this email already exists", field="email")
    now = runtime.clock()
    user = User(
        id=uuid.uuid4(),
        email=email,
        password_hash=await runtime.passwords.hash(password),
        name=name,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    await add_role(session, user.id, runtime.settings.auth_default_role)
    return await start_session(runtime, session, user)


async def login(
    runtime: AuthRuntime, session: AsyncSession, *, email: str, password: str, address: str
) -> AuthResult:
    """Same work whether or not the email exists: a miss verifies against the dummy hash."""
    email = normalize_email(email)
    if not email or not password:
        raise BadUserInput("Email and password are required")
    retry_after = await runtime.throttle.retry_after(email, address)
    if retry_after is not None:
        raise TooManyRequests("Too many failed logins; try again later", retryAfter=retry_after)
    user = await session.scalar(select(User).where(User.email == email))
    password_hash = user.password_hash if user is not None else await runtime.passwords.dummy_hash()
    verified = await runtime.passwords.verify(password_hash, password)
    if user is None or not verified:
        await runtime.throttle.record_failure(email, address)
        raise Unauthenticated(INVALID_CREDENTIALS)
    await runtime.throttle.reset_login(email, address)
    if runtime.passwords.needs_rehash(user.password_hash):
        user.password_hash = await runtime.passwords.hash(password)
    return await start_session(runtime, session, user)


async def refresh(runtime: AuthRuntime, raw_token: str) -> AuthResult:
    """Rotates the token in a transaction of its own, committed even when refusing."""
    now = runtime.clock()
    async with runtime.sessionmaker() as session, session.begin():
        rotation = await rotate_refresh_token(
            session, raw_token, now=now, lifetime=refresh_lifetime(runtime)
        )
        if rotation.outcome is RotationOutcome.ROTATED and rotation.raw_token is not None:
            # Refresh tokens are deleted with their user, so the user exists.
            user = await session.get_one(User, rotation.user_id)
            roles = await role_names(session, user.id)
            access = await runtime.issuer.for_user(user.id, roles, now)
            return AuthResult(access=access, refresh_token=rotation.raw_token, user=user)
    message, reason = _REFRESH_FAILURES[rotation.outcome]
    raise Unauthenticated(message, reason=reason)


async def logout(
    session: AsyncSession, runtime: AuthRuntime, *, raw_token: str, all_sessions: bool
) -> bool:
    """Revokes the login the token belongs to (or every login of its user); False if the
    token is unknown or already revoked."""
    token: RefreshToken | None = await find_refresh_token(session, raw_token)
    if token is None or token.revoked:
        return False
    now = runtime.clock()
    if all_sessions:
        await revoke_user_tokens(session, token.user_id, now=now)
    else:
        await revoke_family(session, token.family_id, now=now)
    return True


async def change_password(
    runtime: AuthRuntime,
    session: AsyncSession,
    identity: Principal,
    *,
    current_password: str,
    new_password: str,
    address: str,
) -> AuthResult:
    """Checks the current password (throttled like a login), then ends every other session."""
    user_id = parse_user_id(identity.subject)
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise Unauthenticated("The account of this token no longer exists")
    retry_after = await runtime.throttle.retry_after(user.email, address)
    if retry_after is not None:
        raise TooManyRequests("Too many failed attempts; try again later", retryAfter=retry_after)
    if not await runtime.passwords.verify(user.password_hash, current_password):
        await runtime.throttle.record_failure(user.email, address)
        raise BadUserInput("The current password is wrong", field="currentPassword")
    validate_password(runtime, new_password, email=user.email, field="newPassword")
    if new_password == current_password:
        raise BadUserInput("The new password must differ from the current one", field="newPassword")
    user.password_hash = await runtime.passwords.hash(new_password)
    user.updated_at = runtime.clock()
    await revoke_user_tokens(session, user.id, now=runtime.clock())
    return await start_session(runtime, session, user)


async def get_user(session: AsyncSession, user_id: str) -> User:
    parsed = parse_user_id(user_id)
    user = await session.get(User, parsed) if parsed is not None else None
    if user is None:
        raise NotFound("No user with this id", field="userId")
    return user


async def grant_role(session: AsyncSession, *, user_id: str, role: str) -> User:
    user = await get_user(session, user_id)
    await add_role(session, user.id, role)
    return user


async def revoke_role(
    session: AsyncSession, runtime: AuthRuntime, *, user_id: str, role: str
) -> User:
    """Refuses to remove the last admin: nobody could grant the role again."""
    user = await get_user(session, user_id)
    role_row = await session.scalar(select(Role).where(Role.name == role))
    if role_row is None:
        raise BadUserInput(f"Unknown role {role!r}", field="role")
    if role == runtime.settings.auth_admin_role:
        others = await session.scalar(
            select(func.count())
            .select_from(UserRole)
            .where(UserRole.role_id == role_row.id, UserRole.user_id != user.id)
        )
        if not others:
            raise BadUserInput("Cannot revoke the role of the last admin", field="role")
    await session.execute(
        delete(UserRole).where(UserRole.user_id == user.id, UserRole.role_id == role_row.id)
    )
    return user
