"""Shared building blocks of every PolyShop subgraph.

A service needs: `ServiceSettings`/`get_settings` for configuration, `build_schema` for its
Federation 2 schema, `create_service_app` for the process (its long-lived parts plug in as
``resources=``, an async context manager factory given the `ServiceProcess`; `settings_only`
when the settings are all its resolvers need), `ServiceContext` in resolvers, the DataLoader
builders, the client error types, the `Money` scalar and cursor pagination. Events and their
typed contracts are in `subgraphs.kit.events`.
"""

from polyshop.runtime.principal import Principal
from subgraphs.kit.app import create_service_app
from subgraphs.kit.context import ServiceContext, ServiceProcess, settings_only
from subgraphs.kit.errors import BadUserInput, Conflict, NotFound, ServiceError
from subgraphs.kit.loaders import by_column, grouped_by_column, rows_by_key, rows_grouped_by
from subgraphs.kit.pagination import Connection, Edge, PageInfo, SortKey, paginate
from subgraphs.kit.scalars import Money
from subgraphs.kit.schema import build_schema, print_sdl
from subgraphs.kit.settings import ServiceSettings, get_settings

__all__ = [
    "BadUserInput",
    "Conflict",
    "Connection",
    "Edge",
    "Money",
    "NotFound",
    "PageInfo",
    "Principal",
    "ServiceContext",
    "ServiceError",
    "ServiceProcess",
    "ServiceSettings",
    "SortKey",
    "build_schema",
    "by_column",
    "create_service_app",
    "get_settings",
    "grouped_by_column",
    "paginate",
    "print_sdl",
    "rows_by_key",
    "rows_grouped_by",
    "settings_only",
]
