"""Removed fields back into the projection, so that the response keeps the client's shape.

The engine plans the filtered operation, then projects with ``add_null_fields(selection,
result.nulls(variables), schema)``: each removed field becomes a field the plan never fetched,
so projection answers ``null`` for it and applies GraphQL null propagation (a removed non-null
field nulls its parent). The projection selection must not be given to the planner.
Placeholders come after the fields the filtered operation kept at the same position.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type

from ..planning.normalize.model import Field, SelectionSet
from .operation_filter import Path, RemovedField


def add_null_fields(
    selection: SelectionSet, removed: Iterable[RemovedField], schema: GraphQLSchema
) -> SelectionSet:
    by_parent: dict[Path, list[RemovedField]] = defaultdict(list)
    for item in removed:
        by_parent[item.path[:-1]].append(item)
    if not by_parent:
        return selection
    return _selection(selection, (), by_parent, schema)


def _selection(
    selection: SelectionSet,
    path: Path,
    by_parent: dict[Path, list[RemovedField]],
    schema: GraphQLSchema,
) -> SelectionSet:
    here = by_parent.get(path, [])
    by_type = {
        runtime: _fields(fields, runtime, path, here, by_parent, schema)
        for runtime, fields in selection.by_type.items()
    }
    common = selection.common
    if common is not None:
        common = (
            _fields(common, selection.type_name, path, here, by_parent, schema)
            if selection.abstract
            else by_type[selection.type_name]
        )
    return SelectionSet(selection.type_name, selection.abstract, by_type, common)


def _fields(
    fields: tuple[Field, ...],
    runtime: str,
    path: Path,
    here: list[RemovedField],
    by_parent: dict[Path, list[RemovedField]],
    schema: GraphQLSchema,
) -> tuple[Field, ...]:
    result = [
        f
        if f.selection is None
        else _with_selection(f, _selection(f.selection, (*path, f.response_key), by_parent, schema))
        for f in fields
    ]
    present = {f.response_key for f in fields}
    for item in here:
        if item.response_key in present:
            continue
        if runtime not in item.runtime_types and runtime != item.parent_type:
            continue
        parent = schema.get_type(runtime)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        definition = parent.fields.get(item.field_name)
        if definition is None:
            continue
        present.add(item.response_key)
        result.append(
            Field(
                response_key=item.response_key,
                name=item.field_name,
                parent_type=runtime,
                type_name=get_named_type(definition.type).name,
                arguments="",
                variables=frozenset(),
                selection=None,
                nodes=(),
            )
        )
    return tuple(result)


def _with_selection(field: Field, selection: SelectionSet) -> Field:
    if selection is field.selection:
        return field
    return Field(
        response_key=field.response_key,
        name=field.name,
        parent_type=field.parent_type,
        type_name=field.type_name,
        arguments=field.arguments,
        variables=field.variables,
        selection=selection,
        nodes=field.nodes,
    )
