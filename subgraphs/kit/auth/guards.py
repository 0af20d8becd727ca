"""Checks a resolver makes before acting: who is calling, and may they.

``identity_of(info)`` finds the caller in the context (``context.identity``) or, before the
context carries one, in the request state the middleware filled. The ``require_*`` helpers
raise `Unauthenticated` (no identity) or `Forbidden` (not allowed), which the kit's error
policy turns into ``extensions.code``. The permission classes wrap the same checks for
``@strawberry.field(permission_classes=[...])``.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from polyshop.runtime.principal import Principal
from subgraphs.kit.auth.errors import FORBIDDEN, UNAUTHENTICATED, Forbidden, Unauthenticated
from subgraphs.kit.auth.middleware import STATE_KEY


def identity_of(info: Info[Any, Any]) -> Principal | None:
    context = info.context
    found = (
        context.get("identity") if isinstance(context, dict) else getattr(context, "identity", None)
    )
    if isinstance(found, Principal):
        return found
    request = (
        context.get("request") if isinstance(context, dict) else getattr(context, "request", None)
    )
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    found = state.get(STATE_KEY)
    return found if isinstance(found, Principal) else None


def require_identity(info: Info[Any, Any]) -> Principal:
    identity = identity_of(info)
    if identity is None:
        raise Unauthenticated("Authentication required")
    return identity


def require_user(info: Info[Any, Any]) -> Principal:
    """A signed-in user (a service token is not enough)."""
    identity = require_identity(info)
    if identity.is_service:
        raise Forbidden("This operation needs a user's token, not a service token")
    return identity


def require_scopes(info: Info[Any, Any], *scopes: str) -> Principal:
    """Every one of ``scopes``."""
    identity = require_identity(info)
    missing = sorted(set(scopes) - identity.scopes)
    if missing:
        raise Forbidden(f"Missing scope: {' '.join(missing)}", requiredScopes=list(scopes))
    return identity


def require_grant(info: Info[Any, Any], *, role: str, scope: str, what: str) -> Principal:
    """Role ``role`` (an admin) or scope ``scope`` (a service granted it), nothing else.

    Being a service is no grant in itself: a gateway relaying an anonymous client, or a
    service without the scope, is refused like anyone else."""
    identity = require_identity(info)
    if not (identity.has_role(role) or identity.has_scope(scope)):
        raise Forbidden(
            f"{what} requires role {role} or scope {scope}",
            requiredRoles=[role],
            requiredScopes=[scope],
        )
    return identity


def require_role(info: Info[Any, Any], *roles: str) -> Principal:
    """Any one of ``roles``."""
    identity = require_identity(info)
    if not identity.roles.intersection(roles):
        raise Forbidden(f"Requires role: {' or '.join(roles)}", requiredRoles=list(roles))
    return identity


class IsAuthenticated(BasePermission):
    message = "Authentication required"
    error_extensions = {"code": UNAUTHENTICATED}

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        return identity_of(info) is not None


class HasScopes(BasePermission):
    """Use through ``strawberry.permission.PermissionExtension(permissions=[HasScopes(...)])``."""

    error_extensions = {"code": FORBIDDEN}

    def __init__(self, *scopes: str) -> None:
        self.scopes = frozenset(scopes)
        self.message = f"Missing scope: {' '.join(sorted(self.scopes))}"

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        identity = identity_of(info)
        return identity is not None and self.scopes <= identity.scopes


class HasRole(BasePermission):
    """Any one of the roles; use like `HasScopes`."""

    error_extensions = {"code": FORBIDDEN}

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)
        self.message = f"Requires role: {' or '.join(sorted(self.roles))}"

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        identity = identity_of(info)
        return identity is not None and bool(self.roles & identity.roles)
