"""Pass 5: fragment spreads inlined, ``@skip``/``@include`` turned into `Condition`s.

The result depends on the document only (not on variable values), so it is computed once per
prepared operation. A condition whose ``if`` is a literal is decided here: an always-false
selection is dropped, an always-true condition disappears.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)

from .model import Condition, Conditions, RawField, RawFragment, RawSelection


class Never:
    """Marks a selection that a literal ``@skip(if: true)``/``@include(if: false)`` removes."""


NEVER = Never()


def conditions_of(directives: tuple[DirectiveNode, ...] | None) -> Conditions | Never:
    found: list[Condition] = []
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        include = name == "include"
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            value = argument.value
            if isinstance(value, BooleanValueNode):
                if value.value != include:
                    return NEVER
            elif isinstance(value, VariableNode):
                found.append(Condition(value.name.value, include))
    return tuple(found)


def inline_selections(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> tuple[RawSelection, ...]:
    """The raw tree of one selection set (validation has ruled out fragment cycles)."""
    if selection_set is None:
        return ()
    result: list[RawSelection] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            conditions = conditions_of(selection.directives)
            if isinstance(conditions, Never):
                continue
            name = selection.name.value
            result.append(
                RawField(
                    response_key=selection.alias.value if selection.alias else name,
                    name=name,
                    node=selection,
                    conditions=conditions,
                    selections=inline_selections(selection.selection_set, fragments),
                )
            )
        elif isinstance(selection, InlineFragmentNode):
            conditions = conditions_of(selection.directives)
            if isinstance(conditions, Never):
                continue
            result.append(
                RawFragment(
                    type_condition=(
                        selection.type_condition.name.value if selection.type_condition else None
                    ),
                    conditions=conditions,
                    selections=inline_selections(selection.selection_set, fragments),
                )
            )
        elif isinstance(selection, FragmentSpreadNode):
            conditions = conditions_of(selection.directives)
            if isinstance(conditions, Never):
                continue
            definition = fragments[selection.name.value]
            result.append(
                RawFragment(
                    type_condition=definition.type_condition.name.value,
                    conditions=conditions,
                    selections=inline_selections(definition.selection_set, fragments),
                )
            )
    return tuple(result)


def condition_variables(selections: tuple[RawSelection, ...]) -> frozenset[str]:
    """Every variable some condition in the tree depends on (part of the plan-cache key)."""
    found: set[str] = set()
    stack = list(selections)
    while stack:
        selection = stack.pop()
        found.update(c.variable for c in selection.conditions)
        stack.extend(selection.selections)
    return frozenset(found)
