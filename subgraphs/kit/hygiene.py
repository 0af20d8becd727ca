"""Input hygiene at the edge of every service: text PostgreSQL cannot store is refused before
any resolver runs.

PostgreSQL's ``text`` cannot hold a NUL character; a string carrying one used to reach the
driver and come back as ``INTERNAL_SERVER_ERROR``. `InputHygiene` looks at every string the
operation brings, in the document's literals (``"\\u0000"`` is a valid GraphQL escape) and in
the variables (entity representations included, since the router sends them as variables), and
answers ``BAD_USER_INPUT`` naming where the first NUL was found. Numbers need no such pass:
``Int`` is 32-bit by the GraphQL spec, ids are checked by `subgraphs.kit.ids` and amounts by
the ``Money`` scalar's bounds (`subgraphs.kit.scalars`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from subgraphs.kit.errors import BAD_USER_INPUT

NUL = "\x00"
MAX_NESTING = 64
"""Variables nested deeper than this are not walked further (graphql-core refuses them)."""


def nul_in_value(value: Any, where: str, depth: int = 0) -> str | None:
    """The path (``$input.items[2].name``) of the first string holding a NUL, or None."""
    if depth > MAX_NESTING:
        return None
    if isinstance(value, str):
        return where if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return f"{where}.<key>"
            found = nul_in_value(item, f"{where}.{key}", depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_in_value(item, f"{where}[{index}]", depth + 1)
            if found is not None:
                return found
    return None


class _NulLiteral(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> Any:
        if NUL in node.value:
            self.found = node
            return Visitor.BREAK
        return None


def nul_in_document(document: DocumentNode) -> StringValueNode | None:
    """The first string literal of ``document`` that holds a NUL, or None."""
    visitor = _NulLiteral()
    visit(document, visitor)
    return visitor.found


class InputHygiene(SchemaExtension):
    """Refuses an operation whose strings hold NUL characters (see the module docstring)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        error = self._check()
        if error is not None:
            # Set before validation runs: strawberry then skips it and executes nothing.
            context.pre_execution_errors = [error]
        yield

    def _check(self) -> GraphQLError | None:
        context = self.execution_context
        document = context.graphql_document
        literal = nul_in_document(document) if document is not None else None
        if literal is not None:
            return GraphQLError(
                "A string in the query contains a NUL character (\\u0000), which is not allowed",
                nodes=[literal],
                extensions={"code": BAD_USER_INPUT},
            )
        where = nul_in_value(context.variables or {}, "$")
        if where is not None:
            variable = where.removeprefix("$.")
            return GraphQLError(
                f"Variable ${variable} contains a NUL character (\\u0000), which is not allowed",
                extensions={"code": BAD_USER_INPUT, "variable": variable},
            )
        return None
