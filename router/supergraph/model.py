"""The supergraph as plain, frozen data: what the planner asks, computed once per schema.

The planner and executor never look at SDL: everything they need about where a type or field
lives is read here. `router.supergraph.reader` builds a `Supergraph` from a supergraph SDL
(Apollo join spec v0.2-v0.5).

Naming: a *graph* is the join__Graph enum value (e.g. ``"PRODUCTS"``); its human name and URL
are in `Subgraph`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSchema, SelectionSetNode

from .cost import CostDirectives


class TypeKind(enum.Enum):
    OBJECT = "OBJECT"
    INTERFACE = "INTERFACE"
    UNION = "UNION"
    ENUM = "ENUM"
    INPUT_OBJECT = "INPUT_OBJECT"
    SCALAR = "SCALAR"


@dataclass(frozen=True, slots=True)
class Subgraph:
    """One `join__Graph` value: ``graph`` is the enum value, ``name`` the subgraph's name."""

    graph: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Key:
    """A `@join__type(key:)` of a type in one graph."""

    fields: str
    selection: SelectionSetNode
    resolvable: bool = True


@dataclass(frozen=True, slots=True)
class TypeInGraph:
    """How one graph knows a type (`@join__type`)."""

    graph: str
    keys: tuple[Key, ...] = ()
    extension: bool = False
    is_interface_object: bool = False

    @property
    def resolvable_keys(self) -> tuple[Key, ...]:
        return tuple(key for key in self.keys if key.resolvable)


@dataclass(frozen=True, slots=True)
class ContextArgument:
    """An argument a graph fills from a context (`@fromContext`, `join__field(contextArguments:)`).

    The client never passes it: the router reads ``selection`` on the nearest ancestor object
    whose type sets ``context`` (`@context(name:)`) and sends the value as ``name``."""

    name: str
    type: str
    """The argument's GraphQL type, as the graph declares it."""
    context: str
    selection: SelectionSetNode


@dataclass(frozen=True, slots=True)
class FieldInGraph:
    """How one graph knows a field (`@join__field`, or implied by `@join__type`)."""

    graph: str
    type: str
    """The field's type as that graph declares it (may differ in nullability)."""
    external: bool = False
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    override: str | None = None
    """The subgraph *name* this graph took the field from."""
    override_label: str | None = None
    """Progressive override label. With ``override`` set, this graph resolves the field only
    while the label is active; without ``override`` (the graph the field is taken from), only
    while it is not."""
    used_overridden: bool = False
    context_arguments: tuple[ContextArgument, ...] = ()

    @property
    def resolvable(self) -> bool:
        """Whether this graph resolves the field (outside a `@provides` path)."""
        return not self.external and not self.used_overridden


@dataclass(frozen=True, slots=True)
class JoinDirective:
    """A `@join__directive`: a subgraph directive composition carried into the supergraph."""

    name: str
    graphs: tuple[str, ...]
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuthRequirements:
    """Authorization directives on a type or field, as composed into the supergraph."""

    authenticated: bool = False
    scopes: tuple[tuple[str, ...], ...] = ()
    """`@requiresScopes(scopes:)`: any inner tuple satisfied in full grants access."""
    policies: tuple[tuple[str, ...], ...] = ()
    """`@policy(policies:)`: same any-of-all-of shape as scopes."""

    @property
    def empty(self) -> bool:
        return not (self.authenticated or self.scopes or self.policies)


@dataclass(frozen=True, slots=True)
class ArgumentDef:
    name: str
    type: str
    inaccessible: bool = False


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    type: str
    """The supergraph's type reference, printed (``"[Product!]!"``)."""
    named_type: str
    """The innermost named type (``"Product"``)."""
    arguments: Mapping[str, ArgumentDef]
    graphs: Mapping[str, FieldInGraph]
    """Every graph that knows the field; a field without `@join__field` is known (and
    resolvable) in every graph that defines its parent type."""
    inaccessible: bool = False
    auth: AuthRequirements = AuthRequirements()
    directives: tuple[JoinDirective, ...] = ()
    """`@join__directive`s applied to this field."""

    def resolving_graphs(self) -> tuple[str, ...]:
        """Graphs that resolve this field anywhere (ignoring `@provides` and override labels)."""
        return tuple(g for g, f in self.graphs.items() if f.resolvable)


@dataclass(frozen=True, slots=True)
class TypeDef:
    name: str
    kind: TypeKind
    graphs: Mapping[str, TypeInGraph]
    fields: Mapping[str, FieldDef] = field(default_factory=dict)
    """Object, interface and input-object fields."""
    implements: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """graph → interfaces this type implements in that graph (`@join__implements`)."""
    union_members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """graph → member types of this union in that graph (`@join__unionMember`)."""
    enum_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """enum value → graphs that define it (`@join__enumValue`)."""
    inaccessible: bool = False
    auth: AuthRequirements = AuthRequirements()
    directives: tuple[JoinDirective, ...] = ()
    """`@join__directive`s applied to this type."""
    inaccessible_values: frozenset[str] = frozenset()
    """Enum values marked `@inaccessible` (absent from the API schema)."""
    contexts: frozenset[str] = frozenset()
    """Contexts this type sets (`@context(name:)`) for the fields below it."""

    @property
    def is_entity(self) -> bool:
        return any(t.keys for t in self.graphs.values())


@dataclass(frozen=True, slots=True)
class Supergraph:
    """Everything the router knows about one supergraph version."""

    sdl: str
    schema_hash: str
    """sha256 of the SDL text; part of every plan-cache key."""
    subgraphs: Mapping[str, Subgraph]
    """graph → subgraph."""
    types: Mapping[str, TypeDef]
    possible_types: Mapping[str, frozenset[str]]
    """abstract type → concrete object types (supergraph-wide)."""
    api_schema: GraphQLSchema
    """The client-facing schema: no join/link elements, `@inaccessible` elements removed."""
    query_type: str = "Query"
    mutation_type: str | None = None
    subscription_type: str | None = None
    join_version: tuple[int, int] = (0, 5)
    """Version of the join spec the supergraph uses."""
    schema_directives: tuple[JoinDirective, ...] = ()
    """`@join__directive`s applied to the schema (e.g. subgraphs' `@link`s)."""
    cost: CostDirectives = field(default_factory=CostDirectives)
    """Demand control's ``@cost``/``@listSize`` (`router.supergraph.cost`)."""

    def type(self, name: str) -> TypeDef:
        return self.types[name]

    def field(self, type_name: str, field_name: str) -> FieldDef:
        return self.types[type_name].fields[field_name]

    def possible_runtime_types(self, name: str) -> frozenset[str]:
        """Concrete object types a value of type ``name`` may have (itself for an object)."""
        abstract = self.possible_types.get(name)
        return abstract if abstract is not None else frozenset((name,))

    def root_type(self, operation: str) -> str | None:
        """Root type name for ``"query"``, ``"mutation"`` or ``"subscription"``."""
        return {
            "query": self.query_type,
            "mutation": self.mutation_type,
            "subscription": self.subscription_type,
        }.get(operation)

    def interface_objects(self, type_name: str) -> tuple[tuple[str, str], ...]:
        """(interface, graph) pairs where an interface of ``type_name`` is an `@interfaceObject`.

        Those graphs resolve, through the interface, the fields of ``type_name`` that have no
        graph of their own (``FieldDef.graphs`` empty)."""
        pairs: list[tuple[str, str]] = []
        for interface, members in self.possible_types.items():
            definition = self.types.get(interface)
            if type_name not in members or definition is None:
                continue
            if definition.kind is not TypeKind.INTERFACE:
                continue
            pairs.extend(
                (interface, graph)
                for graph, in_graph in definition.graphs.items()
                if in_graph.is_interface_object
            )
        return tuple(pairs)

    def subgraph_by_name(self, name: str) -> Subgraph:
        for subgraph in self.subgraphs.values():
            if subgraph.name == name:
                return subgraph
        raise KeyError(name)
