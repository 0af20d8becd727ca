"""Static cost of an operation before it runs (Apollo's ``static_estimated`` strategy).

IBM's cost analysis as Apollo Router applies it to the client's operation:

* operation: a mutation costs 10 to begin with, a query or subscription 0;
* field: ``count * (type cost + cost of its selections) + cost of its arguments + cost of its
  @requires selection``, where the type cost is the field's ``@cost``, else its type's, else
  1 for objects, interfaces and unions and 0 for scalars and enums;
* count: 1 for a non-list field; for a list, the size given by the parent's ``@listSize``
  ``sizedFields``, else this field's ``@listSize`` (largest slicing argument given, a
  default counting, else ``assumedSize``), else the configured ``list_size``;
* arguments: an input object costs its ``@cost`` (else 1) plus its fields, a list its
  ``@cost`` (else 0) plus its items, any other value its ``@cost`` (else 0); null costs 0;
* fragments add their selections (every branch counts: an upper bound); fields removed by
  ``@skip``/``@include`` cost nothing.

A ``@listSize(requireOneSlicingArgument: true)`` field queried with no slicing argument (and
no default) or with several is a `CostError` (``COST_QUERY_PARSE_FAILURE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    value_from_ast,
)
from graphql.pyutils import Undefined

from router.operation.normalize import NormalizedOperation, RawField, RawSelection
from router.supergraph import ListSize

from .schema import CostSchema, FieldCost

MUTATION_BASE_COST = 10.0
QUERY_PARSE_FAILURE = "COST_QUERY_PARSE_FAILURE"


class CostError(Exception):
    """The operation cannot be costed as its schema's directives require."""

    code = QUERY_PARSE_FAILURE


@dataclass(frozen=True, slots=True)
class Estimate:
    cost: float
    uses_variables: bool
    """Whether variable values took part (else the estimate holds for any values)."""


@dataclass(slots=True)
class _Sizing:
    """A parent's ``@listSize``: the size its ``sizedFields`` lists take."""

    size: int | None
    sized_fields: tuple[str, ...]

    def size_of(self, name: str) -> int | None:
        return self.size if name in self.sized_fields else None


class CostEstimator:
    """Estimates operations against one supergraph with one default list size."""

    def __init__(self, schema: CostSchema, list_size: int) -> None:
        self.schema = schema
        self.list_size = list_size

    def estimate(self, operation: NormalizedOperation, variables: Mapping[str, Any]) -> Estimate:
        run = CostRun(self, variables)
        cost = MUTATION_BASE_COST if operation.kind == "mutation" else 0.0
        cost += run.selections(operation.selections, operation.root_type, None)
        return Estimate(cost, run.uses_variables)


class CostRun:
    """One estimate: walks the raw selections (fragments and conditions kept)."""

    __slots__ = ("list_size", "schema", "uses_variables", "variables")

    def __init__(self, estimator: CostEstimator, variables: Mapping[str, Any]) -> None:
        self.schema = estimator.schema
        self.list_size = estimator.list_size
        self.variables = variables
        self.uses_variables = False

    def selections(
        self, selections: tuple[RawSelection, ...], parent: str, sizing: _Sizing | None
    ) -> float:
        cost = 0.0
        for selection in selections:
            if selection.conditions:
                self.uses_variables = True
                if not all(
                    bool(self.variables.get(c.variable)) is c.passes_when
                    for c in selection.conditions
                ):
                    continue
            if isinstance(selection, RawField):
                upstream = sizing.size_of(selection.name) if sizing is not None else None
                cost += self.field(selection, parent, upstream)
            else:
                cost += self.selections(
                    selection.selections, selection.type_condition or parent, sizing
                )
        return cost

    def field(self, raw: RawField, parent: str, upstream: int | None) -> float:
        info = self.schema.field(parent, raw.name)
        if info is None:
            return 0.0
        node = raw.node
        sizing: _Sizing | None = None
        if info.list_size is not None:
            sizing = _Sizing(
                self.expected_size(info, info.list_size, node), info.list_size.sized_fields
            )
        if not info.is_list:
            count = 1
        elif upstream is not None:
            count = upstream
        elif sizing is not None and sizing.size is not None:
            count = sizing.size
        else:
            count = self.list_size
        type_cost = info.type_cost
        if raw.selections:
            type_cost += self.selections(raw.selections, info.named_type, sizing)
        cost = count * type_cost
        if node.arguments:
            cost += self.arguments(info, parent, node)
        if info.requires:
            cost += self.selections(info.requires, parent, sizing)
        return cost

    # -- list sizes ----------------------------------------------------------------------

    def expected_size(self, info: FieldCost, list_size: ListSize, node: FieldNode) -> int | None:
        if not list_size.slicing_arguments:
            return list_size.assumed_size
        given: list[int] = []
        for path in list_size.slicing_arguments:
            value = self.slicing_value(info, node, path.split("."))
            if value is not None:
                given.append(value)
        if list_size.require_one_slicing_argument and len(given) != 1:
            raise CostError(
                f"Exactly one slicing argument is required, but found {len(given)} "
                f"(field '{node.name.value}', slicing arguments: "
                f"{', '.join(list_size.slicing_arguments)})"
            )
        return max(given) if given else list_size.assumed_size

    def slicing_value(self, info: FieldCost, node: FieldNode, path: list[str]) -> int | None:
        """The int at ``path`` (``first``, ``filter.max``) in the field's arguments (literal,
        variable, or the argument's default)."""
        head, rest = path[0], path[1:]
        value: Any = Undefined
        for argument in node.arguments or ():
            if argument.name.value == head:
                value = self.python_value(argument.value)
                break
        if value is Undefined:
            value = _default(info, head)
        for key in rest:
            value = value.get(key, Undefined) if isinstance(value, Mapping) else Undefined
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def python_value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            self.uses_variables = True
            return self.variables.get(node.name.value, Undefined)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ObjectValueNode):
            return {f.name.value: self.python_value(f.value) for f in node.fields}
        if isinstance(node, NullValueNode):
            return None
        return Undefined

    # -- arguments -----------------------------------------------------------------------

    def arguments(self, info: FieldCost, parent: str, node: FieldNode) -> float:
        cost = 0.0
        schema = self.schema
        for argument in node.arguments or ():
            definition = info.definition.args.get(argument.name.value)
            if definition is None:
                continue
            named = get_named_type(definition.type).name
            weight = schema.argument_weight(parent, node.name.value, argument.name.value, named)
            cost += self.value_node(argument.value, definition.type, weight)
        return cost

    def value_node(self, node: ValueNode, type_: GraphQLInputType, weight: int | None) -> float:
        if isinstance(node, VariableNode):
            inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
            if not weight and isinstance(inner, GraphQLScalarType | GraphQLEnumType):
                return 0.0  # 0 whatever the value (null too): the estimate does not depend on it
            self.uses_variables = True
            return self.value(self.variables.get(node.name.value), type_, weight)
        if isinstance(node, NullValueNode):
            return 0.0
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(node, ListValueNode):
            item = inner.of_type if isinstance(inner, GraphQLList) else inner
            return (weight or 0.0) + sum(self.value_node(v, item, weight) for v in node.values)
        if isinstance(node, ObjectValueNode) and isinstance(inner, GraphQLInputObjectType):
            cost = 1.0 if weight is None else float(weight)
            for field in node.fields:
                definition = inner.fields.get(field.name.value)
                if definition is not None:
                    cost += self.value_node(
                        field.value, definition.type, self.input_weight(inner, field.name.value)
                    )
            return cost
        return float(weight or 0)

    def value(self, value: Any, type_: GraphQLInputType, weight: int | None) -> float:
        if value is None:
            return 0.0
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(value, list):
            item = inner.of_type if isinstance(inner, GraphQLList) else inner
            return (weight or 0.0) + sum(self.value(v, item, weight) for v in value)
        if isinstance(value, Mapping) and isinstance(inner, GraphQLInputObjectType):
            cost = 1.0 if weight is None else float(weight)
            for name, field_value in value.items():
                definition = _input_field(inner, name)
                if definition is not None:
                    cost += self.value(
                        field_value, definition[1].type, self.input_weight(inner, definition[0])
                    )
            return cost
        return float(weight or 0)

    def input_weight(self, input_type: GraphQLInputObjectType, field: str) -> int | None:
        definition = input_type.fields[field]
        return self.schema.input_field_weight(
            input_type.name, field, get_named_type(definition.type).name
        )


def _default(info: FieldCost, argument: str) -> Any:
    """An argument's default value (the schema keeps it as a literal when built from SDL)."""
    definition = info.definition.args.get(argument)
    if definition is None:
        return Undefined
    if definition.default_value is not Undefined:
        return definition.default_value
    node = definition.ast_node
    if node is None or node.default_value is None:
        return Undefined
    return value_from_ast(node.default_value, definition.type)


def _input_field(input_type: GraphQLInputObjectType, key: str) -> Any:
    """(schema name, field) of an input field by its schema name or its coerced out-name."""
    field = input_type.fields.get(key)
    if field is not None:
        return key, field
    for name, candidate in input_type.fields.items():
        if candidate.out_name == key:
            return name, candidate
    return None
