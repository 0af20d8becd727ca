"""Removed fields back into the projection, so that the response keeps the client's shape.

The engine plans the filtered operation, then projects with ``add_null_fields(selection,
result.nulls(variables), schema)``: each removed field becomes a field the plan never fetched,
so projection answers ``null`` for it and applies GraphQL null propagation (a removed non-null
field nulls its parent). The projection selection must not be given to the planner.
Placeholders come after the fields the filtered operation kept at the same position.

Placeholders are marked ``removed``: projection answers null for them whatever the merged data
holds under their key, since it may hold a removed field's value anyway (fetched as an entity
key or for ``@requires``), and that must not reach the client. The plan's internal aliases
(`ResponseAlias`) name positions, not field objects, so rebuilt fields keep theirs.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type

from ..operation.normalize.model import Field, SelectionSet
from .operation_filter import Path, RemovedField


def add_null_fields(
    selection: SelectionSet,
    removed: Iterable[RemovedField],
    schema: GraphQLSchema,
) -> SelectionSet:
    by_parent: dict[Path, list[RemovedField]] = defaultdict(list)
    for item in removed:
        by_parent[item.path[:-1]].append(item)
    if not by_parent:
        return selection
    return _Builder(by_parent, schema).selection(selection, ())


class _Builder:
    def __init__(
        self,
        by_parent: dict[Path, list[RemovedField]],
        schema: GraphQLSchema,
    ) -> None:
        self.by_parent = by_parent
        self.schema = schema

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
                removed=True,
            )
            result.append(placeholder)
        return tuple(result)

    def with_selection(self, field: Field, selection: SelectionSet) -> Field:
        if selection is field.selection:
            return field
        return dataclasses.replace(field, selection=selection)
