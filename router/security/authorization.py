"""Authorization directives enforced before planning, as Apollo Router does.

`Authorizer.authorize` takes the validated client document and the request's principal and
returns an `AuthorizationResult`: the filtered document the engine plans (only what the
principal may see), the removed fields (``null`` in the response, with GraphQL null
propagation) and one ``UNAUTHORIZED_FIELD_OR_TYPE`` error per removed field or fragment. When
nothing is left, the answer is ``{"data": {}, "errors": [...]}`` without planning (Apollo
Router's answer); with ``reject_unauthorized`` any removal fails the whole request instead.

Results are cached per (document key, operation name, `Access`), where the access is reduced
to the scopes and policies the supergraph mentions, so that all anonymous requests, or all
requests holding the same relevant scopes, share one filtered document.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from graphql import BooleanValueNode, DocumentNode

from polyshop.runtime.principal import Principal

from ..operation.normalize.model import Conditions
from ..operation.normalize.operation import select_operation
from ..planning.cache import LRU
from ..supergraph.model import AuthRequirements, Supergraph
from .errors import UNAUTHORIZED_FIELD_OR_TYPE, UNAUTHORIZED_MESSAGE, graphql_error
from .operation_filter import OperationFilter, Path, RemovedField, Unauthorized
from .policies import ClaimsPolicyEvaluator, PolicyEvaluator
from .rules import Access, AuthorizationRules

_NO_DEFAULTS: Mapping[str, bool] = MappingProxyType({})
REJECTED_STATUS = 403


@dataclass(frozen=True, slots=True)
class AuthorizationConfig:
    enabled: bool = True
    reject_unauthorized: bool = False
    """Fail the whole request when anything would be removed (Apollo's
    ``authorization.directives.reject_unauthorized``)."""
    cache_size: int = 1024


@dataclass(frozen=True, slots=True)
class AuthorizationResult:
    document: DocumentNode | None
    """What to plan: the client's document itself when nothing was removed; ``None`` when
    nothing is left (answer with `early_response`)."""
    removed: tuple[RemovedField, ...] = ()
    unauthorized: tuple[Unauthorized, ...] = ()
    reject: bool = False
    defaults: Mapping[str, bool] = field(default_factory=lambda: _NO_DEFAULTS)
    """Boolean variable defaults, for conditions whose variable the client left out."""
    removed_paths: frozenset[Path] = frozenset()
    access: Access | None = None
    """The (reduced) access this result was computed for: results with equal access and
    document are interchangeable, so it can key the engine's cache of filtered plans."""

    @property
    def filtered(self) -> bool:
        return bool(self.removed or self.unauthorized)

    def active(self, conditions: Conditions, variables: Mapping[str, Any] | None) -> bool:
        """Whether ``@skip``/``@include`` conditions pass with the client's variables (as sent,
        or coerced against the *original* operation: the filtered one may have lost variables
        that only removed fields used); omitted ones take their default."""
        values = variables or {}
        for condition in conditions:
            value = values.get(condition.variable, self.defaults.get(condition.variable))
            if bool(value) != condition.passes_when:
                return False
        return True

    def errors(self, variables: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """One error per removed position the request actually selects."""
        seen: set[Path] = set()
        errors: list[dict[str, Any]] = []
        for item in self.unauthorized:
            if item.path in seen or not self.active(item.conditions, variables):
                continue
            seen.add(item.path)
            path: list[str | int] = list(item.path)
            errors.append(graphql_error(UNAUTHORIZED_MESSAGE, UNAUTHORIZED_FIELD_OR_TYPE, path))
        return errors

    def nulls(self, variables: Mapping[str, Any] | None = None) -> tuple[RemovedField, ...]:
        """The removed fields the response must show as ``null`` for these variables."""
        return tuple(r for r in self.removed if self.active(r.conditions, variables))

    def early_response(
        self, variables: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], int] | None:
        """``(body, status)`` to answer without planning, or None to go on with `document`."""
        if not self.filtered:
            return None
        errors = self.errors(variables)
        if self.reject and errors:
            return {"errors": errors}, REJECTED_STATUS
        if self.document is None:
            body: dict[str, Any] = {"data": {}}
            if errors:
                body["errors"] = errors
            return body, 200
        return None

    def explains(self, path: Sequence[str | int]) -> bool:
        """Whether a null at this concrete response path comes from authorization (so null
        propagation must not add a second error for it)."""
        if not self.removed_paths:
            return False
        return tuple(p for p in path if isinstance(p, str)) in self.removed_paths


class Authorizer:
    """Per supergraph: requirements indexed once, filtered documents cached."""

    def __init__(
        self,
        supergraph: Supergraph,
        config: AuthorizationConfig | None = None,
        policy_evaluator: PolicyEvaluator | None = None,
    ) -> None:
        self.config = config or AuthorizationConfig()
        self.rules = AuthorizationRules(supergraph)
        self.policy_evaluator: PolicyEvaluator = policy_evaluator or ClaimsPolicyEvaluator()
        self._results: LRU[tuple[Hashable, str | None, Access], AuthorizationResult] = LRU(
            self.config.cache_size
        )
        self._policies: LRU[tuple[Hashable, str | None], frozenset[str]] = LRU(
            self.config.cache_size
        )

    @property
    def active(self) -> bool:
        return self.config.enabled and not self.rules.empty

    async def authorize(
        self,
        document: DocumentNode,
        operation_name: str | None,
        principal: Principal | None,
        *,
        cache_key: Hashable | None = None,
    ) -> AuthorizationResult:
        """The request's view of ``document`` (validated against the API schema first).

        ``cache_key`` identifies the document (its query text); without it nothing is cached.
        """
        if not self.active:
            return AuthorizationResult(document)
        policies = self._required_policies(document, operation_name, cache_key)
        granted = await self.policy_evaluator(principal, policies) if policies else frozenset()
        access = self.rules.fingerprint(
            Access(
                authenticated=principal is not None,
                scopes=principal.scopes if principal is not None else frozenset(),
                policies=frozenset(granted) & policies,
            )
        )
        if cache_key is None:
            return self.filter(document, operation_name, access)
        key = (cache_key, operation_name, access)
        result = self._results.get(key)
        if result is None:
            result = self.filter(document, operation_name, access)
            self._results.put(key, result)
        return result

    def filter(
        self, document: DocumentNode, operation_name: str | None, access: Access
    ) -> AuthorizationResult:
        """Pure and synchronous: the filtering for a known `Access`."""
        if not self.active:
            return AuthorizationResult(document)
        filtered = OperationFilter(self.rules, access.allows).run(document, operation_name)
        if not (filtered.removed or filtered.unauthorized):
            return AuthorizationResult(document, access=access)
        return AuthorizationResult(
            filtered.document,
            filtered.removed,
            filtered.unauthorized,
            reject=self.config.reject_unauthorized,
            defaults=_boolean_defaults(document, operation_name),
            removed_paths=frozenset(r.path for r in filtered.removed),
            access=access,
        )

    def required_policies(
        self, document: DocumentNode, operation_name: str | None
    ) -> frozenset[str]:
        """Every policy the operation's fields and fragments mention (evaluated per request)."""
        if not self.rules.policies:
            return frozenset()
        found: set[str] = set()

        def collect(requirement: AuthRequirements) -> bool:
            found.update(p for group in requirement.policies for p in group)
            return True

        OperationFilter(self.rules, collect).run(document, operation_name)
        return frozenset(found)

    def _required_policies(
        self, document: DocumentNode, operation_name: str | None, cache_key: Hashable | None
    ) -> frozenset[str]:
        if cache_key is None:
            return self.required_policies(document, operation_name)
        key = (cache_key, operation_name)
        policies = self._policies.get(key)
        if policies is None:
            policies = self.required_policies(document, operation_name)
            self._policies.put(key, policies)
        return policies


def _boolean_defaults(document: DocumentNode, operation_name: str | None) -> Mapping[str, bool]:
    operation = select_operation(document, operation_name)
    defaults = {
        d.variable.name.value: d.default_value.value
        for d in operation.variable_definitions or ()
        if isinstance(d.default_value, BooleanValueNode)
    }
    return MappingProxyType(defaults) if defaults else _NO_DEFAULTS
