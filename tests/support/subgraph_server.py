"""A small real federated subgraph (aiohttp + graphql-core) for the router's HTTP tests.

It serves one of the SDLs in ``data/`` (products or reviews), answers ``_entities`` and
``_service``, and records every request it receives (headers included) so tests can check what
the router propagated.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from graphql import GraphQLSchema, build_schema, graphql

DATA = Path(__file__).resolve().parents[1] / "router" / "http" / "data"

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

UPLOADS_SDL = """
scalar Upload
type FileReceipt {
  filename: String!
  contentType: String!
  size: Int!
  sha256: String!
  note: String
}
extend type Mutation {
  uploadFile(file: Upload!, note: String): FileReceipt!
  uploadFiles(files: [Upload!]!): [FileReceipt!]!
  uploadInput(input: UploadInput!): FileReceipt!
}
input UploadInput {
  file: Upload!
  note: String
}
"""
"""With ``uploads=True`` the products subgraph also takes files (GraphQL multipart requests)."""

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
    uploads: bool = False
    """Serve `UPLOADS_SDL`: files are hashed as they stream in, never kept."""
    largest_chunk: int = 0
    """The largest piece of a file read at once (files are streamed, not buffered)."""
    multipart_requests: int = 0
    compress: bool = False
    """Gzip responses for clients that accept it (counted in ``compressed``)."""
    compressed: int = 0
    in_flight: int = 0
    """``slow`` resolvers running now (to catch requests in flight without sleeping)."""
    extensions: dict[str, Any] | None = None
    """Sent as the ``extensions`` of every answer (e.g. entity cache invalidations)."""
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        self.sdl = (DATA / f"{self.name}.graphql").read_text()
        if self.uploads:
            self.sdl += UPLOADS_SDL
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
            if self.uploads:
                mutation.fields["uploadFile"].resolve = lambda _p, _i, file, note=None: {
                    **file,
                    "note": note,
                }
                mutation.fields["uploadFiles"].resolve = lambda _p, _i, files: files
                mutation.fields["uploadInput"].resolve = lambda _p, _i, input: {
                    **input["file"],
                    "note": input.get("note"),
                }
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
        self.in_flight += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            self.in_flight -= 1
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

    async def _read_multipart(self, request: web.Request) -> dict[str, Any]:
        """The spec's ``operations`` with each file replaced by what was received of it."""
        reader = await request.multipart()
        operations: dict[str, Any] = {}
        mapping: dict[str, list[str]] = {}
        while (part := await reader.next()) is not None:
            assert isinstance(part, aiohttp.BodyPartReader)
            if part.name == "operations":
                operations = await part.json() or {}
            elif part.name == "map":
                mapping = await part.json() or {}
            else:
                digest = hashlib.sha256()
                size = 0
                while chunk := await part.read_chunk(64 * 1024):
                    self.largest_chunk = max(self.largest_chunk, len(chunk))
                    digest.update(chunk)
                    size += len(chunk)
                received = {
                    "filename": part.filename,
                    "contentType": part.headers.get("content-type"),
                    "size": size,
                    "sha256": digest.hexdigest(),
                }
                for path in mapping[part.name or ""]:
                    *parents, last = path.split(".")
                    target: Any = operations
                    for segment in parents:
                        target = target[int(segment) if isinstance(target, list) else segment]
                    target[int(last) if isinstance(target, list) else last] = received
        return operations

    async def _handle(self, request: web.Request) -> web.Response:
        if request.content_type == "multipart/form-data":
            self.multipart_requests += 1
            body = await self._read_multipart(request)
        else:
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
        if self.extensions is not None:
            payload["extensions"] = self.extensions
        response = web.json_response(payload)
        for name, value in self.response_headers:
            response.headers.add(name, value)
        if self.compress and "gzip" in request.headers.get("accept-encoding", ""):
            response.enable_compression(web.ContentCoding.gzip)
            self.compressed += 1
        return response


def _without_schema_extension(sdl: str) -> str:
    """Drop the ``extend schema @link(...)`` line: the prelude declares what it imports."""
    return "\n".join(line for line in sdl.splitlines() if not line.startswith("extend schema"))
