"""Who sent a request, as proven by a verified access token: what the rest of a process trusts.

One type for the router (the caller at the edge) and the subgraphs (the caller of a service,
a user or another service).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller: a user (``sub`` is the user id) or a service client.

    A service token is the result of the client-credentials grant: RFC 9068 puts the client's
    id in both ``sub`` and ``client_id``, which is how it is told apart from a user's token.
    ``claims`` keeps the whole verified payload for anything unusual; ``token`` is the original
    bearer token (the router forwards it so that subgraphs verify the caller themselves).
    """

    subject: str
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    token: str = field(default="", repr=False)
    actor: str | None = None
    """The service client that forwarded this user's token (e.g. ``router``), if any."""

    @property
    def is_service(self) -> bool:
        return self.client_id is not None and self.client_id == self.subject

    @property
    def user_id(self) -> str | None:
        """The user's id for a user token; None for a service token."""
        return None if self.is_service else self.subject

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def acting_through(self, service: Principal) -> Principal:
        """This user's principal, reached through ``service`` (which forwarded the token)."""
        return replace(self, actor=service.client_id)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], token: str = "") -> Principal:
        """Reads ``sub``, ``scope`` (space-separated, RFC 8693/9068; a list, or ``scp``, is
        accepted too), ``roles`` and ``client_id`` from a verified payload."""
        client_id = claims.get("client_id")
        return cls(
            subject=str(claims.get("sub", "")),
            client_id=str(client_id) if client_id is not None else None,
            scopes=_strings(claims.get("scope", claims.get("scp"))),
            roles=_strings(claims.get("roles")),
            claims=MappingProxyType(dict(claims)),
            token=token,
        )


def _strings(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(str(item) for item in value if isinstance(item, str | int))
    return frozenset()
