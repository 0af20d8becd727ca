"""The query planner: a normalized operation → fetch groups → a `QueryPlan`.

The walk keeps, at each position, the fetch group (one subgraph operation) being filled and the
runtime type there. A field the group's subgraph resolves joins its selection; the others jump:
the planner picks a subgraph that resolves them, adds ``__typename`` and key fields (and any
``@requires`` fields, planned the same way) to the current group, and continues in an entity
group (``_entities``) for that subgraph at this path. Entity groups at the same path for the same
subgraph merge. Choices between subgraphs prefer, in order: covering more fields at once, an
existing group, fewer further jumps (a memoized estimate), the supergraph's graph order.

A field with ``@requires`` in the group's own subgraph is selected inline only at the top of an
entity group whose representations carry the requirement; elsewhere it jumps back into the same
subgraph after its requirement (see docs/decisions/0018-query-planner-design.md). Key fields
may come from a ``@provides``. The groups returned for key and required fields (nested ones
included) become the entity group's dependencies. At the end, `batch` sends the entity groups
of one subgraph that share a stage as one `BatchFetchNode` when that saves requests.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from graphql import FieldNode, SelectionSetNode

from ..operation.normalize import NormalizedOperation
from ..operation.normalize.model import Defer, Field, SelectionSet, defers_in
from ..supergraph.model import ContextArgument, Key, Supergraph, TypeKind
from .batch import batched, saves_requests
from .federation import Federation, Provided
from .groups import Group, assemble
from .nodes import (
    ENTITY_PATH_LIST,
    BatchFetchNode,
    ConditionNode,
    DeferNode,
    DeferredNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    ResponseAlias,
    SequenceNode,
)
from .selection import SelNode

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
INFINITE = math.inf


class PlanningError(Exception):
    """The supergraph cannot answer this selection (a composition gap or a planner bug)."""


@dataclass(frozen=True, slots=True)
class _Target:
    graph: str
    via: str
    """The type the entity fetch is written against: the object type itself, or an
    `@interfaceObject` interface standing for it."""


@dataclass(frozen=True, slots=True)
class _Position:
    """An object position being planned: where a `@fromContext` argument may read from."""

    type_name: str
    path: tuple[str, ...]
    group: Group
    sel: SelNode
    provided: Provided | None


@dataclass(slots=True)
class _Step:
    groups: list[Group] = field(default_factory=list)


class Planner:
    """Plans operations for one supergraph and one set of active override labels."""

    def __init__(
        self, supergraph: Supergraph, labels: frozenset[str] = frozenset(), batch: bool = True
    ) -> None:
        self.sg = supergraph
        self.batch = batch
        """Send same-stage entity fetches to one subgraph as one `BatchFetchNode`."""
        self.fed = Federation(supergraph, labels)
        holders: dict[str, set[str]] = {}
        for type_def in supergraph.types.values():
            for context in type_def.contexts:
                names = holders.setdefault(context, set())
                names.add(type_def.name)
                names |= supergraph.possible_types.get(type_def.name, frozenset())
        self.context_types = {name: frozenset(types) for name, types in holders.items()}
        """Context name → the types (and their runtime types) that set it."""

    def plan(self, operation: NormalizedOperation, selection: SelectionSet) -> QueryPlan:
        """The plan; client fields fetched under an internal alias are in its fetch nodes'
        ``aliases`` (`response_aliases`)."""
        return _PlanRun(self, operation).run(selection)


class _PlanRun:
    """State of planning one operation."""

    def __init__(self, planner: Planner, operation: NormalizedOperation) -> None:
        self.planner = planner
        self.fed = planner.fed
        self.sg = planner.sg
        self.operation = operation
        self.groups: list[Group] = []
        self.steps: list[_Step] = []
        self._key_chain: set[tuple[str, str, str]] = set()
        # Keyed by object ids: valid only while this run holds the selections alive.
        self._cost: dict[tuple[str, str, int, int], float] = {}
        self._leave: dict[tuple[str, str], bool] = {}
        # Object positions being planned, outermost first (`@fromContext` reads an ancestor).
        self._ancestors: list[_Position] = []
        # Fields (by id) whose context arguments are already bound to variables.
        self._contextual: set[int] = set()
        # Planner-made fields (keys, `@requires`; by id) selected under an internal alias: the
        # representations read them there.
        self._internal_keys: dict[int, str] = {}

    # -- entry ------------------------------------------------------------------------

    def run(self, selection: SelectionSet) -> QueryPlan:
        root_type = self.operation.root_type
        fields = [
            f
            for f in selection.by_type[root_type]
            if not f.is_typename and f.name not in INTROSPECTION_FIELDS
        ]
        if self.operation.kind == "mutation":
            self._plan_mutation(root_type, fields)
        else:
            self._plan_query(root_type, fields)
        fetches = {
            g.id: g.to_fetch(
                self.operation.kind, self.operation.printed_variables, self.operation.name
            )
            for g in self.groups
        }
        nodes: list[PlanNode] = []
        for step in self.steps:
            primary = [g for g in step.groups if g.defer is None]
            node = self._assemble(primary, fetches)
            if node is not None:
                nodes.extend(node.nodes if isinstance(node, SequenceNode) else (node,))
        root: PlanNode | None
        if not nodes:
            root = None
        elif len(nodes) == 1:
            root = nodes[0]
        else:
            root = SequenceNode(tuple(nodes))
        defers = defers_in(selection)
        if defers:
            root = DeferNode(root, tuple(self._deferred(d, fetches) for d in defers))
        return QueryPlan(root, self.operation.kind, count_requests(root))

    def _assemble(self, groups: list[Group], fetches: Mapping[int, FetchNode]) -> PlanNode | None:
        if self.planner.batch and saves_requests(groups):
            return batched(groups, fetches, self.operation.printed_variables, self.operation.name)
        return assemble(groups, fetches)

    def _deferred(self, defer: Defer, fetches: Mapping[int, FetchNode]) -> DeferredNode:
        """The sub-plan of one deferred fragment: the groups created for it, ordered among
        themselves; what they read from other groups is done before it starts."""
        groups = [g for g in self.groups if g.defer is defer]
        depends = sorted({d.id for g in groups for d in g.deps if d.defer is not defer})
        return DeferredNode(
            defer.id,
            defer.label,
            defer.path,
            tuple(depends),
            defer.parent.id if defer.parent is not None else None,
            self._assemble(groups, fetches),
        )

    def _plan_query(self, root_type: str, fields: Sequence[Field]) -> None:
        step = _Step()
        self.steps.append(step)
        by_graph: dict[tuple[str, Defer | None], Group] = {}
        for f in fields:
            # A deferred root field gets root fetches of its own (Apollo's deferred `Query`
            # fields): one per subgraph and fragment.
            existing = {g: group for (g, d), group in by_graph.items() if d is f.defer}
            graph = self._root_graph(root_type, f, existing)
            group = by_graph.get((graph, f.defer))
            if group is None:
                group = self._new_group(graph, (), False, 0, f.defer)
                by_graph[(graph, f.defer)] = group
            self.add_fields(group, group.sel, root_type, (), (f,), None, tuple(fields))

    def _plan_mutation(self, root_type: str, fields: Sequence[Field]) -> None:
        current: Group | None = None
        for f in fields:
            preferred = {current.graph: current} if current is not None else {}
            graph = self._root_graph(root_type, f, preferred)
            if current is None or current.graph != graph:
                step = _Step()
                self.steps.append(step)
                current = self._new_group(graph, (), False, len(self.steps) - 1)
            self.add_fields(current, current.sel, root_type, (), (f,), None, tuple(fields))

    def _root_graph(self, root_type: str, f: Field, existing: Mapping[str, Group]) -> str:
        graphs = self.fed.resolving_graphs(root_type, f.name)
        if not graphs:
            raise PlanningError(f"no subgraph resolves {root_type}.{f.name}")
        if len(graphs) == 1:
            return graphs[0]
        return min(
            graphs,
            key=lambda g: (
                self.field_cost(g, root_type, f, None),
                g not in existing,
                self.fed.graph_order[g],
            ),
        )

    def _new_group(
        self,
        graph: str,
        path: tuple[str, ...],
        is_entity: bool,
        step: int,
        defer: Defer | None = None,
    ) -> Group:
        group = Group(
            len(self.groups), graph, self.sg.subgraphs[graph].name, path, is_entity, step, defer
        )
        self.groups.append(group)
        self.steps[step].groups.append(group)
        return group

    # -- costs ------------------------------------------------------------------------

    def field_cost(self, graph: str, type_name: str, f: Field, provided: Provided | None) -> float:
        """Estimated jumps needed below ``f`` when ``graph`` resolves it (∞: impossible)."""
        if f.selection is None:
            return 0
        provides = self._child_provides(graph, type_name, f, provided)
        return self.selection_cost(graph, f.selection, provides)

    def selection_cost(
        self, graph: str, selection: SelectionSet, provides: SelectionSetNode | None
    ) -> float:
        memo_key = (graph, selection.type_name, id(selection), id(provides))
        cached = self._cost.get(memo_key)
        if cached is not None:
            return cached
        self._cost[memo_key] = 0  # cycles cannot occur, but stay safe
        cost: float
        if not selection.abstract:
            cost = self._fields_cost(
                graph,
                selection.type_name,
                selection.by_type[selection.type_name],
                self.fed.provided_at(provides, selection.type_name) if provides else None,
            )
        elif self.fed.is_interface_object(selection.type_name, graph):
            cost = 1
        else:
            cost = 0
            for runtime in self.fed.runtime_types_in(selection.type_name, graph):
                fields = selection.by_type.get(runtime)
                if fields:
                    cost += self._fields_cost(
                        graph,
                        runtime,
                        fields,
                        self.fed.provided_at(provides, runtime) if provides else None,
                    )
        self._cost[memo_key] = cost
        return cost

    def _fields_cost(
        self, graph: str, type_name: str, fields: Iterable[Field], provided: Provided | None
    ) -> float:
        total: float = 0
        jumped = False
        for f in fields:
            if f.is_typename:
                continue
            if self.fed.resolves_here(type_name, f.name, graph, provided):
                total += self.field_cost(graph, type_name, f, provided)
            elif self._can_leave(type_name, graph):
                jumped = True
            else:
                return INFINITE
        return total + (1 if jumped else 0)

    def _can_leave(self, type_name: str, graph: str) -> bool:
        """Whether objects of ``type_name`` fetched from ``graph`` may go to another graph
        (the key fields it can give are checked when jumping)."""
        memo_key = (type_name, graph)
        cached = self._leave.get(memo_key)
        if cached is None:
            type_def = self.sg.types.get(type_name)
            cached = type_def is not None and (
                type_def.is_entity or bool(self.sg.interface_objects(type_name))
            )
            self._leave[memo_key] = cached
        return cached

    def _child_provides(
        self, graph: str, type_name: str, f: Field, provided: Provided | None
    ) -> SelectionSetNode | None:
        if self.fed.resolves(type_name, f.name, graph):
            in_graph = self.fed.field_in_graph(type_name, f.name, graph)
            return in_graph.provides if in_graph is not None else None
        if provided is not None:
            return provided.get(f.name)
        return None

    # -- the walk ---------------------------------------------------------------------

    def add_fields(
        self,
        group: Group,
        sel: SelNode,
        type_name: str,
        path: tuple[str, ...],
        fields: Sequence[Field],
        provided: Provided | None,
        position: tuple[Field, ...] | None,
    ) -> set[Group]:
        """Add ``fields`` of an object of ``type_name`` at ``path``; return the groups that
        fetch them (the group itself, or the entity groups jumped to)."""
        self._ancestors.append(_Position(type_name, path, group, sel, provided))
        try:
            return self._add_fields(group, sel, type_name, path, fields, provided, position)
        finally:
            self._ancestors.pop()

    def _add_fields(
        self,
        group: Group,
        sel: SelNode,
        type_name: str,
        path: tuple[str, ...],
        fields: Sequence[Field],
        provided: Provided | None,
        position: tuple[Field, ...] | None,
    ) -> set[Group]:
        producers: set[Group] = set()
        unresolved: list[Field] = []
        deferred: dict[Defer, list[Field]] = {}
        graph = group.graph
        for f in fields:
            if f.is_typename:
                continue
            if (
                f.defer is not None
                and f.defer is not group.defer
                and f.defer.within(group.defer)
                and self._deferrable(graph, type_name, f)
            ):
                deferred.setdefault(f.defer, []).append(f)
                continue
            if self.fed.resolves_here(type_name, f.name, graph, provided):
                if not self._requirements_ready(group, type_name, path, f):
                    # `@requires` here: fetch the requirement, then this field through
                    # `_entities` on this same subgraph.
                    unresolved.append(f)
                    continue
                if (
                    f.selection is not None
                    and self.field_cost(graph, type_name, f, provided) == INFINITE
                    and self._can_leave(type_name, graph)
                    and any(g != graph for g in self.fed.resolving_graphs(type_name, f.name))
                ):
                    unresolved.append(f)
                    continue
                producers |= self._add_resolved(group, sel, type_name, path, f, provided)
                producers.add(group)
            else:
                unresolved.append(f)
        if unresolved:
            producers |= self._jump(group, sel, type_name, path, unresolved, position, provided)
        for defer, taken in deferred.items():
            # Not a producer of this position: nothing in the primary part waits for it.
            self._jump(group, sel, type_name, path, taken, position, provided, defer)
        return producers

    def _deferrable(self, graph: str, type_name: str, f: Field) -> bool:
        """A deferred field here can get fetches of its own: its type is an entity some
        subgraph resolves it from through a key (this subgraph again included). Otherwise
        it is fetched with the primary part and only delivered later."""
        return self._can_leave(type_name, graph) and bool(
            self._targets(graph, type_name, f, same_graph=True)
        )

    def _requirements_ready(
        self, group: Group, type_name: str, path: tuple[str, ...], f: Field
    ) -> bool:
        """``f`` has no `@requires` in the group's subgraph, or the group is an entity fetch
        at this very position whose representations carry the required fields."""
        in_graph = self.fed.field_in_graph(type_name, f.name, group.graph)
        if in_graph is None:
            return True
        if in_graph.context_arguments and id(f) not in self._contextual:
            return False
        if in_graph.requires is None:
            return True
        if not group.is_entity or group.path != path:
            return False
        builder = group.requires.get(type_name)
        if builder is None:
            return False
        carried = {name for name, _key, _subs in builder.fields.values()}
        required = self.fed.fieldset_fields(type_name, in_graph.requires, None)
        return all(r.name in carried for r in required)

    def _add_resolved(
        self,
        group: Group,
        sel: SelNode,
        type_name: str,
        path: tuple[str, ...],
        f: Field,
        provided: Provided | None,
    ) -> set[Group]:
        """Select ``f`` in ``group``; return the groups that fetch parts of its sub-selection
        (a representation needing ``f`` must wait for all of them)."""
        in_graph = self.fed.field_in_graph(type_name, f.name, group.graph)
        shape = (in_graph.type if in_graph else "", type_name, f.name, f.arguments)
        key = sel.claim(f.response_key, shape)
        if key != f.response_key:
            if f.nodes:
                # A client field (planner-made key and `@requires` fields have no AST nodes).
                group.aliases.append(ResponseAlias(path, f.parent_type, f.response_key, key))
            else:
                self._internal_keys[id(f)] = key
        sub = sel.field(key, f.name, f.arguments, f.selection is not None)
        group.variables.update(f.variables)
        if f.selection is None or sub.sel is None:
            return set()
        depth = self.fed.list_depth(type_name, f.name)
        child_path = (*path, key, *([ENTITY_PATH_LIST] * depth))
        provides = self._child_provides(group.graph, type_name, f, provided)
        return self.add_selection(group, sub.sel, child_path, f.selection, provides)

    def add_selection(
        self,
        group: Group,
        sel: SelNode,
        path: tuple[str, ...],
        selection: SelectionSet,
        provides: SelectionSetNode | None,
    ) -> set[Group]:
        """Plan a client selection set below a field fetched by ``group``."""
        type_name = selection.type_name
        graph = group.graph
        if not selection.abstract:
            fields = selection.by_type[type_name]
            provided = self.fed.provided_at(provides, type_name) if provides else None
            return self.add_fields(group, sel, type_name, path, fields, provided, fields)
        if self.fed.is_interface_object(type_name, graph):
            return self._interface_object_position(group, sel, path, selection, provides)
        sel.typename()
        producers: set[Group] = {group}
        common = selection.common
        if (
            common is not None
            and not any(f.defer is not None and f.defer is not group.defer for f in common)
            and _covers(common, selection)
            and all(
                f.is_typename or self._same_for_every_runtime_type(type_name, f.name, graph)
                for f in common
            )
        ):
            provided = self.fed.provided_at(provides, type_name) if provides else None
            producers |= self.add_fields(group, sel, type_name, path, common, provided, common)
            return producers
        for runtime in self.fed.runtime_types_in(type_name, graph):
            runtime_fields = selection.by_type.get(runtime)
            if not runtime_fields or all(f.is_typename for f in runtime_fields):
                continue
            provided = self.fed.provided_at(provides, runtime) if provides else None
            producers |= self.add_fields(
                group,
                sel.fragment(runtime),
                runtime,
                path,
                runtime_fields,
                provided,
                runtime_fields,
            )
        return producers

    def _interface_object_position(
        self,
        group: Group,
        sel: SelNode,
        path: tuple[str, ...],
        selection: SelectionSet,
        provides: SelectionSetNode | None,
    ) -> set[Group]:
        """An interface the group's subgraph knows only as an `@interfaceObject`: fetch what
        it can, and ask a subgraph knowing the real interface for the runtime type and the
        rest."""
        interface = selection.type_name
        graph = group.graph
        provided = self.fed.provided_at(provides, interface) if provides else None
        local: list[Field] = []
        needs_concrete = False
        rest_by_type: dict[str, tuple[Field, ...]] = {}
        rest_common: tuple[Field, ...] | None = None
        if selection.common is not None:
            rest: list[Field] = []
            for f in selection.common:
                if f.is_typename:
                    needs_concrete = True
                elif self.fed.resolves_here(interface, f.name, graph, provided):
                    local.append(f)
                else:
                    rest.append(f)
            if rest:
                needs_concrete = True
            rest_common = tuple(rest)
            # Runtime types only matter in the other subgraph; the fields are the same.
            for runtime, fields in selection.by_type.items():
                names = {f.response_key for f in rest}
                rest_by_type[runtime] = tuple(
                    f for f in fields if f.response_key in names or f.is_typename
                )
        else:
            needs_concrete = True
            taken: set[str] = set()
            interface_def = self.sg.types[interface]
            for runtime, fields in selection.by_type.items():
                remaining: list[Field] = []
                for f in fields:
                    if (
                        f.selection is None
                        and not f.is_typename
                        and f.name in interface_def.fields
                        and not f.arguments
                        and self.fed.resolves_here(interface, f.name, graph, provided)
                    ):
                        if f.response_key not in taken:
                            taken.add(f.response_key)
                            local.append(f)
                    else:
                        remaining.append(f)
                rest_by_type[runtime] = tuple(remaining)
        producers: set[Group] = {group}
        if local:
            producers |= self.add_fields(group, sel, interface, path, local, provided, tuple(local))
        if needs_concrete:
            remaining_selection = SelectionSet(interface, True, rest_by_type, rest_common)
            target = self._interface_owner(interface, graph)
            producers |= self._jump_to(
                group, sel, interface, path, target, (), tuple(local), remaining_selection
            )
        return producers

    def _interface_owner(self, interface: str, from_graph: str) -> _Target:
        candidates = [
            g
            for g, in_graph in self.sg.types[interface].graphs.items()
            if g != from_graph and not in_graph.is_interface_object and in_graph.resolvable_keys
        ]
        if not candidates:
            raise PlanningError(
                f"no subgraph knows the implementations of @interfaceObject {interface}"
            )
        candidates.sort(key=self.fed.graph_order.__getitem__)
        return _Target(candidates[0], interface)

    # -- jumps --------------------------------------------------------------------------

    def _jump(
        self,
        group: Group,
        sel: SelNode,
        type_name: str,
        path: tuple[str, ...],
        fields: Sequence[Field],
        position: tuple[Field, ...] | None,
        provided: Provided | None = None,
        defer: Defer | None = None,
    ) -> set[Group]:
        """Fetch ``fields`` from other subgraphs (or this one again, for `@requires`) through
        the entity's key; ``provided``: what a `@provides` makes available here (key fields
        included). With ``defer``, the fields are a deferred fragment's: they go to entity
        fetches of that fragment (this subgraph again included)."""
        producers: set[Group] = set()
        remaining = list(fields)
        target_defer = defer if defer is not None else group.defer
        while remaining:
            options: dict[_Target, list[Field]] = {}
            for f in remaining:
                targets = [
                    t
                    for t in self._targets(group.graph, type_name, f, same_graph=defer is not None)
                    if (type_name, group.graph, t.graph) not in self._key_chain
                ]
                if not targets:
                    raise PlanningError(
                        f"cannot resolve {type_name}.{f.name}: no subgraph reaches it from "
                        f"subgraph {group.service} at {_where(path)}"
                    )
                for target in targets:
                    options.setdefault(target, []).append(f)
            best = min(
                options,
                key=lambda t: (
                    -len(options[t]),
                    self._existing(t.graph, path, group.step, target_defer) is None,
                    defer is not None and t.graph != group.graph,
                    not self._keys_available(group.graph, type_name, t, provided),
                    sum(self.field_cost(t.graph, t.via, f, None) for f in options[t]),
                    self.fed.graph_order[t.graph],
                ),
            )
            taken = options[best]
            remaining = [f for f in remaining if f not in taken]
            producers |= self._jump_to(
                group, sel, type_name, path, best, taken, position, None, provided, target_defer
            )
        return producers

    def _targets(
        self, from_graph: str, type_name: str, f: Field, same_graph: bool = False
    ) -> list[_Target]:
        targets = [
            _Target(g, type_name)
            for g in self.fed.resolving_graphs(type_name, f.name)
            if (same_graph or g != from_graph or self._requires_in(type_name, f.name, g))
            and self.fed.resolvable_keys(type_name, g)
        ]
        if targets:
            return targets
        for interface, graph in self.sg.interface_objects(type_name):
            if (
                graph != from_graph
                and self.fed.resolves(interface, f.name, graph)
                and self.fed.resolvable_keys(interface, graph)
            ):
                targets.append(_Target(graph, interface))
        return targets

    def _same_for_every_runtime_type(self, abstract: str, field_name: str, graph: str) -> bool:
        """``graph`` resolves ``abstract.field_name`` for each of its runtime types alike: none
        of them takes the field elsewhere (`@override`, `@external`) or `@requires` it."""
        if not self.fed.resolves(abstract, field_name, graph):
            return False
        return all(
            self.fed.resolves(runtime, field_name, graph)
            and not self._requires_in(runtime, field_name, graph)
            for runtime in self.fed.runtime_types_in(abstract, graph)
            if field_name in self.sg.types[runtime].fields
        )

    def _requires_in(self, type_name: str, field_name: str, graph: str) -> bool:
        """``graph`` needs something fetched first for this field (`@requires`, or arguments
        from a context), so even ``graph`` itself gets it through `_entities`."""
        in_graph = self.fed.field_in_graph(type_name, field_name, graph)
        return in_graph is not None and (
            in_graph.requires is not None or bool(in_graph.context_arguments)
        )

    def _existing(
        self, graph: str, path: tuple[str, ...], step: int, defer: Defer | None
    ) -> Group | None:
        for group in self.groups:
            if (
                group.is_entity
                and group.defer is defer
                and group.graph == graph
                and group.path == path
                and (group.step == step)
            ):
                return group
        return None

    def _keys_available(
        self,
        source_graph: str,
        type_name: str,
        target: _Target,
        provided: Provided | None = None,
    ) -> bool:
        for key in self.fed.resolvable_keys(target.via, target.graph):
            key_fields = self.fed.fieldset_fields(type_name, key.selection, None)
            if self._fields_cost(source_graph, type_name, key_fields, provided) == 0:
                return True
        return False

    def _choose_key(
        self,
        source_graph: str,
        type_name: str,
        target: _Target,
        provided: Provided | None = None,
    ) -> Key:
        keys = self.fed.resolvable_keys(target.via, target.graph)
        if not keys:
            raise PlanningError(f"{target.via} has no resolvable key in {target.graph}")
        for key in keys:
            key_fields = self.fed.fieldset_fields(type_name, key.selection, None)
            if self._fields_cost(source_graph, type_name, key_fields, provided) == 0:
                return key
        return keys[0]

    def _jump_to(
        self,
        group: Group,
        sel: SelNode,
        type_name: str,
        path: tuple[str, ...],
        target: _Target,
        fields: Sequence[Field],
        position: tuple[Field, ...] | None,
        abstract_rest: SelectionSet | None,
        provided: Provided | None = None,
        defer: Defer | None = None,
    ) -> set[Group]:
        """``defer``: the fragment the entity fetch belongs to (None: the source group's)."""
        if defer is None:
            defer = group.defer
        chain_key = (type_name, group.graph, target.graph)
        if chain_key in self._key_chain:
            raise PlanningError(
                f"cannot find key fields of {type_name} to leave subgraph {group.service}"
            )
        self._key_chain.add(chain_key)
        try:
            key = self._choose_key(group.graph, type_name, target, provided)
            key_fields = self.fed.fieldset_fields(type_name, key.selection, position)
            sel.typename()
            deps = self.add_fields(group, sel, type_name, path, key_fields, provided, position)
            required: list[Field] = []
            for f in fields:
                in_graph = self.fed.field_in_graph(target.via, f.name, target.graph)
                if in_graph is not None and in_graph.requires is not None:
                    required.extend(
                        self.fed.fieldset_fields(type_name, in_graph.requires, position)
                    )
            if required:
                deps |= self.add_fields(
                    group, sel, type_name, path, tuple(required), None, position
                )
            contextual: list[tuple[Field, ContextArgument, _Position]] = []
            for f in fields:
                in_graph = self.fed.field_in_graph(target.via, f.name, target.graph)
                for argument in in_graph.context_arguments if in_graph else ():
                    holder = self._context_holder(argument.context, path)
                    context_fields = self.fed.fieldset_fields(
                        holder.type_name, argument.selection, None
                    )
                    deps |= self.add_fields(
                        holder.group,
                        holder.sel,
                        holder.type_name,
                        holder.path,
                        context_fields,
                        holder.provided,
                        None,
                    )
                    contextual.append((f, argument, holder))
        finally:
            self._key_chain.discard(chain_key)
        entity_group = self._entity_group(target.graph, path, deps, group.step, defer)
        if contextual:
            fields = self._bind_contexts(entity_group, fields, contextual)
        typename = target.via if self.fed.is_interface_object(target.via, target.graph) else None
        entity_group.add_requires(
            target.via,
            self.fed.matches(target.via),
            typename,
            self._as_fetched(key_fields),
            self._as_fetched(required),
        )
        fragment = entity_group.sel.fragment(target.via)
        produced: set[Group] = {entity_group}
        if abstract_rest is not None:
            produced |= self.add_selection(entity_group, fragment, path, abstract_rest, None)
        if fields:
            produced |= self.add_fields(
                entity_group, fragment, target.via, path, fields, None, position
            )
        return produced

    def _as_fetched(self, fields: Sequence[Field]) -> list[Field]:
        """``fields`` with the response key each was fetched under (an internal alias when it
        met a different field of the same key in its selection set)."""
        return [
            dataclasses.replace(f, response_key=self._internal_keys[id(f)])
            if id(f) in self._internal_keys
            else f
            for f in fields
        ]

    def _context_holder(self, context: str, path: tuple[str, ...]) -> _Position:
        """The nearest ancestor position whose type sets ``context``."""
        types = self.planner.context_types.get(context, frozenset())
        for position in reversed(self._ancestors):
            if position.path != path and position.type_name in types:
                return position
        raise PlanningError(f"no ancestor sets the context {context!r} needed at {_where(path)}")

    def _bind_contexts(
        self,
        group: Group,
        fields: Sequence[Field],
        contextual: Sequence[tuple[Field, ContextArgument, _Position]],
    ) -> list[Field]:
        """Copies of ``fields`` whose context arguments are variables of ``group``'s fetch."""
        bound: dict[int, Field] = {}
        for f, argument, holder in contextual:
            current = bound.get(id(f), f)
            variable = group.bind_context(
                argument.type, holder.path, _selection_path(argument.selection)
            )
            added = f"{argument.name}: ${variable}"
            arguments = f"{current.arguments[:-1]}, {added})" if current.arguments else f"({added})"
            bound[id(f)] = dataclasses.replace(current, arguments=arguments)
        result = [bound.get(id(f), f) for f in fields]
        self._contextual.update(id(f) for f in bound.values())
        return result

    def _entity_group(
        self,
        graph: str,
        path: tuple[str, ...],
        deps: set[Group],
        step: int,
        defer: Defer | None = None,
    ) -> Group:
        for group in self.groups:
            if (
                group.is_entity
                and group.defer is defer
                and group.graph == graph
                and group.path == path
                and group.step == step
                and group not in deps
                and not any(d.depends_on(group) for d in deps)
            ):
                group.deps |= deps
                return group
        group = self._new_group(graph, path, True, step, defer)
        group.deps |= deps
        return group


def _where(path: tuple[str, ...]) -> str:
    """A response path for an error message (list positions left out)."""
    return ".".join(p for p in path if p != ENTITY_PATH_LIST) or "the root"


def _selection_path(selection: SelectionSetNode) -> tuple[str, ...]:
    """``{ a { b } }`` → ``("a", "b")``: where a context value is read on its holder."""
    names: list[str] = []
    current: SelectionSetNode | None = selection
    while current is not None:
        fields = [s for s in current.selections if isinstance(s, FieldNode)]
        if len(fields) != 1 or len(current.selections) != 1:
            raise PlanningError("a context selection must select one field at each level")
        names.append(fields[0].name.value)
        current = fields[0].selection_set
    return tuple(names)


def _covers(common: Sequence[Field], selection: SelectionSet) -> bool:
    """``common`` holds every field some runtime type selects (an interface fragment under
    a union gives fields no union can declare: they go per member type)."""
    keys = {f.response_key for f in common}
    return all(f.response_key in keys for fields in selection.by_type.values() for f in fields)


def fetch_nodes(plan: QueryPlan) -> list[FetchNode | BatchFetchNode]:
    """Every subgraph request of a plan, in plan order (for tests and tools)."""
    found: list[FetchNode | BatchFetchNode] = []

    def walk(node: PlanNode | None) -> None:
        if node is None:
            return
        if isinstance(node, FetchNode | BatchFetchNode):
            found.append(node)
        elif isinstance(node, FlattenNode):
            found.append(node.node)
        elif isinstance(node, SequenceNode | ParallelNode):
            for child in node.nodes:
                walk(child)
        elif isinstance(node, ConditionNode):
            walk(node.if_clause)
            walk(node.else_clause)
        elif isinstance(node, DeferNode):
            walk(node.primary)
            for deferred in node.deferred:
                walk(deferred.node)

    walk(plan.node)
    return found


def response_aliases(plan: QueryPlan) -> tuple[ResponseAlias, ...]:
    """Every client field the plan fetches under an internal alias (projection reads them)."""
    return tuple(alias for fetch in fetch_nodes(plan) for alias in fetch.aliases)


def count_requests(node: PlanNode | None) -> int:
    """Subgraph requests a plan node sends at most (every branch of a condition counted)."""
    return len(fetch_nodes(QueryPlan(node)))


__all__ = [
    "Planner",
    "PlanningError",
    "TypeKind",
    "count_requests",
    "fetch_nodes",
    "response_aliases",
]
