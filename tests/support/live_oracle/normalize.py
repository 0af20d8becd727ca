"""Supergraph SDL -> canonical text, so two composers' outputs compare by meaning, not layout.

Composers print the same supergraph in different orders and line breaks; after parsing, every
list whose order carries no meaning (definitions, fields, arguments, directives, enum values,
union members, interfaces, locations) is sorted by its printed form and the document printed
again. List *values* (``[["a"], ["b"]]``) keep their order: that order is data.

Three spellings of one fact are also made one (they hold for both composers, in every case):

* field sets (``key:``, ``requires:``, ``provides:``) are reprinted from their parse:
  Apollo prints ``"dimensions { width depth }"``, theguild keeps the subgraph's text
  (``"dimensions{width depth}"`` in scenario 08_requires_nested);
* ``@join__type`` arguments at their declared default (``resolvable: true``, ...) are dropped:
  Apollo keeps an explicit ``resolvable: true`` (case ``resolvable_false``), theguild drops it;
* ``@join__directive`` and ``join__DirectiveArguments`` (join v0.4+) are dropped when nothing
  applies ``@join__directive``: Apollo always declares them, theguild only when used.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from graphql import Visitor, parse, print_ast, visit
from graphql.language import ast

_FIELD_SET_ARGUMENTS = {"key", "requires", "provides"}
_JOIN_TYPE_DEFAULTS = {"extension": "false", "resolvable": "true", "isInterfaceObject": "false"}
_JOIN_DIRECTIVE_MACHINERY = {"join__directive", "join__DirectiveArguments"}


def normalize_supergraph(sdl: str) -> str:
    """Canonical print of a supergraph: same meaning gives the same text."""
    document = parse(sdl, no_location=True)
    definitions = [_canonical(d) for d in document.definitions]
    if not _applies_join_directive(document):
        definitions = [d for d in definitions if _name(d) not in _JOIN_DIRECTIVE_MACHINERY]
    definitions.sort(key=_definition_key)
    return print_ast(ast.DocumentNode(definitions=tuple(definitions)))


def _applies_join_directive(document: ast.DocumentNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_directive(self, node: ast.DirectiveNode, *_: Any) -> None:
            nonlocal found
            found = found or node.name.value == "join__directive"

    visit(document, Finder())
    return found


def _name(node: ast.Node) -> str | None:
    name = getattr(node, "name", None)
    return name.value if isinstance(name, ast.NameNode) else None


def _definition_key(node: ast.Node) -> tuple[int, str]:
    if isinstance(node, ast.SchemaDefinitionNode | ast.SchemaExtensionNode):
        return (0, "")
    rank = 1 if isinstance(node, ast.DirectiveDefinitionNode) else 2
    return (rank, _name(node) or print_ast(node))


def _canonical(node: Any) -> Any:
    if isinstance(node, ast.StringValueNode):
        # Block or quoted string is a printing choice; the value is what counts.
        return ast.StringValueNode(value=node.value, block=False)
    if isinstance(node, ast.DirectiveNode) and node.name.value.startswith("join__"):
        node = _canonical_join(node)
    if not isinstance(node, ast.Node):
        return node
    changes: dict[str, Any] = {}
    for key in node.keys:
        if key == "loc":
            continue
        value = getattr(node, key)
        if isinstance(value, tuple):
            items = [_canonical(item) for item in value]
            if not isinstance(node, ast.ListValueNode):
                items.sort(key=_sort_key)
            changes[key] = tuple(items)
        elif isinstance(value, ast.Node):
            changes[key] = _canonical(value)
    return dataclasses.replace(node, **changes) if changes else node


def _canonical_join(directive: ast.DirectiveNode) -> ast.DirectiveNode:
    arguments = []
    for argument in directive.arguments or ():
        name, value = argument.name.value, argument.value
        if directive.name.value == "join__type" and _JOIN_TYPE_DEFAULTS.get(name) == print_ast(
            value
        ):
            continue
        if name in _FIELD_SET_ARGUMENTS and isinstance(value, ast.StringValueNode):
            argument = dataclasses.replace(
                argument, value=ast.StringValueNode(value=_field_set(value.value), block=False)
            )
        arguments.append(argument)
    return dataclasses.replace(directive, arguments=tuple(arguments))


def _field_set(selection: str) -> str:
    """One spelling per field set: parsed as a selection set and printed on one line."""
    operation = parse("{" + selection + "}", no_location=True).definitions[0]
    assert isinstance(operation, ast.OperationDefinitionNode)
    return " ".join(print_ast(operation.selection_set).split())[2:-2]


def _sort_key(item: Any) -> str:
    return print_ast(item) if isinstance(item, ast.Node) else str(item)
