"""Build a service's Federation 2 schema with the kit's extensions and shared scalars."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, Final, Literal

import strawberry
from graphql import GraphQLError
from strawberry.extensions import QueryDepthLimiter, SchemaExtension
from strawberry.printer import print_schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from subgraphs.kit.cache import CacheControl, CacheHint
from subgraphs.kit.db import TransactionPerOperation
from subgraphs.kit.errors import ErrorPolicy, is_expected
from subgraphs.kit.hygiene import InputHygiene
from subgraphs.kit.logging import get_logger
from subgraphs.kit.scalars import SCALAR_MAP

FEDERATION_VERSION: Final[Literal["2.9"]] = "2.9"
"""2.9: ``@cost``/``@listSize`` (demand control) are available to the services."""
MAX_QUERY_DEPTH = 15

log = get_logger("polyshop.graphql")


class ServiceSchema(strawberry.federation.Schema):
    """Logs only unexpected errors, with their traceback; client mistakes are not faults."""

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        for error in errors:
            if is_expected(error):
                log.info("graphql error", message=error.message, path=error.path)
            else:
                log.error("unexpected error", path=error.path, exc_info=error.original_error)


def build_schema(
    *,
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
    constraint_messages: Mapping[str, str] | None = None,
    extensions: Iterable[type[SchemaExtension]] = (),
    max_depth: int = MAX_QUERY_DEPTH,
    cache_hints: Mapping[str, CacheHint] | None = None,
) -> ServiceSchema:
    """The schema with transaction handling, the error policy, input hygiene (no NUL
    characters, see `subgraphs.kit.hygiene`) and a depth limit.

    ``constraint_messages`` maps database constraint names to the messages a client sees
    when a write breaks them (the safety net behind ``service.py``'s validation).
    ``cache_hints`` say which answers the router may cache, how long and for whom
    (`subgraphs.kit.cache`); without them every answer is ``no-store``.
    """
    kit_extensions: list[Any] = [
        ErrorPolicy.with_messages(constraint_messages or {}),
        InputHygiene,
        TransactionPerOperation,
        partial(QueryDepthLimiter, max_depth=max_depth),
        CacheControl.with_hints(cache_hints or {}),
        *extensions,
    ]
    return ServiceSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=kit_extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        federation_version=FEDERATION_VERSION,
    )


def print_sdl(schema: strawberry.federation.Schema) -> str:
    """The subgraph SDL as committed in ``schema/<service>.graphql`` (trailing newline)."""
    return print_schema(schema).rstrip("\n") + "\n"
