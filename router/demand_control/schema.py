"""What the cost calculators need to know about one field, computed once per field.

`CostSchema` answers from the API schema (types, lists, arguments) and the supergraph's cost
directives (`router.supergraph.cost`); answers are cached per (type, field), so a request
pays a dictionary lookup per field, not a walk through graphql-core's type wrappers.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)

from router.operation.normalize import RawField, RawFragment, RawSelection
from router.supergraph import ListSize, Supergraph


@dataclass(frozen=True, slots=True)
class FieldCost:
    """One output field's cost facts."""

    named_type: str
    is_list: bool
    nested: bool
    """A list of lists."""
    composite: bool
    """Object, interface or union: worth 1 by default; scalars and enums 0."""
    weight: int | None
    """``@cost`` of the field, else of its type; None when neither has one."""
    list_size: ListSize | None
    definition: GraphQLField
    requires: tuple[RawSelection, ...]
    """The field's ``@requires`` selection (on its parent type), costed with it."""

    @property
    def type_cost(self) -> float:
        if self.weight is not None:
            return float(self.weight)
        return 1.0 if self.composite else 0.0


class CostSchema:
    """Cost facts of a supergraph's fields, arguments and input fields."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.api_schema
        self.directives = supergraph.cost
        self._fields: dict[tuple[str, str], FieldCost | None] = {}

    def field(self, parent: str, name: str) -> FieldCost | None:
        """None for meta fields (``__typename``, introspection) and unknown ones."""
        key = (parent, name)
        try:
            return self._fields[key]
        except KeyError:
            info = self._fields[key] = self._build(parent, name)
            return info

    def argument_weight(self, parent: str, field: str, argument: str, type_name: str) -> int | None:
        weight = self.directives.arguments.get((parent, field, argument))
        return weight if weight is not None else self.directives.types.get(type_name)

    def input_field_weight(self, input_type: str, field: str, type_name: str) -> int | None:
        weight = self.directives.fields.get((input_type, field))
        return weight if weight is not None else self.directives.types.get(type_name)

    def input_type(self, name: str) -> GraphQLInputObjectType | None:
        named = self.schema.type_map.get(name)
        return named if isinstance(named, GraphQLInputObjectType) else None

    def _build(self, parent: str, name: str) -> FieldCost | None:
        if name.startswith("__"):
            return None
        parent_type = self.schema.type_map.get(parent)
        if not isinstance(parent_type, GraphQLObjectType | GraphQLInterfaceType):
            return None
        definition = parent_type.fields.get(name)
        if definition is None:
            return None
        output = definition.type
        lists = 0
        while isinstance(output, GraphQLNonNull | GraphQLList):
            lists += isinstance(output, GraphQLList)
            output = output.of_type
        named = get_named_type(definition.type)
        directives = self.directives
        weight = directives.fields.get((parent, name))
        if weight is None:
            weight = directives.types.get(named.name)
        return FieldCost(
            named_type=named.name,
            is_list=lists > 0,
            nested=lists > 1,
            composite=isinstance(
                named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
            ),
            weight=weight,
            list_size=directives.list_sizes.get((parent, name)),
            definition=definition,
            requires=self._requires(parent, name),
        )

    def _requires(self, parent: str, name: str) -> tuple[RawSelection, ...]:
        type_def = self.supergraph.types.get(parent)
        field_def = type_def.fields.get(name) if type_def is not None else None
        if field_def is None:
            return ()
        for in_graph in field_def.graphs.values():
            if in_graph.requires is not None and in_graph.resolvable:
                return _raw(in_graph.requires)
        return ()


def _raw(selection_set: SelectionSetNode) -> tuple[RawSelection, ...]:
    """A field set (``@requires``) as unconditional raw selections."""
    out: list[RawSelection] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            children = _raw(selection.selection_set) if selection.selection_set else ()
            key = selection.alias.value if selection.alias else selection.name.value
            out.append(RawField(key, selection.name.value, selection, (), children))
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            out.append(RawFragment(condition, (), _raw(selection.selection_set)))
    return tuple(out)
