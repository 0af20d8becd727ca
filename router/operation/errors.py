"""Request-level errors: the operation cannot run at all (parse, validation, variables, limits).

They become a response without ``data`` and, like Apollo Router, an HTTP status of 400 unless
said otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphql import GraphQLError


def error_dict(
    message: str,
    code: str | None = None,
    *,
    path: Sequence[str | int] | None = None,
    locations: Sequence[Mapping[str, int]] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One GraphQL error as JSON-ready data (keys in the spec's order)."""
    error: dict[str, Any] = {"message": message}
    if locations:
        error["locations"] = [dict(loc) for loc in locations]
    if path is not None:
        error["path"] = list(path)
    ext: dict[str, Any] = dict(extensions) if extensions else {}
    if code is not None:
        ext["code"] = code
    if ext:
        error["extensions"] = ext
    return error


def graphql_error_dict(error: GraphQLError, code: str) -> dict[str, Any]:
    """A graphql-core error (parse/validation/coercion) with our ``extensions.code``."""
    locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]
    return error_dict(
        error.message, code, locations=locations, extensions=dict(error.extensions or {})
    )


class RequestError(Exception):
    """The request fails as a whole; ``errors`` are JSON-ready GraphQL errors."""

    def __init__(self, errors: Iterable[dict[str, Any]], status: int = 400) -> None:
        self.errors = list(errors)
        self.status = status
        super().__init__("; ".join(str(e.get("message")) for e in self.errors))

    @classmethod
    def single(
        cls,
        message: str,
        code: str,
        status: int = 400,
        extensions: Mapping[str, Any] | None = None,
    ) -> RequestError:
        return cls([error_dict(message, code, extensions=extensions)], status)
