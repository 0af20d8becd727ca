"""The authorization requirements of one supergraph, indexed once, and what a request may see.

Requirements come from `AuthRequirements` on `TypeDef.auth`/`FieldDef.auth` (the composed
`@authenticated`, `@requiresScopes`, `@policy`). A request's `Access` satisfies a requirement
as Apollo Router decides it: ``@authenticated`` needs a verified token; ``@requiresScopes``
needs a token whose scopes contain every scope of at least one inner list; ``@policy`` needs
every policy of at least one inner list granted by the policy evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLUnionType

from ..supergraph.model import AuthRequirements, Supergraph


@dataclass(frozen=True, slots=True)
class Access:
    """What one request proved: the only inputs of the filter (and so of its cache key)."""

    authenticated: bool = False
    scopes: frozenset[str] = frozenset()
    policies: frozenset[str] = frozenset()
    """Policies the evaluator granted."""

    def allows(self, requirement: AuthRequirements) -> bool:
        if requirement.authenticated and not self.authenticated:
            return False
        if requirement.scopes and not (
            self.authenticated and any(self.scopes.issuperset(g) for g in requirement.scopes)
        ):
            return False
        return not requirement.policies or any(
            self.policies.issuperset(group) for group in requirement.policies
        )


ANONYMOUS = Access()


class AuthorizationRules:
    """Requirements by type and by field, plus the API schema's possible types."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.schema = supergraph.api_schema
        self.types: dict[str, AuthRequirements] = {}
        self.fields: dict[tuple[str, str], AuthRequirements] = {}
        for name, type_def in supergraph.types.items():
            if not type_def.auth.empty:
                self.types[name] = type_def.auth
            for field_name, field_def in type_def.fields.items():
                if not field_def.auth.empty:
                    self.fields[(name, field_name)] = field_def.auth
        every = (*self.types.values(), *self.fields.values())
        self.scopes = frozenset(s for r in every for group in r.scopes for s in group)
        """Every scope the supergraph mentions: only these matter in a cache key."""
        self.policies = frozenset(p for r in every for group in r.policies for p in group)
        self._possible: dict[str, frozenset[str]] = {}

    @property
    def empty(self) -> bool:
        """No directive anywhere: authorization has nothing to do."""
        return not (self.types or self.fields)

    def type(self, name: str) -> AuthRequirements | None:
        return self.types.get(name)

    def field(self, type_name: str, field_name: str) -> AuthRequirements | None:
        return self.fields.get((type_name, field_name))

    def is_abstract(self, name: str) -> bool:
        return isinstance(self.schema.get_type(name), GraphQLInterfaceType | GraphQLUnionType)

    def possible(self, name: str) -> frozenset[str]:
        """Concrete object types a value of type ``name`` may have in the API schema."""
        found = self._possible.get(name)
        if found is None:
            named = self.schema.get_type(name)
            if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
                found = frozenset(t.name for t in self.schema.get_possible_types(named))
            elif isinstance(named, GraphQLObjectType):
                found = frozenset((name,))
            else:
                found = frozenset()
            self._possible[name] = found
        return found

    def fingerprint(self, access: Access) -> Access:
        """``access`` reduced to what this supergraph can tell apart (for cache keys)."""
        return Access(
            access.authenticated,
            access.scopes & self.scopes,
            access.policies & self.policies,
        )
