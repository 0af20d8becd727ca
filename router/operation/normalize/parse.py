"""Pass 1: text → graphql-core document, parse errors as Apollo Router reports them.

Two parser limits bound the work before anything else runs: ``max_tokens`` (Apollo Router's
``parser_max_tokens``, 15 000 by default: the parse stops at the first token past it) and
nesting, which graphql-core caps at 200 levels of selection sets, lists and objects (Apollo
Router's ``parser_max_recursion``; deeper documents are a syntax error, never a stack
overflow). Both answer ``GRAPHQL_PARSE_FAILED``.
"""

from __future__ import annotations

from graphql import DocumentNode, GraphQLSyntaxError, parse

from ..errors import RequestError, graphql_error_dict

MAX_TOKENS = 15_000


def parse_operation_text(text: str, max_tokens: int | None = MAX_TOKENS) -> DocumentNode:
    """Parse a client document; `RequestError` (``GRAPHQL_PARSE_FAILED``) when it does not."""
    try:
        return parse(text, max_tokens=max_tokens, allow_empty_selection_sets=False)
    except GraphQLSyntaxError as error:
        raise RequestError([graphql_error_dict(error, "GRAPHQL_PARSE_FAILED")]) from error
