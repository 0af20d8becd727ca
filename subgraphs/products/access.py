"""Who may change the catalogue: one rule, declared for the router and enforced here.

A catalogue write needs role ``admin`` (an administrator's user token) or scope
``catalog:write`` (a service's client-credentials token). The router sees the rule as
``@policy(policies: [["admin"], ["catalog:write"]])`` and checks it before it fetches
anything: its default policy evaluator grants a policy named in the token's ``roles`` (or
``policies``) claim, so administrators pass by default; services holding ``catalog:write``
call this subgraph directly, or pass the router too when the router's
``POLYSHOP_ROUTER_AUTH_POLICY_CLAIMS`` includes ``scope``. This subgraph enforces the rule
itself whoever calls it, so the router's check is an early refusal, never the only one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.federation.schema_directives import Policy

from subgraphs.kit.auth import Forbidden, Principal, require_identity

ADMIN_ROLE = "admin"
CATALOG_WRITE_SCOPE = "catalog:write"
CATALOG_WRITE_POLICY = Policy(policies=[[ADMIN_ROLE], [CATALOG_WRITE_SCOPE]])
RULE = f"Needs role {ADMIN_ROLE} or scope {CATALOG_WRITE_SCOPE}."


def may_write_catalog(identity: Principal) -> bool:
    return identity.has_role(ADMIN_ROLE) or identity.has_scope(CATALOG_WRITE_SCOPE)


def require_catalog_writer(info: strawberry.Info) -> Principal:
    """The caller, if it may change the catalogue; `Unauthenticated` or `Forbidden` if not."""
    identity = require_identity(info)
    if not may_write_catalog(identity):
        raise Forbidden(
            f"Changing the catalogue requires role {ADMIN_ROLE} or scope {CATALOG_WRITE_SCOPE}",
            requiredRoles=[ADMIN_ROLE],
            requiredScopes=[CATALOG_WRITE_SCOPE],
        )
    return identity


class CatalogWriteGuard(FieldExtension):
    """Runs the check before the resolver, so a refused call reads and writes nothing."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: strawberry.Info, **kwargs: Any
    ) -> Any:
        require_catalog_writer(info)
        return await next_(source, info, **kwargs)


def catalog_mutation(description: str | None = None) -> Callable[[Any], Any]:
    """``@strawberry.mutation`` for a catalogue write: the directive for the router, the guard
    for this subgraph and the rule in the field's description, so that none can be left out."""
    text = f"{description} {RULE}" if description else RULE
    decorator: Callable[[Any], Any] = strawberry.mutation(
        description=text, directives=[CATALOG_WRITE_POLICY], extensions=[CatalogWriteGuard()]
    )
    return decorator
