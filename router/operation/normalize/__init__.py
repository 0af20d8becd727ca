"""Normalization: a client document → one operation as plain data the planner can walk.

``prepare(...)`` runs the variable-independent passes once per (document, operation name):
parse → validate → select the operation → inline fragments (conditions kept). ``expand(...)``
then gives the `SelectionSet` for one set of condition values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableDefinitionNode,
    print_ast,
)

from .expand import Expander, conditions_pass
from .inline import condition_variables, inline_selections
from .limits import Measures, OperationLimits, WorkBudget, check_limits, measure
from .model import (
    TYPENAME,
    Condition,
    Conditions,
    Field,
    RawField,
    RawFragment,
    RawSelection,
    SelectionSet,
)
from .operation import select_operation
from .parse import parse_operation_text
from .validate import validate_document
from .variables import coerce_variables

__all__ = [
    "TYPENAME",
    "Condition",
    "Conditions",
    "Field",
    "Measures",
    "NormalizedOperation",
    "OperationLimits",
    "RawField",
    "RawFragment",
    "RawSelection",
    "SelectionSet",
    "WorkBudget",
    "check_limits",
    "coerce_variables",
    "conditions_pass",
    "measure",
    "parse_operation_text",
    "prepare",
    "select_operation",
    "validate_document",
]


@dataclass(frozen=True, slots=True, eq=False)
class NormalizedOperation:
    """One validated operation with its fragments inlined and its conditions kept."""

    kind: str
    """``"query"``, ``"mutation"`` or ``"subscription"``."""
    name: str | None
    root_type: str
    document: DocumentNode
    definition: OperationDefinitionNode
    variable_definitions: tuple[VariableDefinitionNode, ...]
    printed_variables: Mapping[str, str]
    """Variable name → its definition as printed (``$first: Int = 5``), in declared order."""
    selections: tuple[RawSelection, ...]
    condition_variables: tuple[str, ...]
    """Variables whose value changes the selection (sorted)."""

    def condition_key(self, coerced: Mapping[str, Any]) -> tuple[bool, ...]:
        return tuple(bool(coerced.get(name)) for name in self.condition_variables)

    def expand(
        self,
        schema: GraphQLSchema,
        coerced: Mapping[str, Any],
        budget: WorkBudget | None = None,
    ) -> SelectionSet:
        """The selection for these condition values; `RequestError` once ``budget`` is spent."""
        return Expander(schema, coerced, budget).selection_set(self.root_type, self.selections)


def prepare(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> NormalizedOperation:
    """Validate ``document`` and normalize the chosen operation (`RequestError` if invalid)."""
    validate_document(schema, document)
    definition = select_operation(document, operation_name)
    kind = definition.operation.value
    root = schema.get_root_type(definition.operation)
    assert root is not None  # validation rejects operations on missing root types
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    selections = inline_selections(definition.selection_set, fragments)
    variables = tuple(definition.variable_definitions or ())
    return NormalizedOperation(
        kind=kind,
        name=definition.name.value if definition.name else None,
        root_type=root.name,
        document=document,
        definition=definition,
        variable_definitions=variables,
        printed_variables={v.variable.name.value: print_ast(v) for v in variables},
        selections=selections,
        condition_variables=tuple(sorted(condition_variables(selections))),
    )
