"""A query plan as plain frozen data: what to fetch from which subgraph, in which order.

Each `FetchNode` carries its subgraph operation already printed, the variables it uses and,
for entity fetches, the shape of the representations (`requires`) the executor builds from the
data fetched so far. Nothing here is computed per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENTITY_PATH_LIST = "@"
"""A path segment standing for every item of a list."""


@dataclass(frozen=True, slots=True)
class RequiresField:
    """One field of a representation, read from the merged data under ``data_key``."""

    name: str
    data_key: str
    selection: tuple[RequiresItem, ...] | None = None
    key: bool = False
    """Part of the entity's key: a null or missing value means the object cannot be fetched."""


@dataclass(frozen=True, slots=True)
class RequiresFragment:
    """``... on type_condition { ... }`` in a representation selection."""

    type_condition: str
    matches: frozenset[str]
    """The ``__typename`` values this fragment applies to (the condition and its members)."""
    fields: tuple[RequiresItem, ...]
    typename: str | None = None
    """``__typename`` sent in the representation when it differs from the object's own (an
    `@interfaceObject` subgraph knows only the interface)."""


RequiresItem = RequiresField | RequiresFragment


@dataclass(frozen=True, slots=True)
class ContextValue:
    """A variable of an entity fetch filled per object from a context (`@fromContext`): the
    value at ``selection`` below the ancestor object at ``path`` (the same number of segments
    as the object's own path, ``@`` standing for the ancestor's list positions)."""

    variable: str
    path: tuple[str, ...]
    selection: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ResponseAlias:
    """A client field the fetch's operation selects under an internal alias.

    Two selections that meet in one subgraph selection set and would conflict there (the same
    response key with different arguments, or with types that differ in that subgraph) cannot
    both keep the client's key: the planner sends one as ``alias: field(...)`` (Apollo's
    ``field__alias_N`` form). The subgraph answers under ``alias``; projection reads the
    client's ``response_key`` of objects of ``type_condition`` at ``path`` from there."""

    path: tuple[str, ...]
    """Where the parent objects are in the merged data (``@`` for list items)."""
    type_condition: str
    """The client field's parent type (a runtime type, or the abstract type selected on)."""
    response_key: str
    """The client's response key."""
    alias: str
    """The key the subgraph answers under."""


@dataclass(frozen=True, slots=True)
class FetchNode:
    service: str
    """Subgraph name."""
    operation: str
    """The operation sent, printed once at planning time."""
    operation_kind: str
    """``"query"`` or ``"mutation"``."""
    variable_usages: tuple[str, ...] = ()
    """Client variables the operation uses (forwarded with their declared types)."""
    requires: tuple[RequiresFragment, ...] = ()
    """Representation shape; empty for a root fetch."""
    operation_name: str | None = None
    id: int = 0
    body_prefix: bytes = field(default=b"", compare=False, repr=False)
    """``{"query":...,"operationName":...,"variables":`` pre-encoded; the executor appends
    the variables object and ``}``."""
    contexts: tuple[ContextValue, ...] = ()
    """Context variables: objects with different values are sent in separate requests."""
    aliases: tuple[ResponseAlias, ...] = ()
    """Client fields this operation selects under an internal alias."""


@dataclass(frozen=True, slots=True)
class FlattenNode:
    """Run ``node`` for the objects found at ``path`` (``"@"`` descends into lists)."""

    path: tuple[str, ...]
    node: FetchNode


@dataclass(frozen=True, slots=True)
class SequenceNode:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class ParallelNode:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class ConditionNode:
    """Run ``if_clause`` when the boolean variable ``condition`` is true, else ``else_clause``."""

    condition: str
    if_clause: PlanNode | None = None
    else_clause: PlanNode | None = None


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One ``_entities`` selection of a `BatchFetchNode`, under its own alias.

    Its representations are collected from every path of ``paths`` (deduplicated across
    them) and sent as the variable ``variable``; the answer under ``alias`` is merged back
    into the objects they came from."""

    alias: str
    variable: str
    paths: tuple[tuple[str, ...], ...]
    requires: tuple[RequiresFragment, ...]


@dataclass(frozen=True, slots=True)
class BatchFetchNode:
    """Several entity fetches to one subgraph sent as one request.

    The planner makes one when independent entity fetches to the same subgraph would run at
    the same stage of the plan (different paths or different types): the operation holds one
    aliased ``_entities`` field per `BatchEntry`. One request instead of several."""

    service: str
    operation: str
    entries: tuple[BatchEntry, ...]
    variable_usages: tuple[str, ...] = ()
    operation_name: str | None = None
    id: int = 0
    body_prefix: bytes = field(default=b"", compare=False, repr=False)
    """``{"query":...,"operationName":...,"variables":`` pre-encoded."""
    aliases: tuple[ResponseAlias, ...] = ()
    """Client fields this operation selects under an internal alias."""

    @property
    def operation_kind(self) -> str:
        return "query"


@dataclass(frozen=True, slots=True)
class DeferredNode:
    """One deferred fragment (`normalize.model.Defer`): its own fetches, run once the primary
    part (and the fragment it is nested in, ``parent``) is done, and delivered as one
    incremental payload per object at ``path``. ``node`` is None when the primary part's
    fetches already bring its fields (a fragment on a type that is no entity)."""

    id: int
    label: str | None
    path: tuple[str, ...]
    """Response keys of the fragment's position, ``@`` for list items."""
    depends: tuple[int, ...]
    """Fetches (by ``id``) outside this fragment whose data its fetches read."""
    parent: int | None
    """The deferred fragment (by ``id``) this one is nested in."""
    node: PlanNode | None


@dataclass(frozen=True, slots=True)
class DeferNode:
    """Apollo's ``Defer { Primary {...}, [Deferred(...) {...}] }``: the primary part never
    waits for a deferred fetch."""

    primary: PlanNode | None
    deferred: tuple[DeferredNode, ...]


PlanNode = (
    FetchNode
    | FlattenNode
    | BatchFetchNode
    | SequenceNode
    | ParallelNode
    | ConditionNode
    | DeferNode
)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    node: PlanNode | None
    """None when nothing is fetched (only ``__typename`` or introspection at the root)."""
    operation_kind: str = "query"
    fetch_count: int = field(default=0, compare=False)
    """Subgraph requests the plan sends at most (a `BatchFetchNode` counts once)."""
