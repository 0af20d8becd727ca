"""Pass 2: validate a document against the API schema (the spec's rules, graphql-core)."""

from __future__ import annotations

from graphql import DocumentNode, GraphQLSchema, validate

from ..errors import RequestError, graphql_error_dict

MAX_VALIDATION_ERRORS = 100


def validate_document(schema: GraphQLSchema, document: DocumentNode) -> None:
    """`RequestError` (``GRAPHQL_VALIDATION_FAILED``) listing every problem, if any."""
    errors = validate(
        schema,
        document,
        max_errors=MAX_VALIDATION_ERRORS,
        allow_empty_selection_sets=False,
    )
    if errors:
        raise RequestError([graphql_error_dict(e, "GRAPHQL_VALIDATION_FAILED") for e in errors])
