"""A small real federated subgraph (aiohttp + graphql-core) for the router's HTTP tests.

It serves one of the SDLs in ``data/`` (products or reviews), answers ``_entities`` and
``_service``, and records every request it receives (headers included) so tests can check what
the router propagated.
"""

from __future__ import annotations

import asyncio
import copy
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from graphql import GraphQLSchema, build_schema, graphql

DATA = Path(__file__).parent / "data"

FEDERATION_PRELUDE = """
scalar _Any
scalar link__Import
scalar federation__FieldSet
directive @link(url: String, import: [link__Import]) repeatable on SCHEMA
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true)
  repeatable on OBJECT | INTERFACE
directive @shareable on OBJECT | FIELD_DEFINITION
type _Service { sdl: String! }
union _Entity = Product
{query_keyword} Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
}
"""

PRODUCTS = [
    {"id": "p1", "name": "Table", "price": 120},
    {"id": "p2", "name": "Chair", "price": 40},
    {"id": "p3", "name": "Lamp", "price": 25},
]
REVIEWS = {
    "p1": [{"id": "r1", "body": "Solid"}, {"id": "r2", "body": "Wobbly"}],
    "p2": [],
    "p3": [{"id": "r3", "body": "Bright"}],
}


@dataclass(slots=True)
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class SubgraphServer:
    """``name`` is ``products`` or ``reviews``; ``tag`` is appended to product names."""

    __test__ = False

    name: str
    tag: str = ""
    received: list[Received] = field(default_factory=list)
    url: str = ""
    request_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    """Headers added to every answer (e.g. ``Set-Cookie``), to test response rules."""
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        self.sdl = (DATA / f"{self.name}.graphql").read_text()
        self.schema: GraphQLSchema = build_schema(
            FEDERATION_PRELUDE.replace(
                "{query_keyword}", "extend type" if "type Query" in self.sdl else "type"
            )
            + _without_schema_extension(self.sdl),
            assume_valid_sdl=True,
        )
        self.products = copy.deepcopy(PRODUCTS)
        self._install_resolvers()

    # ------------------------------------------------------------------ resolvers

    def _install_resolvers(self) -> None:
        query = self.schema.query_type
        assert query is not None
        fields = query.fields
        fields["_service"].resolve = lambda *_: {"sdl": self.sdl}
        fields["_entities"].resolve = self._entities
        self.schema.get_type("_Entity").resolve_type = lambda value, *_: value["__typename"]  # type: ignore[union-attr]
        if self.name == "products":
            fields["topProducts"].resolve = lambda _p, _i, first=5: [
                self._tagged(p) for p in self.products[:first]
            ]
            fields["product"].resolve = lambda _p, _i, id: self._product(id)
            fields["slow"].resolve = self._slow
            mutation = self.schema.mutation_type
            assert mutation is not None
            mutation.fields["renameProduct"].resolve = self._rename
        else:
            product = self.schema.get_type("Product")
            product.fields["reviews"].resolve = lambda p, _i: REVIEWS.get(p["id"], [])  # type: ignore[union-attr]

    def _tagged(self, product: dict[str, Any]) -> dict[str, Any]:
        return {**product, "name": product["name"] + self.tag, "__typename": "Product"}

    def _product(self, product_id: str) -> dict[str, Any] | None:
        for product in self.products:
            if product["id"] == product_id:
                return self._tagged(product)
        return None

    async def _slow(self, _parent: Any, _info: Any, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return f"slept{self.tag}"

    def _rename(self, _parent: Any, _info: Any, id: str, name: str) -> dict[str, Any] | None:
        for product in self.products:
            if product["id"] == id:
                product["name"] = name
        return self._product(id)

    def _entities(self, _parent: Any, _info: Any, representations: list[Any]) -> list[Any]:
        if self.name == "products":
            return [self._product(r["id"]) for r in representations]
        return [{"__typename": "Product", "id": r["id"]} for r in representations]

    # ------------------------------------------------------------------ HTTP

    async def start(self) -> SubgraphServer:
        app = web.Application()
        app.router.add_post("/graphql", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(Received({k.lower(): v for k, v in request.headers.items()}, body))
        self.request_arrived.set()
        result = await graphql(
            self.schema,
            body["query"],
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        response = web.json_response(payload)
        for name, value in self.response_headers:
            response.headers.add(name, value)
        return response


def _without_schema_extension(sdl: str) -> str:
    """Drop the ``extend schema @link(...)`` line: the prelude declares what it imports."""
    return "\n".join(line for line in sdl.splitlines() if not line.startswith("extend schema"))
