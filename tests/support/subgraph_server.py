"""The one fake federated subgraph of the tests: SDL + resolvers served over real HTTP by aiohttp.

A `SubgraphSpec` says what a subgraph is (SDL, resolver maps, ``__resolveReference`` per entity)
and `SubgraphServer` serves it on 127.0.0.1:<free port> the way an `@apollo/subgraph` one does
(``_service { sdl }``, ``_entities(representations:)`` per the federation subgraph spec), so the
executor tests, the router's HTTP tests and the scenario suite all talk to the same thing.

It tells the test what the router asked: every request is recorded (headers, body, query,
variables, representations) with a sequence number from a `Recorder` that the subgraphs of one
`SubgraphCluster` share, so tests count fetches, read representations and check mutation order.
It is strict where real subgraphs are strict: an operation that does not validate against the
subgraph schema, or a representation without a complete key, is rejected with errors.

Failures are injected on the server, at run time: ``down`` (connection refused),
``http_status`` (a plain-text error), ``raw_body`` (a body that is not GraphQL), ``fail_first``
(503 to the first N requests), ``delay``; ``in_flight``/``most_in_flight`` and
``request_arrived`` let tests see requests in flight without sleeping. It also takes GraphQL
multipart requests (files hashed as they stream in, never kept), answers gzip when asked
(``compress``) and adds ``response_headers``/``extensions`` to every answer.

`sample_subgraph` builds the router HTTP tests' products/reviews pair from ``DATA``.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import inspect
import itertools
import json
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    build_schema,
    execute,
    parse,
    validate,
    value_from_ast_untyped,
)

Info = GraphQLResolveInfo[Any]
Resolver = Callable[..., Any]
EntityResolver = Callable[[dict[str, Any], Info], Any]

FEDERATION_PRELUDE = """
scalar federation__FieldSet
scalar federation__Scope
scalar federation__Policy
scalar link__Import
scalar _Any
enum link__Purpose { SECURITY EXECUTION }
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true)
  repeatable on OBJECT | INTERFACE
directive @requires(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @provides(fields: federation__FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @extends on OBJECT | INTERFACE
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @interfaceObject on OBJECT
scalar federation__ContextFieldValue
directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION
directive @fromContext(field: federation__ContextFieldValue) on ARGUMENT_DEFINITION
directive @composeDirective(name: String!) repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION
  | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
  | SCHEMA
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[federation__Scope!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[federation__Policy!]!]!)
  on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
type _Service { sdl: String! }
"""


# --------------------------------------------------------------------------- recording


@dataclass(slots=True)
class RecordedRequest:
    """One HTTP request a subgraph received, and how it answered."""

    subgraph: str
    query: str
    operation_name: str | None
    variables: dict[str, Any]
    headers: dict[str, str]
    """Lower-cased names."""
    body: dict[str, Any]
    """The decoded request (for a multipart request: ``operations`` with each file replaced by
    what was received of it)."""
    started: int
    """Global sequence number (shared by all subgraphs of a scenario) when it arrived."""
    finished: int = -1
    """Global sequence number when its answer was ready."""
    response: dict[str, Any] | None = None
    rejected: bool = False
    """The operation did not parse or validate against the subgraph schema."""

    @property
    def document(self) -> DocumentNode | None:
        try:
            return parse(self.query)
        except GraphQLError:
            return None

    @property
    def operation_type(self) -> str | None:
        document = self.document
        if document is None:
            return None
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                return definition.operation.value
        return None

    @property
    def root_fields(self) -> list[str]:
        """Top-level field names of the operation (``["_entities"]`` for an entity fetch)."""
        document = self.document
        if document is None:
            return []
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                return [
                    sel.name.value
                    for sel in definition.selection_set.selections
                    if isinstance(sel, FieldNode)
                ]
        return []

    @property
    def is_entities(self) -> bool:
        return "_entities" in self.root_fields

    @property
    def representations(self) -> list[dict[str, Any]]:
        """The representations sent to ``_entities`` (from a variable or inline)."""
        document = self.document
        if document is None:
            return []
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            for sel in definition.selection_set.selections:
                if isinstance(sel, FieldNode) and sel.name.value == "_entities":
                    for arg in sel.arguments or ():
                        if arg.name.value == "representations":
                            reps = value_from_ast_untyped(arg.value, self.variables)
                            return list(reps) if isinstance(reps, list) else []
        return []


class Recorder:
    """Every request received by the subgraphs of one scenario, in arrival order."""

    def __init__(self) -> None:
        self._clock = itertools.count()
        self.requests: list[RecordedRequest] = []

    def tick(self) -> int:
        return next(self._clock)

    def of(self, subgraph: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.subgraph == subgraph]

    def count(self, subgraph: str) -> int:
        return len(self.of(subgraph))

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for request in self.requests:
            result[request.subgraph] = result.get(request.subgraph, 0) + 1
        return result

    def clear(self) -> None:
        self.requests.clear()


# --------------------------------------------------------------------------- schema


@dataclass(slots=True)
class SubgraphSpec:
    """What a subgraph is: SDL, resolver maps and failures to start with (a scenario reads its
    SDL from ``<name>.graphql``)."""

    name: str
    resolvers: Mapping[str, Mapping[str, Resolver]] = field(default_factory=dict)
    """type name → field name → ``resolver(parent, info, **arguments)`` (sync or async)."""
    entities: Mapping[str, EntityResolver] = field(default_factory=dict)
    """entity type name → ``resolver(representation, info)`` returning a dict or None
    (``__resolveReference``); the representation's fields are merged under the result."""
    sdl: str = ""
    down: bool = False
    """Nothing listens at this subgraph's URL (connection refused)."""
    http_status: int | None = None
    """Answer every request with this status and a plain-text body (e.g. 500)."""
    delay: float = 0.0
    """Seconds to wait before answering each request."""
    raw_body: bytes | None = None
    """Answer every request with these bytes (status ``http_status`` or 200), not GraphQL."""


def _directive_args(node: Any, name: str) -> list[dict[str, Any]]:
    found = []
    for directive in node.directives or ():
        if directive.name.value in (name, f"federation__{name}"):
            args: dict[str, Any] = {}
            for arg in directive.arguments or ():
                if isinstance(arg.value, StringValueNode | BooleanValueNode):
                    args[arg.name.value] = arg.value.value
            found.append(args)
    return found


def parse_field_set(fields: str) -> SelectionSetNode:
    """Parse a `FieldSet` string (``"id sku"``, ``"account { id }"``) into a selection set."""
    document = parse("{" + fields + "}")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def entity_keys(sdl: str) -> dict[str, list[tuple[SelectionSetNode, bool]]]:
    """Types (objects and entity interfaces) with ``@key`` in this subgraph → their keys."""
    keys: dict[str, list[tuple[SelectionSetNode, bool]]] = {}
    for definition in parse(sdl).definitions:
        if isinstance(definition, _KEYED_NODES):
            for args in _directive_args(definition, "key"):
                keys.setdefault(definition.name.value, []).append(
                    (parse_field_set(str(args["fields"])), bool(args.get("resolvable", True)))
                )
    return keys


_KEYED_NODES = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
)


def _has_complete_key(value: Any, selection: SelectionSetNode) -> bool:
    if not isinstance(value, dict):
        return False
    for sel in selection.selections:
        assert isinstance(sel, FieldNode)
        name = sel.name.value
        if value.get(name) is None:
            return False
        if sel.selection_set is not None and not _has_complete_key(value[name], sel.selection_set):
            return False
    return True


def _typename_resolver(value: Any, info: Info, abstract: Any) -> str | None:
    if isinstance(value, Mapping):
        typename = value.get("__typename")
        return str(typename) if typename is not None else None
    return None


def build_subgraph_schema(spec: SubgraphSpec) -> GraphQLSchema:
    """Turn SDL + resolver maps into an executable schema with `_service` and `_entities`."""
    keys = entity_keys(spec.sdl)
    definitions = parse(spec.sdl).definitions
    objects = {d.name.value for d in definitions if isinstance(d, ObjectTypeDefinitionNode)}
    # `_Entity` holds object types only; an entity interface's references resolve to objects.
    entity_types = sorted(name for name in keys if name in objects)
    has_query = "Query" in objects
    additions = []
    if entity_types:
        additions.append(f"union _Entity = {' | '.join(entity_types)}")
    query_fields = "_service: _Service!"
    if entity_types:
        query_fields += "\n  _entities(representations: [_Any!]!): [_Entity]!"
    additions.append(f"{'extend type' if has_query else 'type'} Query {{\n  {query_fields}\n}}")
    schema = build_schema(FEDERATION_PRELUDE + spec.sdl + "\n" + "\n".join(additions))

    for type_name, fields in spec.resolvers.items():
        graphql_type = schema.get_type(type_name)
        if not isinstance(graphql_type, GraphQLObjectType):
            raise ValueError(f"{spec.name}: resolvers for unknown object type {type_name}")
        for field_name, resolver in fields.items():
            if field_name not in graphql_type.fields:
                raise ValueError(
                    f"{spec.name}: resolver for unknown field {type_name}.{field_name}"
                )
            graphql_type.fields[field_name].resolve = resolver
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            named.resolve_type = _typename_resolver

    query_type = schema.query_type
    assert query_type is not None
    query_type.fields["_service"].resolve = lambda _obj, _info: {"sdl": spec.sdl}
    if entity_types:
        entities_field: GraphQLField = query_type.fields["_entities"]
        entities_field.resolve = _entities_resolver(spec, keys)
    for type_name in spec.entities:
        if type_name not in keys:
            raise ValueError(f"{spec.name}: entity resolver for {type_name}, which has no @key")
    return schema


def _entities_resolver(
    spec: SubgraphSpec, keys: Mapping[str, list[tuple[SelectionSetNode, bool]]]
) -> Resolver:
    def resolve_one(representation: Any, info: Info) -> Any:
        if not isinstance(representation, dict):
            raise GraphQLError("representation is not an object")
        typename = representation.get("__typename")
        if not isinstance(typename, str) or typename not in keys:
            raise GraphQLError(f"representation has unknown __typename {typename!r}")
        if not any(_has_complete_key(representation, sel) for sel, _ in keys[typename]):
            # A real subgraph fails here too: the router must never send incomplete keys.
            raise GraphQLError(
                f"representation of {typename} lacks a complete @key: {representation}"
            )
        resolver = spec.entities.get(typename)
        if resolver is None:
            raise GraphQLError(f"{spec.name} has no reference resolver for {typename}")
        return _merge_entity(typename, representation, resolver(representation, info))

    def resolve(_parent: Any, info: Info, representations: list[Any]) -> Any:
        results: list[Any] = []
        pending = False
        for representation in representations:
            try:
                result = resolve_one(representation, info)
            except GraphQLError as error:
                result = error
            except Exception as error:
                result = GraphQLError(str(error))
            pending = pending or inspect.isawaitable(result)
            results.append(result)
        if pending:
            return _gather(results)
        return [_raise_errors(r) for r in results]

    return resolve


def _raise_errors(value: Any) -> Any:
    """An entity that failed yields a resolver that raises (graphql-core then sets its path)."""
    if isinstance(value, Exception):

        async def fail() -> Any:
            raise value

        return fail()
    return value


async def _gather(results: list[Any]) -> list[Any]:
    return [_raise_errors(await r) if inspect.isawaitable(r) else _raise_errors(r) for r in results]


def _merge_entity(typename: str, representation: dict[str, Any], result: Any) -> Any:
    if inspect.isawaitable(result):

        async def later() -> Any:
            return _merge_entity(typename, representation, await result)

        return later()
    if result is None:
        return None
    if isinstance(result, dict):
        # An entity interface's reference comes back as the concrete type the resolver names.
        return {**representation, **result, "__typename": result.get("__typename", typename)}
    return result


def entity_by_key(rows: Iterable[Mapping[str, Any]], *key_fields: str) -> EntityResolver:
    """Reference resolver that finds a row whose ``key_fields`` equal the representation's."""
    table = list(rows)

    def resolve(representation: dict[str, Any], _info: Info) -> Any:
        for row in table:
            if all(row.get(k) == representation.get(k) for k in key_fields):
                return dict(row)
        return None

    return resolve


# --------------------------------------------------------------------------- HTTP


class SubgraphServer:
    """One subgraph on 127.0.0.1:<free port>; records into ``received`` and its `Recorder`.

    The failure knobs start from the spec and may be changed while it runs.
    """

    __test__ = False

    def __init__(
        self,
        spec: SubgraphSpec,
        recorder: Recorder | None = None,
        *,
        response_headers: Sequence[tuple[str, str]] = (),
        extensions: dict[str, Any] | None = None,
        compress: bool = False,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.recorder = recorder if recorder is not None else Recorder()
        self.schema = build_subgraph_schema(spec)
        self.url = ""
        self.received: list[RecordedRequest] = []
        """What this subgraph received (the recorder holds every subgraph's, in order)."""
        self.delay = spec.delay
        self.http_status = spec.http_status
        self.raw_body = spec.raw_body
        self.fail_first = 0
        """Answer 503 to requests while fewer than this many have been received."""
        self.response_headers = list(response_headers)
        """Headers added to every answer (e.g. ``Set-Cookie``), to test response rules."""
        self.extensions = extensions
        """Sent as the ``extensions`` of every GraphQL answer (e.g. cache invalidations)."""
        self.compress = compress
        """Gzip answers for clients that accept it (counted in ``compressed``)."""
        self.compressed = 0
        self.multipart_requests = 0
        self.largest_chunk = 0
        """The largest piece of a file read at once (files are streamed, not buffered)."""
        self.in_flight = 0
        self.most_in_flight = 0
        self.request_arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def entity_requests(self) -> list[RecordedRequest]:
        return [r for r in self.received if r.is_entities]

    async def start(self) -> SubgraphServer:
        if self.spec.down:
            self.url = f"http://127.0.0.1:{unused_port()}/graphql"
            return self
        app = web.Application()
        app.router.add_post("/graphql", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if request.content_type == "multipart/form-data":
            self.multipart_requests += 1
            body = await self._read_multipart(request)
        else:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                return web.json_response({"errors": [{"message": "body is not JSON"}]}, status=400)
        record = RecordedRequest(
            subgraph=self.name,
            query=str(body.get("query") or ""),
            operation_name=body.get("operationName"),
            variables=dict(body.get("variables") or {}),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            started=self.recorder.tick(),
        )
        failing = len(self.received) < self.fail_first
        self.received.append(record)
        self.recorder.requests.append(record)
        self.request_arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if failing or self.raw_body is not None or self.http_status is not None:
            record.finished = self.recorder.tick()
            if failing:
                return web.Response(status=503, text="subgraph failure")
            if self.raw_body is not None:
                return web.Response(body=self.raw_body, status=self.http_status or 200)
            return web.Response(status=self.http_status or 500, text="subgraph failure")
        result = await self.run(record.query, record.variables, record.operation_name)
        record.response = result
        record.rejected = "data" not in result
        record.finished = self.recorder.tick()
        if self.extensions is not None:
            result = {**result, "extensions": self.extensions}
        response = web.json_response(result)
        for name, value in self.response_headers:
            response.headers.add(name, value)
        if self.compress and "gzip" in request.headers.get("accept-encoding", ""):
            response.enable_compression(web.ContentCoding.gzip)
            self.compressed += 1
        return response

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

    async def run(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Execute one operation against this subgraph; `{"errors"}` without data if invalid."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [_format(error, "GRAPHQL_PARSE_FAILED")]}
        validation_errors = validate(self.schema, document)
        if validation_errors:
            return {"errors": [_format(e, "GRAPHQL_VALIDATION_FAILED") for e in validation_errors]}
        result = execute(
            self.schema,
            document,
            variable_values=dict(variables or {}),
            operation_name=operation_name,
        )
        if inspect.isawaitable(result):
            result = await result
        formatted: dict[str, Any] = {"data": result.data}
        if result.errors:
            formatted["errors"] = [e.formatted for e in result.errors]
        return formatted


def _format(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    extensions: dict[str, Any] = dict(formatted.get("extensions") or {})
    formatted["extensions"] = {**extensions, "code": code}
    return formatted


def unused_port() -> int:
    """A localhost port with nothing listening (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SubgraphCluster:
    """Subgraphs started together for an ``async with``, sharing one `Recorder`."""

    def __init__(self, specs: Iterable[SubgraphSpec | SubgraphServer]) -> None:
        self.recorder = Recorder()
        self.servers: dict[str, SubgraphServer] = {}
        for item in specs:
            if isinstance(item, SubgraphServer):
                item.recorder = self.recorder
                self.servers[item.name] = item
            else:
                self.servers[item.name] = SubgraphServer(item, self.recorder)

    async def __aenter__(self) -> SubgraphCluster:
        for server in self.servers.values():
            await server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(server.close() for server in self.servers.values()))

    def __getitem__(self, name: str) -> SubgraphServer:
        return self.servers[name]

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}


# --------------------------------------------------------------------------- sample subgraphs

DATA = Path(__file__).resolve().parents[1] / "router" / "http" / "data"
"""The SDLs of the router HTTP tests' ``products`` and ``reviews`` subgraphs."""

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

PRODUCTS: list[dict[str, Any]] = [
    {"id": "p1", "name": "Table", "price": 120},
    {"id": "p2", "name": "Chair", "price": 40},
    {"id": "p3", "name": "Lamp", "price": 25},
]
REVIEWS = {
    "p1": [{"id": "r1", "body": "Solid"}, {"id": "r2", "body": "Wobbly"}],
    "p2": [],
    "p3": [{"id": "r3", "body": "Bright"}],
}


def sample_subgraph(
    name: str, *, tag: str = "", uploads: bool = False, **options: Any
) -> SubgraphServer:
    """The ``products`` or ``reviews`` subgraph of the router HTTP tests (not started).

    ``tag`` is appended to product names (to tell two deployments apart); products has
    ``slow(seconds:)`` to keep a request in flight and ``renameProduct`` (on its own copy of
    `PRODUCTS`); ``options`` go to `SubgraphServer`.
    """
    sdl = (DATA / f"{name}.graphql").read_text()
    if name == "reviews":
        spec = SubgraphSpec(
            name,
            sdl=sdl,
            resolvers={"Product": {"reviews": lambda p, _i: REVIEWS.get(p["id"], [])}},
            entities={"Product": lambda rep, _i: {"id": rep["id"]}},
        )
        return SubgraphServer(spec, **options)
    products = copy.deepcopy(PRODUCTS)

    def product(product_id: str) -> dict[str, Any] | None:
        found = next((p for p in products if p["id"] == product_id), None)
        return None if found is None else {**found, "name": found["name"] + tag}

    async def slow(_parent: Any, _info: Info, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return f"slept{tag}"

    def rename(_parent: Any, _info: Info, id: str, name: str) -> dict[str, Any] | None:
        for row in products:
            if row["id"] == id:
                row["name"] = name
        return product(id)

    mutations: dict[str, Resolver] = {"renameProduct": rename}
    if uploads:
        sdl += UPLOADS_SDL
        mutations["uploadFile"] = lambda _p, _i, file, note=None: {**file, "note": note}
        mutations["uploadFiles"] = lambda _p, _i, files: files
        mutations["uploadInput"] = lambda _p, _i, input: {
            **input["file"],
            "note": input.get("note"),
        }
    spec = SubgraphSpec(
        name,
        sdl=sdl,
        resolvers={
            "Query": {
                "topProducts": lambda _p, _i, first=5: [
                    product(str(p["id"])) for p in products[:first]
                ],
                "product": lambda _p, _i, id: product(id),
                "slow": slow,
            },
            "Mutation": mutations,
        },
        entities={"Product": lambda rep, _i: product(rep["id"])},
    )
    return SubgraphServer(spec, **options)
