"""Pass 1: text → graphql-core document, parse errors as Apollo Router reports them."""

from __future__ import annotations

from graphql import DocumentNode, GraphQLSyntaxError, parse

from ..errors import RequestError, graphql_error_dict

MAX_TOKENS = 15_000


def parse_operation_text(text: str) -> DocumentNode:
    """Parse a client document; `RequestError` (``GRAPHQL_PARSE_FAILED``) when it does not."""
    try:
        return parse(text, max_tokens=MAX_TOKENS, allow_empty_selection_sets=False)
    except GraphQLSyntaxError as error:
        raise RequestError([graphql_error_dict(error, "GRAPHQL_PARSE_FAILED")]) from error
