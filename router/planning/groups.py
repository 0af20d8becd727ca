"""Fetch groups: one subgraph operation each, linked by dependencies, turned into plan nodes.

A group is filled by the planner; at the end, the groups of each step (the whole query, or
one mutation root field at a time) become a tree of Sequence/Parallel/Flatten/Fetch nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from ..operation.normalize.model import TYPENAME, Defer, Field, SelectionSet
from .nodes import (
    ContextValue,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    RequiresField,
    RequiresFragment,
    RequiresItem,
    ResponseAlias,
    SequenceNode,
)
from .selection import SelNode

CONTEXT_VARIABLE = "__context_"


class _RequiresBuilder:
    """Accumulates the representation fields for one type condition."""

    __slots__ = ("fields", "matches", "typename")

    def __init__(self, matches: frozenset[str], typename: str | None) -> None:
        self.matches = matches
        self.typename = typename
        self.fields: dict[str, tuple[str, bool, list[SelectionSet]]] = {}

    def add(self, fields: Sequence[Field], key: bool) -> None:
        for field in fields:
            if field.is_typename:
                continue
            existing = self.fields.get(field.response_key)
            if existing is None:
                existing = (field.name, key, [])
                self.fields[field.response_key] = existing
            elif key and not existing[1]:
                existing = (existing[0], True, existing[2])
                self.fields[field.response_key] = existing
            if field.selection is not None:
                existing[2].append(field.selection)


def _requires_items(selections: list[SelectionSet], key: bool) -> tuple[RequiresItem, ...]:
    """Nested representation items for the sub-selections of one required/key field."""
    first = selections[0]
    if not first.abstract:
        merged: dict[str, tuple[str, list[SelectionSet]]] = {}
        for selection in selections:
            for field in selection.by_type[selection.type_name]:
                entry = merged.setdefault(field.response_key, (field.name, []))
                if field.selection is not None:
                    entry[1].append(field.selection)
        return tuple(
            RequiresField(name, data_key, _requires_items(subs, key) if subs else None, key)
            for data_key, (name, subs) in merged.items()
        )
    items: list[RequiresItem] = [RequiresField(TYPENAME, TYPENAME, None, False)]
    for runtime in first.by_type:
        per_type = [
            SelectionSet(runtime, False, {runtime: s.by_type.get(runtime, ())}, None)
            for s in selections
        ]
        fields = _requires_items(per_type, key)
        if fields:
            items.append(RequiresFragment(runtime, frozenset({runtime}), fields))
    return tuple(items)


class Group:
    """One subgraph fetch being planned."""

    __slots__ = (
        "aliases",
        "context_types",
        "contexts",
        "defer",
        "deps",
        "graph",
        "id",
        "is_entity",
        "path",
        "requires",
        "sel",
        "service",
        "step",
        "variables",
    )

    def __init__(
        self,
        group_id: int,
        graph: str,
        service: str,
        path: tuple[str, ...],
        is_entity: bool,
        step: int,
        defer: Defer | None = None,
    ) -> None:
        self.id = group_id
        self.defer = defer
        """The deferred fragment this fetch belongs to (None: the primary part)."""
        self.graph = graph
        self.service = service
        self.path = path
        self.is_entity = is_entity
        self.step = step
        self.sel = SelNode()
        self.deps: set[Group] = set()
        self.requires: dict[str, _RequiresBuilder] = {}
        self.variables: set[str] = set()
        self.contexts: list[ContextValue] = []
        self.context_types: list[str] = []
        self.aliases: list[ResponseAlias] = []
        """Client fields selected under an internal alias (see `ResponseAlias`)."""

    def bind_context(
        self, type_text: str, holder_path: tuple[str, ...], selection: tuple[str, ...]
    ) -> str:
        """A variable of this fetch carrying a context value (read per object at run time)."""
        for index, known in enumerate(self.contexts):
            if (
                known.path == holder_path
                and known.selection == selection
                and self.context_types[index] == type_text
            ):
                return known.variable
        variable = f"{CONTEXT_VARIABLE}{len(self.contexts)}"
        self.contexts.append(ContextValue(variable, holder_path, selection))
        self.context_types.append(type_text)
        return variable

    def __repr__(self) -> str:
        return f"Group({self.id}, {self.service}, {'.'.join(self.path)})"

    def depends_on(self, other: Group) -> bool:
        """True when this group (transitively) waits for ``other``."""
        stack = list(self.deps)
        seen: set[int] = set()
        while stack:
            group = stack.pop()
            if group is other:
                return True
            if group.id in seen:
                continue
            seen.add(group.id)
            stack.extend(group.deps)
        return False

    def add_requires(
        self,
        condition: str,
        matches: frozenset[str],
        typename: str | None,
        key_fields: Sequence[Field],
        required: Sequence[Field],
    ) -> None:
        builder = self.requires.get(condition)
        if builder is None:
            builder = _RequiresBuilder(matches, typename)
            self.requires[condition] = builder
        builder.add(key_fields, True)
        builder.add(required, False)

    def requires_fragments(self) -> tuple[RequiresFragment, ...]:
        fragments = []
        for condition, builder in self.requires.items():
            items = tuple(
                RequiresField(name, data_key, _requires_items(subs, key) if subs else None, key)
                for data_key, (name, key, subs) in builder.fields.items()
            )
            fragments.append(RequiresFragment(condition, builder.matches, items, builder.typename))
        return tuple(fragments)

    def to_fetch(
        self,
        kind: str,
        variable_definitions: Mapping[str, str],
        operation_name: str | None,
    ) -> FetchNode:
        used = [name for name in variable_definitions if name in self.variables]
        definitions = [variable_definitions[name] for name in used]
        definitions.extend(
            f"${value.variable}: {type_text}"
            for value, type_text in zip(self.contexts, self.context_types, strict=True)
        )
        out: list[str] = []
        name = f"{operation_name}__{self.service}__{self.id}" if operation_name else None
        if self.is_entity:
            definitions.insert(0, "$representations: [_Any!]!")
            out.append("query")
        else:
            out.append(kind)
        if name:
            out.append(" " + name)
        if definitions:
            out.append("(" + ", ".join(definitions) + ")")
        out.append(" ")
        if self.is_entity:
            out.append("{ _entities(representations: $representations) ")
            self.sel.print(out)
            out.append(" }")
        else:
            self.sel.print(out)
        operation = "".join(out)
        prefix = b'{"query":' + orjson.dumps(operation)
        if name:
            prefix += b',"operationName":' + orjson.dumps(name)
        return FetchNode(
            service=self.service,
            operation=operation,
            operation_kind="query" if self.is_entity else kind,
            variable_usages=tuple(used),
            requires=self.requires_fragments() if self.is_entity else (),
            operation_name=name,
            id=self.id,
            body_prefix=prefix + b',"variables":',
            contexts=tuple(self.contexts),
            aliases=tuple(self.aliases),
        )


def assemble(groups: Sequence[Group], fetches: Mapping[int, FetchNode]) -> PlanNode | None:
    """Order one step's groups: independent branches in parallel, dependents after."""
    if not groups:
        return None
    return _build(sorted(groups, key=lambda g: g.id), fetches)


def node_for(group: Group, fetches: Mapping[int, FetchNode]) -> PlanNode:
    fetch = fetches[group.id]
    return FlattenNode(group.path, fetch) if group.is_entity else fetch


def _build(groups: list[Group], fetches: Mapping[int, FetchNode]) -> PlanNode:
    members = {g.id for g in groups}
    components = _components(groups, members)
    if len(components) > 1:
        return ParallelNode(tuple(_build(c, fetches) for c in components))
    roots = [g for g in groups if not any(d.id in members for d in g.deps)]
    rest = [g for g in groups if g not in roots]
    first: PlanNode = (
        node_for(roots[0], fetches)
        if len(roots) == 1
        else ParallelNode(tuple(node_for(r, fetches) for r in roots))
    )
    if not rest:
        return first
    tail = _build(rest, fetches)
    tail_nodes = tail.nodes if isinstance(tail, SequenceNode) else (tail,)
    return SequenceNode((first, *tail_nodes))


def _components(groups: list[Group], members: set[int]) -> list[list[Group]]:
    parent = {g.id: g.id for g in groups}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for group in groups:
        for dep in group.deps:
            if dep.id in members:
                parent[find(group.id)] = find(dep.id)
    buckets: dict[int, list[Group]] = {}
    for group in groups:
        buckets.setdefault(find(group.id), []).append(group)
    return sorted(buckets.values(), key=lambda c: c[0].id)
