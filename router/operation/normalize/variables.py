"""Pass 4: coerce the request's variables against the operation's definitions.

Errors carry ``VALIDATION_INVALID_TYPE_VARIABLE`` like Apollo Router (HTTP 400).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLError, GraphQLSchema, VariableDefinitionNode
from graphql.execution.values import get_variable_values

from ..errors import RequestError, graphql_error_dict

MAX_VARIABLE_ERRORS = 50


def coerce_variables(
    schema: GraphQLSchema,
    definitions: Sequence[VariableDefinitionNode],
    values: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Coerced values, defaults applied; `RequestError` when the values do not fit."""
    if not definitions:
        return {}
    if values is not None and not isinstance(values, Mapping):
        raise RequestError.single(
            "Variables must be provided as a JSON object.", "VALIDATION_INVALID_TYPE_VARIABLE"
        )
    result = get_variable_values(
        schema, definitions, dict(values or {}), max_errors=MAX_VARIABLE_ERRORS
    )
    if isinstance(result, list):
        raise RequestError([_variable_error(e) for e in result])
    return result.coerced


def _variable_error(error: GraphQLError) -> dict[str, Any]:
    payload = graphql_error_dict(error, "VALIDATION_INVALID_TYPE_VARIABLE")
    name = _variable_name(error.message)
    if name is not None:
        payload.setdefault("extensions", {})["name"] = name
    return payload


def _variable_name(message: str) -> str | None:
    for quote in ('"', "'"):
        prefix = f"Variable {quote}$"
        if message.startswith(prefix):
            end = message.find(quote, len(prefix))
            if end > len(prefix):
                return message[len(prefix) : end]
    return None
