"""Pass 6: apply conditions, merge fields by response key, expand per runtime type.

For every position this computes, per possible runtime type, the fields GraphQL's
CollectFields would give (in order), each merged with its other occurrences (their
sub-selections concatenated). Abstract positions whose selection is the same for every
runtime type also get ``common`` (the fields on the abstract type itself), which lets the
planner print them once on the interface instead of once per implementation.

Fragments shared by several spreads (see `inline`) are collected once per position and runtime
type, as the spec's ``visitedFragments``; every selection visited is paid from the operation's
`WorkBudget`, so expanding per runtime type cannot multiply into unbounded work either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    VariableNode,
    get_named_type,
    is_abstract_type,
    print_ast,
    visit,
)
from graphql.language import Visitor

from .limits import WorkBudget
from .model import (
    TYPENAME,
    Conditions,
    Defer,
    Field,
    RawField,
    RawFragment,
    RawSelection,
    SelectionSet,
)

INTROSPECTION_ROOT_FIELDS = {"__schema": "__Schema", "__type": "__Type"}


def conditions_pass(conditions: Conditions, values: Mapping[str, Any]) -> bool:
    for condition in conditions:
        if bool(values.get(condition.variable)) != condition.passes_when:
            return False
    return True


Chunk = tuple[tuple[RawSelection, ...], "Defer | None"]
"""Raw selections and the deferred fragment they are delivered with (None: primary)."""


class Expander:
    """Builds `SelectionSet`s for one schema and one set of condition values.

    Deferred fragments (``@defer`` whose ``if`` passes) are numbered as met and tagged on the
    fields they hold (`Field.defer`); the fields stay in the selection, so the selection is
    the whole response and the planner and projection split it by tag."""

    def __init__(
        self,
        schema: GraphQLSchema,
        condition_values: Mapping[str, Any],
        budget: WorkBudget | None = None,
    ) -> None:
        self.schema = schema
        self.values = condition_values
        self.budget = budget or WorkBudget(None)
        self.defers: list[Defer] = []
        self._defer_ids: dict[tuple[int, tuple[str, ...], int], Defer] = {}

    def selection_set(self, type_name: str, selections: tuple[RawSelection, ...]) -> SelectionSet:
        return self._selection_set(type_name, ((selections, None),), ())

    def _selection_set(
        self, type_name: str, chunks: tuple[Chunk, ...], path: tuple[str, ...]
    ) -> SelectionSet:
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType):
            fields = self._fields_for(named, chunks, path)
            return SelectionSet(type_name, False, {type_name: fields}, fields)
        assert isinstance(named, GraphQLInterfaceType | GraphQLUnionType), type_name
        by_type = {
            possible.name: self._fields_for(possible, chunks, path)
            for possible in self.schema.get_possible_types(named)
        }
        common: tuple[Field, ...] | None = None
        seen: set[int] = set()
        if all(self._uniform(named, selections, seen) for selections, _ in chunks):
            common = self._fields_for(named, chunks, path)
        return SelectionSet(type_name, True, by_type, common)

    def _uniform(
        self,
        abstract: GraphQLInterfaceType | GraphQLUnionType,
        selections: tuple[RawSelection, ...],
        seen: set[int],
    ) -> bool:
        """True when no selection here narrows to a subset of the abstract type's members."""
        if id(selections) in seen:
            return True
        seen.add(id(selections))
        mine = {t.name for t in self.schema.get_possible_types(abstract)}
        for selection in selections:
            self.budget.spend()
            if isinstance(selection, RawFragment) and conditions_pass(
                selection.conditions, self.values
            ):
                condition = selection.type_condition
                if condition is not None and condition != abstract.name:
                    other = self.schema.get_type(condition)
                    if not is_abstract_type(other):
                        return False
                    theirs = {t.name for t in self.schema.get_possible_types(other)}
                    if not mine <= theirs:
                        return False
                if not self._uniform(abstract, selection.selections, seen):
                    return False
        return True

    def _applies(self, condition: str | None, runtime: str) -> bool:
        if condition is None or condition == runtime:
            return True
        named = self.schema.get_type(condition)
        if named is None or not is_abstract_type(named):
            return False
        runtime_type = self.schema.get_type(runtime)
        if isinstance(runtime_type, GraphQLObjectType):
            return self.schema.is_sub_type(named, runtime_type)
        # An abstract "runtime" (common fields): the fragment applies when it covers it.
        return runtime_type is not None and self.schema.is_sub_type(named, runtime_type)

    def _defer(
        self, fragment: RawFragment, path: tuple[str, ...], parent: Defer | None
    ) -> Defer | None:
        """The `Defer` of a fragment at this position, when its ``@defer`` is on."""
        directive = fragment.defer
        if directive is None or (
            directive.condition is not None and not self.values.get(directive.condition)
        ):
            return None
        key = (id(fragment), path, id(parent))
        found = self._defer_ids.get(key)
        if found is None:
            found = Defer(len(self.defers), directive.label, path, parent)
            self.defers.append(found)
            self._defer_ids[key] = found
        return found

    def _collect(
        self,
        runtime: str,
        selections: tuple[RawSelection, ...],
        into: dict[str, list[tuple[RawField, Defer | None]]],
        seen: set[int],
        defer: Defer | None,
        path: tuple[str, ...],
    ) -> None:
        for selection in selections:
            self.budget.spend()
            if not conditions_pass(selection.conditions, self.values):
                continue
            if isinstance(selection, RawField):
                into.setdefault(selection.response_key, []).append((selection, defer))
            elif (
                self._applies(selection.type_condition, runtime)
                or (selection.type_condition == runtime)
            ) and id(selection.selections) not in seen:
                seen.add(id(selection.selections))
                inner = self._defer(selection, path, defer) or defer
                self._collect(runtime, selection.selections, into, seen, inner, path)

    def _fields_for(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
        chunks: tuple[Chunk, ...],
        path: tuple[str, ...],
    ) -> tuple[Field, ...]:
        grouped: dict[str, list[tuple[RawField, Defer | None]]] = {}
        seen: set[int] = set()
        # The primary part first: a fragment shared with a deferred one is not deferred.
        for selections, defer in sorted(chunks, key=lambda c: c[1] is not None):
            self._collect(parent.name, selections, grouped, seen, defer, path)
        return tuple(self._merge(parent, occurrences, path) for occurrences in grouped.values())

    def _merge(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
        occurrences: list[tuple[RawField, Defer | None]],
        path: tuple[str, ...],
    ) -> Field:
        first = occurrences[0][0]
        defers = [defer for _, defer in occurrences]
        defer = None if None in defers else defers[0]
        node = first.node
        arguments = ""
        variables: frozenset[str] = frozenset()
        if node.arguments:
            arguments = "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"
            variables = _variables_in(node)
        if first.name == TYPENAME:
            return Field(
                first.response_key,
                TYPENAME,
                parent.name,
                "String",
                "",
                frozenset(),
                None,
                (node,),
                defer,
            )
        if first.name in INTROSPECTION_ROOT_FIELDS:
            # Answered by graphql-core from the original nodes; no selection is needed here.
            return Field(
                first.response_key,
                first.name,
                parent.name,
                INTROSPECTION_ROOT_FIELDS[first.name],
                arguments,
                variables,
                None,
                tuple(o.node for o, _ in occurrences),
                defer,
            )
        assert not isinstance(parent, GraphQLUnionType), (parent.name, first.name)
        definition = parent.fields[first.name]
        result_type = get_named_type(definition.type)
        selection: SelectionSet | None = None
        if isinstance(result_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            child_path = (*path, first.response_key, *(["@"] * _list_depth(definition.type)))
            chunks = tuple((o.selections, d) for o, d in occurrences)
            selection = self._selection_set(result_type.name, chunks, child_path)
        return Field(
            response_key=first.response_key,
            name=first.name,
            parent_type=parent.name,
            type_name=result_type.name,
            arguments=arguments,
            variables=variables,
            selection=selection,
            nodes=tuple(o.node for o, _ in occurrences),
            defer=defer,
        )


def _list_depth(type_: Any) -> int:
    depth = 0
    while True:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        elif isinstance(type_, GraphQLList):
            depth += 1
            type_ = type_.of_type
        else:
            return depth


class _VariableCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_args: object) -> None:
        self.names.add(node.name.value)


def _variables_in(node: Any) -> frozenset[str]:
    collector = _VariableCollector()
    for argument in node.arguments or ():
        visit(argument, collector)
    return frozenset(collector.names)
