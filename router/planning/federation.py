"""The planner's questions to the supergraph model, answered once and memoized.

Which graph resolves a field (honouring `@override` and progressive override labels), which
keys a type has there, which runtime types a graph can return for an abstract type, and field
sets (`@key`, `@requires`, `@provides`) turned into the planner's `Field` form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import FieldNode, InlineFragmentNode, SelectionNode, SelectionSetNode, print_ast

from ..operation.normalize.model import TYPENAME, Field, SelectionSet
from ..supergraph.model import FieldInGraph, Key, Supergraph, TypeKind

Provided = Mapping[str, SelectionSetNode | None]
"""Fields a `@provides` makes resolvable at one position, with their nested provided fields."""

INTERNAL_ALIAS_PREFIX = "__internal_"


class Federation:
    """Memoized answers for one supergraph and one set of active override labels."""

    def __init__(self, supergraph: Supergraph, labels: frozenset[str]) -> None:
        self.sg = supergraph
        self.labels = labels
        self.graph_order = {graph: i for i, graph in enumerate(supergraph.subgraphs)}
        self._resolves: dict[tuple[str, str, str], bool] = {}
        self._runtime: dict[tuple[str, str], tuple[str, ...]] = {}
        self._list_depth: dict[tuple[str, str], int] = {}

    # -- types -------------------------------------------------------------------------

    def is_abstract(self, type_name: str) -> bool:
        type_def = self.sg.types.get(type_name)
        return type_def is not None and type_def.kind in (TypeKind.INTERFACE, TypeKind.UNION)

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        type_def = self.sg.types.get(type_name)
        if type_def is None:
            return False
        in_graph = type_def.graphs.get(graph)
        return in_graph is not None and in_graph.is_interface_object

    def resolvable_keys(self, type_name: str, graph: str) -> tuple[Key, ...]:
        type_def = self.sg.types.get(type_name)
        if type_def is None:
            return ()
        in_graph = type_def.graphs.get(graph)
        return in_graph.resolvable_keys if in_graph is not None else ()

    def all_keys(self, type_name: str, graph: str) -> tuple[Key, ...]:
        type_def = self.sg.types.get(type_name)
        if type_def is None:
            return ()
        in_graph = type_def.graphs.get(graph)
        return in_graph.keys if in_graph is not None else ()

    def runtime_types_in(self, abstract: str, graph: str) -> tuple[str, ...]:
        """Object types ``graph`` may return where it declares ``abstract``."""
        memo_key = (abstract, graph)
        cached = self._runtime.get(memo_key)
        if cached is not None:
            return cached
        type_def = self.sg.types[abstract]
        result: list[str] = []
        members = self.sg.possible_types.get(abstract, frozenset())
        if type_def.kind is TypeKind.UNION:
            in_graph = type_def.union_members.get(graph)
            candidates: Iterable[str] = in_graph if in_graph is not None else members
        else:
            candidates = members
        for name in sorted(candidates):
            member = self.sg.types.get(name)
            if member is None or graph not in member.graphs:
                continue
            if type_def.kind is TypeKind.INTERFACE:
                implemented = member.implements.get(graph)
                if implemented is not None and abstract not in implemented:
                    continue
            result.append(name)
        cached = tuple(result)
        self._runtime[memo_key] = cached
        return cached

    def matches(self, condition: str) -> frozenset[str]:
        """``__typename`` values an object may carry to match ``... on condition``."""
        members = self.sg.possible_types.get(condition)
        return frozenset({condition} | set(members or ()))

    # -- fields ------------------------------------------------------------------------

    def field_in_graph(self, type_name: str, field_name: str, graph: str) -> FieldInGraph | None:
        type_def = self.sg.types.get(type_name)
        if type_def is None:
            return None
        field_def = type_def.fields.get(field_name)
        if field_def is None:
            return None
        return field_def.graphs.get(graph)

    def resolves(self, type_name: str, field_name: str, graph: str) -> bool:
        """``graph`` resolves ``type_name.field_name`` (outside any `@provides`)."""
        if field_name == TYPENAME:
            return True
        memo_key = (type_name, field_name, graph)
        cached = self._resolves.get(memo_key)
        if cached is not None:
            return cached
        in_graph = self.field_in_graph(type_name, field_name, graph)
        result = False
        if in_graph is not None and in_graph.resolvable:
            result = True
            if in_graph.override_label is not None:
                active = in_graph.override_label in self.labels
                result = active if in_graph.override is not None else not active
        self._resolves[memo_key] = result
        return result

    def resolves_here(
        self, type_name: str, field_name: str, graph: str, provided: Provided | None
    ) -> bool:
        if self.resolves(type_name, field_name, graph):
            return True
        return (
            provided is not None
            and field_name in provided
            and self.field_in_graph(type_name, field_name, graph) is not None
        )

    def resolving_graphs(self, type_name: str, field_name: str) -> list[str]:
        type_def = self.sg.types.get(type_name)
        if type_def is None or field_name not in type_def.fields:
            return []
        graphs = [
            g for g in type_def.fields[field_name].graphs if self.resolves(type_name, field_name, g)
        ]
        graphs.sort(key=self.graph_order.__getitem__)
        return graphs

    def list_depth(self, type_name: str, field_name: str) -> int:
        memo_key = (type_name, field_name)
        cached = self._list_depth.get(memo_key)
        if cached is None:
            cached = 0
            type_def = self.sg.types.get(type_name)
            if type_def is not None and field_name in type_def.fields:
                cached = type_def.fields[field_name].type.count("[")
            self._list_depth[memo_key] = cached
        return cached

    def named_type(self, type_name: str, field_name: str) -> str:
        if field_name == TYPENAME:
            return "String"
        return self.sg.types[type_name].fields[field_name].named_type

    # -- field sets --------------------------------------------------------------------

    def provided_at(
        self, provides: SelectionSetNode, runtime_type: str
    ) -> dict[str, SelectionSetNode | None]:
        """The part of a `@provides` selection that applies to objects of ``runtime_type``."""
        found: dict[str, SelectionSetNode | None] = {}
        for selection in provides.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                found[name] = _merge_nodes(found.get(name), selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or runtime_type in self.matches(condition.name.value):
                    for name, sub in self.provided_at(
                        selection.selection_set, runtime_type
                    ).items():
                        found[name] = _merge_nodes(found.get(name), sub)
        return found

    def fieldset_fields(
        self,
        type_name: str,
        selection_set: SelectionSetNode,
        client_fields: tuple[Field, ...] | None,
    ) -> tuple[Field, ...]:
        """A field set as planner fields on ``type_name`` (internal aliases on conflicts)."""
        nodes: dict[str, list[FieldNode]] = {}
        for field_node in _flatten(selection_set.selections, type_name, self):
            nodes.setdefault(field_node.name.value, []).append(field_node)
        by_key = {f.response_key: f for f in client_fields or ()}
        result: list[Field] = []
        for name, occurrences in nodes.items():
            response_key = name
            arguments = _printed_arguments(occurrences[0])
            client = by_key.get(name)
            if client is not None and (client.name != name or client.arguments != arguments):
                response_key = INTERNAL_ALIAS_PREFIX + name
                client = None
            named = self.named_type(type_name, name)
            selection: SelectionSet | None = None
            merged: SelectionSetNode | None = None
            for occurrence in occurrences:
                merged = _merge_nodes(merged, occurrence.selection_set)
            if merged is not None:
                selection = self.fieldset_selection(
                    named, merged, client.selection if client else None
                )
            result.append(
                Field(response_key, name, type_name, named, arguments, frozenset(), selection, ())
            )
        return tuple(result)

    def fieldset_selection(
        self, type_name: str, selection_set: SelectionSetNode, client: SelectionSet | None
    ) -> SelectionSet:
        if not self.is_abstract(type_name):
            client_fields = client.by_type.get(type_name) if client is not None else None
            fields = self.fieldset_fields(type_name, selection_set, client_fields)
            return SelectionSet(type_name, False, {type_name: fields}, fields)
        by_type: dict[str, tuple[Field, ...]] = {}
        for runtime in sorted(self.sg.possible_types.get(type_name, ())):
            client_fields = client.by_type.get(runtime) if client is not None else None
            by_type[runtime] = self.fieldset_fields(runtime, selection_set, client_fields)
        return SelectionSet(type_name, True, by_type, None)


def _printed_arguments(node: FieldNode) -> str:
    """A field set field's arguments as the planner prints them (``(currency: "USD")``): a
    `@requires` with arguments must send them to the subgraph."""
    if not node.arguments:
        return ""
    return "(" + ", ".join(print_ast(argument) for argument in node.arguments) + ")"


def _flatten(
    selections: Iterable[SelectionNode], type_name: str, federation: Federation
) -> list[FieldNode]:
    result: list[FieldNode] = []
    for selection in selections:
        if isinstance(selection, FieldNode):
            if selection.name.value != TYPENAME:
                result.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is None or type_name in federation.matches(condition.name.value):
                result.extend(_flatten(selection.selection_set.selections, type_name, federation))
    return result


def _merge_nodes(
    first: SelectionSetNode | None, second: SelectionSetNode | None
) -> SelectionSetNode | None:
    if first is None:
        return second
    if second is None:
        return first
    return SelectionSetNode(selections=(*first.selections, *second.selections))
