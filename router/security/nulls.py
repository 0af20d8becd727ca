"""Removed fields back into the projection, so that the response keeps the client's shape.

The engine plans the filtered operation, then projects with ``add_null_fields(selection,
result.nulls(variables), schema)``: each removed field becomes a field the plan never fetched,
so projection answers ``null`` for it and applies GraphQL null propagation (a removed non-null
field nulls its parent). The projection selection must not be given to the planner.
Placeholders come after the fields the filtered operation kept at the same position.

With ``data_keys`` (the planner's internal aliases, by field ``id``), rebuilt fields keep their
alias and every placeholder reads `REMOVED_DATA_KEY`, a key no subgraph can answer: the merged
data may hold a removed field's value anyway (fetched as an entity key or for ``@requires``),
and it must not reach the client.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type

from ..operation.normalize.model import Field, SelectionSet
from .operation_filter import Path, RemovedField

REMOVED_DATA_KEY = "!removed"
"""Not a GraphQL name: no response holds it, so a placeholder reading it is always null."""


def add_null_fields(
    selection: SelectionSet,
    removed: Iterable[RemovedField],
    schema: GraphQLSchema,
    data_keys: dict[int, str] | None = None,
) -> SelectionSet:
    """``data_keys`` is updated in place for the fields this creates."""
    by_parent: dict[Path, list[RemovedField]] = defaultdict(list)
    for item in removed:
        by_parent[item.path[:-1]].append(item)
    if not by_parent:
        return selection
    return _Builder(by_parent, schema, data_keys).selection(selection, ())


class _Builder:
    def __init__(
        self,
        by_parent: dict[Path, list[RemovedField]],
        schema: GraphQLSchema,
        data_keys: dict[int, str] | None,
    ) -> None:
        self.by_parent = by_parent
        self.schema = schema
        self.data_keys = data_keys

    def selection(self, selection: SelectionSet, path: Path) -> SelectionSet:
        here = self.by_parent.get(path, [])
        by_type = {
            runtime: self.fields(fields, runtime, path, here)
            for runtime, fields in selection.by_type.items()
        }
        common = selection.common
        if common is not None:
            common = (
                self.fields(common, selection.type_name, path, here)
                if selection.abstract
                else by_type[selection.type_name]
            )
        return SelectionSet(selection.type_name, selection.abstract, by_type, common)

    def fields(
        self, fields: tuple[Field, ...], runtime: str, path: Path, here: list[RemovedField]
    ) -> tuple[Field, ...]:
        result = [
            f
            if f.selection is None
            else self.with_selection(f, self.selection(f.selection, (*path, f.response_key)))
            for f in fields
        ]
        present = {f.response_key for f in fields}
        for item in here:
            if item.response_key in present:
                continue
            if runtime not in item.runtime_types and runtime != item.parent_type:
                continue
            parent = self.schema.get_type(runtime)
            assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            definition = parent.fields.get(item.field_name)
            if definition is None:
                continue
            present.add(item.response_key)
            placeholder = Field(
                response_key=item.response_key,
                name=item.field_name,
                parent_type=runtime,
                type_name=get_named_type(definition.type).name,
                arguments="",
                variables=frozenset(),
                selection=None,
                nodes=(),
            )
            if self.data_keys is not None:
                self.data_keys[id(placeholder)] = REMOVED_DATA_KEY
            result.append(placeholder)
        return tuple(result)

    def with_selection(self, field: Field, selection: SelectionSet) -> Field:
        if selection is field.selection:
            return field
        rebuilt = Field(
            response_key=field.response_key,
            name=field.name,
            parent_type=field.parent_type,
            type_name=field.type_name,
            arguments=field.arguments,
            variables=field.variables,
            selection=selection,
            nodes=field.nodes,
        )
        keys = self.data_keys
        if keys is not None and id(field) in keys:
            keys[id(rebuilt)] = keys[id(field)]
        return rebuilt
