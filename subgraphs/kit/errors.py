"""Errors a client may see, and the policy that turns every exception into one of them.

Resolvers raise `BadUserInput`, `NotFound` or `Conflict`; their message reaches the client
with ``extensions.code``. Anything else is a bug: the client gets ``INTERNAL_SERVER_ERROR`` and
a generic message, while the log gets the traceback. Dev mode adds only the exception's type
and the trace id (or the correlation id) that finds the log line: no mode ever returns an
exception's text, which for a database error holds SQL and bound parameters. Database
errors that a validation in ``service.py`` should have caught (CHECK/UNIQUE/FK violations,
values out of range) become ``BAD_USER_INPUT`` as a safety net.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from graphql import GraphQLError, GraphQLSyntaxError
from opentelemetry import trace
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError as SQLAlchemyInterfaceError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from sqlalchemy.orm.exc import StaleDataError
from strawberry.extensions import SchemaExtension

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
CONFLICT = "CONFLICT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"

INTERNAL_MESSAGE = "Internal server error"


class ServiceError(Exception):
    """An error meant for the client: its message is shown as is."""

    code: ClassVar[str] = INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        """Read by graphql-core when it wraps this exception in a `GraphQLError`."""
        return {"code": self.code, **self.details}


class BadUserInput(ServiceError):
    """The request cannot succeed as sent (validation failed); nothing was written."""

    code = BAD_USER_INPUT


class NotFound(ServiceError):
    code = NOT_FOUND


class Conflict(ServiceError):
    """The row moved since the client read it (optimistic concurrency)."""

    code = CONFLICT


# SQLSTATE classes: 22 = data exception (overflow, too long), 23 = integrity violation.
_SQLSTATE_MESSAGES = {
    "23505": "A record with this value already exists",
    "23503": "The input refers to a record that does not exist or is still in use",
    "23514": "The input breaks a data rule",
    "23001": "The record is still in use",
    "23502": "A required value is missing",
    "22001": "A text value is too long",
    "22003": "A number is out of range",
    "22007": "A date or time value is invalid",
    "22008": "A date or time value is out of range",
    "22P02": "A value has an invalid format",
    "22021": "A text value contains a character that cannot be stored",
    "54000": "A value is too large",
}


def driver_errors(exc: BaseException) -> Iterator[BaseException]:
    """The DBAPI error under SQLAlchemy's wrapper, then the asyncpg error it adapts."""
    seen: BaseException | None = getattr(exc, "orig", None)
    while seen is not None:
        yield seen
        seen = seen.__cause__


def sqlstate_of(exc: BaseException) -> str | None:
    for error in driver_errors(exc):
        state = getattr(error, "sqlstate", None)
        if state:
            return str(state)
    return None


def constraint_of(exc: BaseException) -> str | None:
    for error in driver_errors(exc):
        name = getattr(error, "constraint_name", None)
        if name:
            return str(name)
    return None


def map_database_error(
    exc: BaseException, constraint_messages: Mapping[str, str] | None = None
) -> ServiceError | None:
    """A client error for a database error caused by bad input, or None for a real fault."""
    if isinstance(exc, StaleDataError):
        return Conflict("The record was changed by someone else; reload it and try again")
    if not isinstance(exc, DBAPIError):
        return None
    state = sqlstate_of(exc)
    if state is None and _is_argument_error(exc):
        return BadUserInput("A value is out of range or has an invalid format")
    # Integrity violations, and the data errors that come from input (too long, out of
    # range, malformed); other data errors (division by zero, ...) are our bugs.
    if state is None or not (state.startswith("23") or state in _SQLSTATE_MESSAGES):
        return None
    constraint = constraint_of(exc)
    messages = constraint_messages or {}
    if constraint and constraint in messages:
        return BadUserInput(messages[constraint], constraint=constraint)
    generic = _SQLSTATE_MESSAGES.get(state, "The input is not valid")
    if constraint:
        return BadUserInput(f"{generic} ({constraint})", constraint=constraint)
    return BadUserInput(generic)


def _is_argument_error(exc: BaseException) -> bool:
    """asyncpg refused to encode a bound value (a number beyond its type, say) before
    sending anything: the value came from the request."""
    return any(
        type(error).__name__ == "DataError" and "invalid input for query argument" in str(error)
        for error in driver_errors(exc)
    )


def _trace_reference(context: Any) -> dict[str, str]:
    """The ids that find an error's log line: the trace's when a span records, else the
    request's correlation id."""
    reference: dict[str, str] = {}
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        reference["traceId"] = format(span_context.trace_id, "032x")
    correlation_id = getattr(context, "correlation_id", None)
    if isinstance(correlation_id, str):
        reference["correlationId"] = correlation_id
    return reference


# SQLSTATE: class 08 connection exception; 57P01-57P03 the server is shutting down, crashed or
# not yet accepting connections; 53300 too many connections.
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "53300")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or went away (a restart, a
    network cut, a full pool), not that the work itself is wrong: retrying later may succeed.
    Event consumers retry such failures for as long as they last instead of counting them
    towards dead-lettering."""
    if isinstance(exc, SQLAlchemyTimeout | OSError | TimeoutError):
        return True  # pool checkout timeout, refused or reset connections
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, SQLAlchemyInterfaceError):
        return True
    state = sqlstate_of(exc)
    if state is not None and (state.startswith("08") or state in _UNAVAILABLE_STATES):
        return True
    return any(
        isinstance(error, OSError)
        or type(error).__name__
        in {"ConnectionDoesNotExistError", "CannotConnectNowError", "InterfaceError"}
        for error in driver_errors(exc)
    )


def is_expected(error: GraphQLError) -> bool:
    """Whether an error is the client's doing (not worth a traceback in the log)."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | ServiceError):
        return True
    return map_database_error(original) is not None


class ErrorPolicy(SchemaExtension):
    """Gives every error an ``extensions.code`` and hides internals outside dev mode.

    Dev mode is read from the operation's context (``context.dev_mode``) so that one schema
    object serves both modes. Parse and validation errors get Apollo's codes.
    """

    constraint_messages: ClassVar[Mapping[str, str]] = {}

    def __init__(self) -> None:
        self._validation_errors: set[int] = set()

    @classmethod
    def with_messages(cls, messages: Mapping[str, str]) -> type[ErrorPolicy]:
        """A policy that knows friendly messages for a service's named constraints."""
        return type("ServiceErrorPolicy", (cls,), {"constraint_messages": dict(messages)})

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            self._validation_errors.add(id(error))

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            dev_mode = bool(getattr(self.execution_context.context, "dev_mode", False))
            result.errors = [self.format(error, dev_mode=dev_mode) for error in errors]

    def format(self, error: GraphQLError, *, dev_mode: bool) -> GraphQLError:
        original = error.original_error
        if isinstance(error, GraphQLSyntaxError):
            extra = dict(error.extensions or {})
            return _with(error, error.message, {**extra, "code": GRAPHQL_PARSE_FAILED})
        if original is None or (error.path is None and not isinstance(original, ServiceError)):
            # A request error (parse/validate/variable coercion) or one made by graphql-core:
            # its message describes the request, never our internals.
            if "code" in (error.extensions or {}):
                return error
            code = (
                GRAPHQL_VALIDATION_FAILED
                if id(error) in self._validation_errors
                else BAD_USER_INPUT  # variable coercion failed during execution
            )
            return _with(error, error.message, {**(error.extensions or {}), "code": code})
        if isinstance(original, ServiceError):
            return _with(error, original.message, original.extensions)
        if isinstance(original, GraphQLError):
            inner = self.format(original, dev_mode=dev_mode)
            return _with(error, inner.message, dict(inner.extensions or {}))
        mapped = map_database_error(original, self.constraint_messages)
        if mapped is not None:
            return _with(error, mapped.message, mapped.extensions)
        extensions: dict[str, Any] = {"code": INTERNAL_SERVER_ERROR}
        if dev_mode:
            # Never the exception's text or traceback: a database error's text carries the
            # SQL and its bound parameters (a password hash on register). The type and the
            # trace say where to look in the log, which has the rest.
            extensions["exception"] = {"type": type(original).__name__}
            extensions.update(_trace_reference(self.execution_context.context))
        return _with(error, INTERNAL_MESSAGE, extensions, keep_original=False)


def _with(
    error: GraphQLError,
    message: str,
    extensions: dict[str, Any],
    *,
    keep_original: bool = True,
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error if keep_original else None,
        extensions=extensions,
    )
