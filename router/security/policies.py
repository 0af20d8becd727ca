"""`@policy` evaluation: which of the policies an operation needs are granted to a request.

Apollo Router leaves policies to a coprocessor or script; here an evaluator is any async
callable ``(principal, policies) -> granted policies``. The default, `ClaimsPolicyEvaluator`,
grants a policy when its name is one of the values of the token's ``roles`` or ``policies``
claim (strings or lists of strings): ``@policy(policies: [["admin"]])`` lets in a token with
``"roles": ["admin"]``. An unauthenticated request is granted nothing by the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from polyshop.runtime.principal import Principal


class PolicyEvaluator(Protocol):
    """Decides policies for one request; called once per request with the policies its
    operation mentions (never with an empty set)."""

    async def __call__(
        self, principal: Principal | None, policies: frozenset[str]
    ) -> frozenset[str]: ...


class ClaimsPolicyEvaluator:
    """Grants the policies named in the token's claims (``roles`` and ``policies`` by default)."""

    def __init__(self, claims: Sequence[str] = ("roles", "policies")) -> None:
        self.claims = tuple(claims)

    async def __call__(
        self, principal: Principal | None, policies: frozenset[str]
    ) -> frozenset[str]:
        if principal is None:
            return frozenset()
        held: set[str] = set()
        for claim in self.claims:
            held.update(_names(principal.claims.get(claim)))
        return policies & held


def _names(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list | tuple):
        return {item for item in value if isinstance(item, str)}
    return set()
