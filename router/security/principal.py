"""Who sent a request, as proven by a verified token: what the rest of the router trusts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller of one request.

    ``token`` is the original bearer token: subgraphs get it to verify the caller themselves.
    A client-credentials token names the client in both ``sub`` and ``client_id`` (RFC 9068),
    which is how a service is told apart from a user.
    """

    subject: str
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    client_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    token: str = ""

    @property
    def is_service(self) -> bool:
        return self.client_id is not None and self.client_id == self.subject

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], token: str = "") -> Principal:
        """Reads ``sub``, ``scope`` (space-separated, RFC 8693/9068; a list is accepted too),
        ``roles`` and ``client_id`` from a verified payload."""
        client_id = claims.get("client_id")
        return cls(
            subject=str(claims.get("sub", "")),
            scopes=_strings(claims.get("scope", claims.get("scp"))),
            roles=_strings(claims.get("roles")),
            client_id=str(client_id) if client_id is not None else None,
            claims=MappingProxyType(dict(claims)),
            token=token,
        )


def _strings(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(str(item) for item in value if isinstance(item, str | int))
    return frozenset()
