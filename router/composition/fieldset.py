"""Field sets (the ``fields`` of ``@key``, ``@requires`` and ``@provides``).

They are GraphQL selection sets without braces, read against one subgraph's types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
)

from router.composition.model import Field, Subgraph

COMPOSITE_KINDS = frozenset({"OBJECT", "INTERFACE", "UNION"})


@lru_cache(maxsize=4096)
def parse_fieldset(text: str) -> SelectionSetNode:
    """Parse ``"id sku { x }"``; raises `GraphQLSyntaxError`. Cached: callers must not mutate
    the returned nodes."""
    document = parse("{" + text + "}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def normalized(text: str) -> str:
    """A canonical text for comparing field sets (whitespace and order of fields ignored)."""
    try:
        selection = parse_fieldset(text)
    except GraphQLSyntaxError:
        return text
    return _canonical(selection)


def _canonical(selection: SelectionSetNode) -> str:
    parts: list[str] = []
    for node in selection.selections:
        if isinstance(node, FieldNode):
            part = node.name.value
            if node.selection_set is not None:
                part += " { " + _canonical(node.selection_set) + " }"
            parts.append(part)
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else ""
            parts.append(f"... on {condition} {{ {_canonical(node.selection_set)} }}")
    return " ".join(sorted(parts))


@dataclass(slots=True)
class FieldSetError(Exception):
    code_suffix: str
    """``INVALID_FIELDS``, ``FIELDS_HAS_ARGS``, ... (prefixed by the directive name)."""
    message: str


def collect_fields(
    subgraph: Subgraph,
    parent: str,
    text: str,
    *,
    include_implementations: bool = True,
) -> list[Field]:
    """Every field a field set selects (leniently: unknown parts are ignored)."""
    try:
        selection = parse_fieldset(text)
    except GraphQLSyntaxError:
        return []
    found: list[Field] = []
    _collect(subgraph, parent, selection, include_implementations, found)
    return found


def _collect(
    subgraph: Subgraph,
    parent: str,
    selection: SelectionSetNode,
    include_implementations: bool,
    found: list[Field],
) -> None:
    parent_def = subgraph.types.get(parent)
    if parent_def is None:
        return
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else parent
            _collect(subgraph, condition, node.selection_set, include_implementations, found)
            continue
        if not isinstance(node, FieldNode):
            continue
        field = parent_def.fields.get(node.name.value)
        if field is None:
            continue
        found.append(field)
        if include_implementations and parent_def.kind == "INTERFACE":
            for implementation in subgraph.implementations(parent):
                implementation_field = subgraph.field(implementation, field.name)
                if implementation_field is not None:
                    found.append(implementation_field)
        if node.selection_set is not None:
            _collect(subgraph, field.type.named, node.selection_set, include_implementations, found)


def check_fieldset(
    subgraph: Subgraph,
    parent: str,
    text: str,
    *,
    on_field: Callable[[Field], None] | None = None,
) -> SelectionSetNode:
    """Parse and check a field set against ``subgraph``; raises `FieldSetError`."""
    try:
        selection = parse_fieldset(text)
    except GraphQLSyntaxError as exc:
        raise FieldSetError("INVALID_FIELDS", exc.message) from None
    _check(subgraph, parent, selection, on_field)
    return selection


def _check(
    subgraph: Subgraph,
    parent: str,
    selection: SelectionSetNode,
    on_field: Callable[[Field], None] | None,
) -> None:
    parent_def = subgraph.types.get(parent)
    assert parent_def is not None
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            if node.directives:
                raise FieldSetError(
                    "DIRECTIVE_IN_FIELDS_ARG",
                    "cannot have directive applications in the fields argument",
                )
            condition = node.type_condition.name.value if node.type_condition else parent
            condition_def = subgraph.types.get(condition)
            if condition_def is None:
                raise FieldSetError("INVALID_FIELDS", f'Unknown type "{condition}"')
            if condition_def.kind not in COMPOSITE_KINDS or not _can_spread(
                subgraph, parent, condition
            ):
                raise FieldSetError(
                    "INVALID_FIELDS",
                    f'Fragment cannot be spread here as objects of type "{parent}" can never be '
                    f'of type "{condition}".',
                )
            _check(subgraph, condition, node.selection_set, on_field)
            continue
        if not isinstance(node, FieldNode):
            raise FieldSetError("INVALID_FIELDS", "named fragments are not allowed")
        if node.directives:
            directives = ", ".join(print_ast(d) for d in node.directives)
            raise FieldSetError(
                "DIRECTIVE_IN_FIELDS_ARG",
                "cannot have directive applications in the fields argument but found "
                f"{directives}.",
            )
        if node.alias is not None:
            raise FieldSetError(
                "INVALID_FIELDS", f'Cannot use alias "{node.alias.value}" in "{print_ast(node)}"'
            )
        name = node.name.value
        if name == "__typename":
            continue
        if parent_def.kind == "UNION":
            raise FieldSetError(
                "INVALID_FIELDS", f'Cannot query field "{name}" on type "{parent}".'
            )
        field = parent_def.fields.get(name)
        if field is None:
            raise FieldSetError(
                "INVALID_FIELDS",
                f'Cannot query field "{name}" on type "{parent}" (the field should either be added '
                "to this subgraph or, if it should not be resolved by this subgraph, you need to "
                "add it to this subgraph with @external).",
            )
        if on_field is not None:
            on_field(field)
        child = subgraph.types.get(field.type.named)
        is_composite = child is not None and child.kind in COMPOSITE_KINDS
        if node.selection_set is None and is_composite:
            raise FieldSetError(
                "INVALID_FIELDS",
                f'Field "{name}" of type "{field.type}" must have a selection of subfields. '
                f'Did you mean "{name} {{ ... }}"?',
            )
        if node.selection_set is not None:
            if not is_composite:
                raise FieldSetError(
                    "INVALID_FIELDS",
                    f'Field "{name}" must not have a selection since type "{field.type}" has no '
                    "subfields.",
                )
            _check(subgraph, field.type.named, node.selection_set, on_field)


def _can_spread(subgraph: Subgraph, parent: str, condition: str) -> bool:
    parent_types = set(subgraph.possible_types(parent))
    condition_types = set(subgraph.possible_types(condition))
    return bool(parent_types & condition_types) or parent == condition
