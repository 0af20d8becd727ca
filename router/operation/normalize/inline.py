"""Pass 5: fragment spreads inlined, ``@skip``/``@include`` turned into `Condition`s, and
``@defer`` kept on its fragment as a `DeferDirective` (``if: false`` inlined; ``if: $var``
makes ``var`` a condition variable: the plan differs with it).

The result depends on the document only (not on variable values), so it is computed once per
prepared operation. A condition whose ``if`` is a literal is decided here: an always-false
selection is dropped, an always-true condition disappears.

Each named fragment is inlined once: every spread of it shares the same ``selections`` tuple,
so the raw tree is a DAG whose size is linear in the document (18 fragments each spreading the
next twice is 2^18 selections as a tree, 37 nodes here). Later passes rely on that sharing:
they recognise a fragment's selections by identity and visit them once per position, as the
spec's CollectFields does with ``visitedFragments``.
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
    StringValueNode,
    VariableNode,
)

from .model import Condition, Conditions, DeferDirective, RawField, RawFragment, RawSelection


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


def defer_of(directives: tuple[DirectiveNode, ...] | None) -> DeferDirective | None:
    """The fragment's ``@defer``, or None when it has none or ``if: false`` (inlined).

    Validation has checked the label is a static string, unique in the document."""
    for directive in directives or ():
        if directive.name.value != "defer":
            continue
        label: str | None = None
        condition: str | None = None
        for argument in directive.arguments or ():
            value = argument.value
            if argument.name.value == "label" and isinstance(value, StringValueNode):
                label = value.value
            elif argument.name.value == "if":
                if isinstance(value, BooleanValueNode) and not value.value:
                    return None
                if isinstance(value, VariableNode):
                    condition = value.name.value
        return DeferDirective(label, condition)
    return None


def inline_selections(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    inlined: dict[str, tuple[RawSelection, ...]] | None = None,
) -> tuple[RawSelection, ...]:
    """The raw tree of one selection set (validation has ruled out fragment cycles).

    ``inlined`` memoizes each fragment's selections by name (one per document)."""
    if inlined is None:
        inlined = {}
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
                    selections=inline_selections(selection.selection_set, fragments, inlined),
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
                    selections=inline_selections(selection.selection_set, fragments, inlined),
                    defer=defer_of(selection.directives),
                )
            )
        elif isinstance(selection, FragmentSpreadNode):
            conditions = conditions_of(selection.directives)
            if isinstance(conditions, Never):
                continue
            name = selection.name.value
            definition = fragments[name]
            shared = inlined.get(name)
            if shared is None:
                shared = inline_selections(definition.selection_set, fragments, inlined)
                inlined[name] = shared
            result.append(
                RawFragment(
                    type_condition=definition.type_condition.name.value,
                    conditions=conditions,
                    selections=shared,
                    defer=defer_of(selection.directives),
                )
            )
    return tuple(result)


def condition_variables(selections: tuple[RawSelection, ...]) -> frozenset[str]:
    """Every variable some condition in the tree depends on (part of the plan-cache key).

    Shared fragment selections are visited once."""
    found: set[str] = set()
    seen: set[int] = set()
    stack = [selections]
    while stack:
        group = stack.pop()
        if id(group) in seen:
            continue
        seen.add(id(group))
        for selection in group:
            found.update(c.variable for c in selection.conditions)
            defer = getattr(selection, "defer", None)
            if defer is not None and defer.condition is not None:
                found.add(defer.condition)
            stack.append(selection.selections)
    return frozenset(found)
