"""Pass 1: text → graphql-core document, parse errors as Apollo Router reports them.

Two parser limits bound the work before anything else runs: ``max_tokens`` (Apollo Router's
``parser_max_tokens``, 15 000 by default: the parse stops at the first token past it) and
nesting, which graphql-core caps at 200 levels of selection sets, lists and objects (Apollo
Router's ``parser_max_recursion``; deeper documents are a syntax error, never a stack
overflow). A lower ``max_recursion`` is checked on the parsed document (one walk, only when
configured below graphql-core's cap). Both answer ``GRAPHQL_PARSE_FAILED``.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    GraphQLSyntaxError,
    ListValueNode,
    Node,
    ObjectValueNode,
    SelectionSetNode,
    parse,
)

from ..errors import RequestError, graphql_error_dict

MAX_TOKENS = 15_000
NESTING_CAP = 200
"""graphql-core's own limit on nesting."""


def parse_operation_text(
    text: str, max_tokens: int | None = MAX_TOKENS, max_recursion: int = NESTING_CAP
) -> DocumentNode:
    """Parse a client document; `RequestError` (``GRAPHQL_PARSE_FAILED``) when it does not."""
    try:
        document = parse(text, max_tokens=max_tokens, allow_empty_selection_sets=False)
    except GraphQLSyntaxError as error:
        raise RequestError([graphql_error_dict(error, "GRAPHQL_PARSE_FAILED")]) from error
    if max_recursion < NESTING_CAP and nesting(document) > max_recursion:
        raise RequestError.single(
            "Syntax Error: Document is nested too deeply. Parsing aborted.", "GRAPHQL_PARSE_FAILED"
        )
    return document


def nesting(document: DocumentNode) -> int:
    """The deepest nesting of selection sets, lists and objects in ``document`` (as
    graphql-core counts it while parsing)."""
    deepest = 0
    stack: list[tuple[Node, int]] = [(document, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, SelectionSetNode | ListValueNode | ObjectValueNode):
            level += 1
            deepest = max(deepest, level)
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append((value, level))
            elif isinstance(value, tuple | list):
                stack.extend((item, level) for item in value if isinstance(item, Node))
    return deepest
