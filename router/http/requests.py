"""GraphQL-over-HTTP request parameters: from a GET query string or a POST JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import orjson

from router.engine import GraphQLRequest

from .errors import HttpError, invalid_request

NO_OPERATION = (
    "There was no GraphQL operation to execute. Use the `query` parameter to send an "
    "operation, using either GET or POST."
)


def from_query_string(query_string: bytes) -> GraphQLRequest:
    """The operation of a GET request (`query`, `operationName`, JSON `variables`/`extensions`)."""
    try:
        params = parse_qs(
            query_string.decode("utf-8"), keep_blank_values=True, strict_parsing=False
        )
    except UnicodeDecodeError as error:
        raise invalid_request(
            f"failed to decode a valid GraphQL request from path: {error}"
        ) from error
    if not params:
        raise invalid_request(NO_OPERATION)
    fields: dict[str, Any] = {name: values[0] for name, values in params.items()}
    for name in ("variables", "extensions"):
        text = fields.get(name)
        if text is not None and text != "":
            try:
                fields[name] = orjson.loads(text)
            except orjson.JSONDecodeError as error:
                raise invalid_request(
                    f"failed to decode a valid GraphQL request from path: `{name}` is not JSON: "
                    f"{error}"
                ) from error
        else:
            fields.pop(name, None)
    return to_request(fields)


def from_body(
    body: bytes, *, batching: bool, max_batch_size: int
) -> list[GraphQLRequest] | GraphQLRequest:
    """The operation (or, with batching on, the list of operations) of a POST body."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise invalid_request(
            f"failed to deserialize the request body into JSON: {error}"
        ) from error
    if isinstance(value, list):
        return _batch(value, batching=batching, max_batch_size=max_batch_size)
    return to_request(value)


def _batch(items: list[Any], *, batching: bool, max_batch_size: int) -> list[GraphQLRequest]:
    if not batching:
        raise invalid_request("batching not enabled", code="BATCHING_NOT_ENABLED")
    if not items:
        raise invalid_request("failed to decode a valid GraphQL request from path: empty array")
    if len(items) > max_batch_size:
        raise invalid_request(
            f"Batch limits exceeded: you provided a batch with {len(items)} entries, but the "
            f"configured maximum router batch size is {max_batch_size}",
            status=422,
            code="BATCH_LIMIT_EXCEEDED",
        )
    return [to_request(item) for item in items]


def to_request(value: Any) -> GraphQLRequest:
    """Check the shape of one request object (types per GraphQL-over-HTTP) and build it."""
    if not isinstance(value, Mapping):
        raise invalid_request("the request must be a JSON object")
    query = _optional(value, "query", str, "a string")
    operation_name = _optional(value, "operationName", str, "a string")
    variables = _optional(value, "variables", Mapping, "an object")
    extensions = _optional(value, "extensions", Mapping, "an object")
    return GraphQLRequest(
        query=query,
        operation_name=operation_name or None,
        variables=variables,
        extensions=extensions,
    )


def _optional(value: Mapping[str, Any], name: str, kind: type, described: str) -> Any:
    item = value.get(name)
    if item is None or isinstance(item, kind):
        return item
    raise invalid_request(f"the `{name}` field must be {described} or null")


__all__ = ["HttpError", "from_body", "from_query_string", "to_request"]
