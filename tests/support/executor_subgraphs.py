"""Real GraphQL subgraphs for executor tests: graphql-core behind aiohttp on free ports.

Each subgraph is built from SDL (federation directives accepted and ignored) plus resolvers;
``_entities`` resolves representations through per-type functions. Requests are recorded so
tests can assert what the router sent. ``delay``, ``status`` and ``raw_body`` make a subgraph
slow or broken on purpose.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    graphql,
)

PRELUDE = """
scalar _Any
scalar FieldSet
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @external on FIELD_DEFINITION | OBJECT
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @shareable repeatable on FIELD_DEFINITION | OBJECT
"""

EntityResolver = Callable[[dict[str, Any]], Any]


@dataclass
class Recorded:
    query: str
    variables: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Subgraph:
    name: str
    sdl: str
    resolvers: Mapping[str, Mapping[str, Callable[..., Any]]] = field(default_factory=dict)
    entities: Mapping[str, EntityResolver] = field(default_factory=dict)
    delay: float = 0.0
    status: int | None = None
    raw_body: bytes | None = None
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _schema: GraphQLSchema | None = None

    def schema(self) -> GraphQLSchema:
        if self._schema is None:
            self._schema = self._build()
        return self._schema

    def _build(self) -> GraphQLSchema:
        entity_types = list(self.entities)
        extra = ""
        if entity_types:
            extra = (
                f"union _Entity = {' | '.join(entity_types)}\n"
                "extend type Query { _entities(representations: [_Any!]!): [_Entity]! }\n"
            )
        schema = build_schema(PRELUDE + self.sdl + "\n" + extra)
        for type_name, fields in self.resolvers.items():
            object_type = schema.get_type(type_name)
            assert isinstance(object_type, GraphQLObjectType), type_name
            for field_name, resolver in fields.items():
                object_type.fields[field_name].resolve = _wrap(resolver)
        if entity_types:
            query = schema.query_type
            assert query is not None
            query.fields["_entities"].resolve = self._resolve_entities
            union = schema.get_type("_Entity")
            assert isinstance(union, GraphQLUnionType)
            union.resolve_type = lambda value, *_: value["__typename"]
        for named in schema.type_map.values():
            if hasattr(named, "resolve_type") and named.resolve_type is None:
                named.resolve_type = lambda value, *_: value["__typename"]  # type: ignore[union-attr]
        return schema

    async def _resolve_entities(
        self, _root: Any, _info: Any, representations: list[dict[str, Any]]
    ) -> list[Any]:
        results: list[Any] = []
        for rep in representations:
            try:
                found = self.entities[rep["__typename"]](rep)
                if inspect.isawaitable(found):
                    found = await found
            except Exception as error:  # graphql-core reports it at `_entities.<index>`
                results.append(error)
                continue
            if isinstance(found, dict):
                found = {"__typename": rep["__typename"], **found}
            results.append(found)
        return results

    async def handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        self.requests.append(
            Recorded(
                body["query"],
                body.get("variables") or {},
                {k.lower(): v for k, v in request.headers.items()},
            )
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.raw_body is not None:
            return web.Response(body=self.raw_body, status=self.status or 200)
        result = await graphql(self.schema(), body["query"], variable_values=body.get("variables"))
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        return web.Response(
            body=orjson.dumps(payload),
            status=self.status or 200,
            content_type="application/json",
        )

    @property
    def entity_requests(self) -> list[Recorded]:
        return [r for r in self.requests if "_entities" in r.query]


def _wrap(resolver: Callable[..., Any]) -> Callable[..., Any]:
    def resolve(parent: Any, info: Any, **kwargs: Any) -> Any:
        return resolver(parent, **kwargs)

    return resolve


class Cluster:
    """Serves subgraphs on free localhost ports for the duration of an ``async with``."""

    def __init__(self, *subgraphs: Subgraph) -> None:
        self.subgraphs = {s.name: s for s in subgraphs}
        self._runners: list[web.AppRunner] = []

    async def __aenter__(self) -> Cluster:
        for subgraph in self.subgraphs.values():
            app = web.Application()
            app.router.add_post("/graphql", subgraph.handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            subgraph.url = f"http://127.0.0.1:{port}/graphql"
            self._runners.append(runner)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for runner in self._runners:
            await runner.cleanup()

    @property
    def urls(self) -> dict[str, str]:
        return {name: s.url for name, s in self.subgraphs.items()}

    def __getitem__(self, name: str) -> Subgraph:
        return self.subgraphs[name]
