"""Who is calling, as proven by a verified access token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Identity:
    """The verified caller: a user (``sub`` is the user id) or a service client.

    A service token is the result of the client-credentials grant: RFC 9068 puts the
    client's id in both ``sub`` and ``client_id``, which is how it is told apart from a
    user's token. ``claims`` keeps the whole verified payload for anything unusual.
    """

    subject: str
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)
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

    def acting_through(self, service: Identity) -> Identity:
        """This user's identity, reached through ``service`` (which forwarded the token)."""
        return replace(self, actor=service.client_id)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Identity:
        """Builds the identity from a verified payload (``scope`` is space-separated)."""
        scope = claims.get("scope", "")
        roles = claims.get("roles", [])
        client_id = claims.get("client_id")
        return cls(
            subject=str(claims["sub"]),
            client_id=str(client_id) if client_id is not None else None,
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            roles=frozenset(str(r) for r in roles) if isinstance(roles, list) else frozenset(),
            claims=dict(claims),
        )
