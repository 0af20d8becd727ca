"""Reading a GraphQL multipart request (``multipart/form-data``: ``operations``, ``map``, files).

Contract (https://github.com/jaydenseric/graphql-multipart-request-spec, as Apollo Router
implements it):

- The parts come in the spec's order: ``operations`` (the JSON operation, with ``null`` where
  files go), then ``map`` (file name -> paths such as ``variables.file``), then the files. Each
  field is capped at ``max_request_bytes``; one operation per request (no batches).
- ``map`` may name at most ``file_uploads.max_files`` files (else 413
  ``UPLOAD_TOO_MANY_FILES``, before any file byte is read); each file is spooled to disk as it
  arrives, in chunks, and refused with 413 ``UPLOAD_FILE_TOO_LARGE`` as soon as it grows past
  ``file_uploads.max_file_size``. A declared ``Content-Length`` above what the limits allow
  is refused before reading anything. Router memory per upload stays at one chunk buffer.
- Every path must lead into the variables to a variable (or a list item or input field of one)
  of the ``Upload`` type (else 400 ``UPLOAD_NOT_EXPECTED``), and hold ``null``; a file named by
  ``map`` but missing from the body is 400 ``UPLOAD_FILE_MISSING``; a malformed part, field
  or map is 400 ``UPLOAD_INVALID_REQUEST``.
- CSRF prevention is unchanged: ``multipart/form-data`` is a "simple" content type, so the
  request also needs a preflight-forcing header (``apollo-require-preflight``), checked before
  this module runs.

The files then reach the owning subgraph through `router.execution.uploads`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BufferedWriter
from typing import Any

import orjson
from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    type_from_ast,
)
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from router.config.uploads import FileUploadsConfig
from router.engine import GraphQLRequest
from router.execution.uploads import RequestFiles, SpooledFile

from .asgi import ClientDisconnected, Receive, payload_too_large
from .errors import HttpError
from .requests import to_request

MULTIPART = "multipart/form-data"
UPLOAD_SCALAR = "Upload"
FLUSH_BYTES = 1024 * 1024
"""A file's bytes are written to disk (in a worker thread) once this much has arrived."""


def is_multipart(essence: str | None) -> bool:
    return essence == MULTIPART


def _error(status: int, code: str, message: str) -> HttpError:
    return HttpError(status, code, message)


def _invalid(message: str) -> HttpError:
    return _error(400, "UPLOAD_INVALID_REQUEST", message)


@dataclass(slots=True)
class _Part:
    name: str | None = None
    filename: str | None = None
    content_type: str = "application/octet-stream"
    header_field: bytes = b""
    header_value: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)


class MultipartReader:
    """Reads one multipart request from ASGI ``receive`` into an operation and spooled files."""

    def __init__(self, config: FileUploadsConfig, field_limit: int, schema: GraphQLSchema) -> None:
        self.config = config
        self.field_limit = field_limit
        self.schema = schema
        self.files = RequestFiles()
        self.operation: dict[str, Any] | None = None
        self.map: dict[str, list[str]] | None = None
        self._part = _Part()
        self._field = bytearray()
        self._file: SpooledFile | None = None
        self._handle: BufferedWriter | None = None
        self._pending = bytearray()
        self._skipping = False

    # -- parsing ------------------------------------------------------------------------

    async def read(self, receive: Receive, boundary: bytes) -> GraphQLRequest:
        # The parser is synchronous and callback-driven: it records what it found in a chunk,
        # and the async code below handles it (spooling to disk in a worker thread).
        items: list[tuple[str, Any]] = []

        def on_part_begin() -> None:
            items.append(("begin", None))

        def on_header_field(data: bytes, start: int, end: int) -> None:
            items.append(("hfield", data[start:end]))

        def on_header_value(data: bytes, start: int, end: int) -> None:
            items.append(("hvalue", data[start:end]))

        def on_header_end() -> None:
            items.append(("hend", None))

        def on_headers_finished() -> None:
            items.append(("headers", None))

        def on_part_data(data: bytes, start: int, end: int) -> None:
            items.append(("data", data[start:end]))

        def on_part_end() -> None:
            items.append(("end", None))

        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
            },
        )
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnected
                chunk: bytes = message.get("body", b"")
                if chunk:
                    try:
                        parser.write(chunk)
                    except MultipartParseError as error:
                        raise _invalid(f"the multipart body is malformed: {error}") from error
                    for kind, value in items:
                        await self._event(kind, value)
                    items.clear()
                if not message.get("more_body", False):
                    break
            try:
                parser.finalize()
            except MultipartParseError as error:
                raise _invalid(f"the multipart body is malformed: {error}") from error
            return self._finish()
        except BaseException:
            await self._close_handle()
            await self.files.close()
            raise

    async def _event(self, kind: str, value: Any) -> None:
        part = self._part
        if kind == "begin":
            self._part = _Part()
        elif kind == "hfield":
            part.header_field += value
        elif kind == "hvalue":
            part.header_value += value
        elif kind == "hend":
            part.headers[part.header_field.lower()] = part.header_value
            part.header_field = part.header_value = b""
        elif kind == "headers":
            await self._start_part(part)
        elif kind == "data":
            await self._data(value)
        elif kind == "end":
            await self._end_part()

    async def _start_part(self, part: _Part) -> None:
        disposition = part.headers.get(b"content-disposition")
        if disposition is None:
            raise _invalid("a multipart part has no Content-Disposition header")
        _, options = parse_options_header(disposition)
        name = options.get(b"name")
        if name is None:
            raise _invalid("a multipart part has no name")
        part.name = name.decode("utf-8", "replace")
        filename = options.get(b"filename")
        part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        content_type = part.headers.get(b"content-type")
        if content_type:
            part.content_type = content_type.decode("latin-1")
        self._field.clear()
        self._skipping = False
        if part.name == "operations":
            if self.operation is not None:
                raise _invalid("the 'operations' field is sent twice")
        elif part.name == "map":
            if self.operation is None:
                raise _invalid("the 'operations' field must come before 'map'")
            if self.map is not None:
                raise _invalid("the 'map' field is sent twice")
        else:
            if self.map is None:
                raise _invalid(
                    f"the file '{part.name}' comes before the 'operations' and 'map' fields"
                )
            if part.name not in self.map or part.name in self.files.files:
                self._skipping = True  # a part the map does not name: ignored
                return
            path = self.files.directory / str(len(self.files.files))
            self._file = SpooledFile(
                key=part.name,
                path=path,
                filename=part.filename or part.name,
                content_type=part.content_type,
            )
            self.files.files[part.name] = self._file
            self._handle = await asyncio.to_thread(path.open, "wb")

    async def _data(self, data: bytes) -> None:
        if self._skipping:
            return
        spooled = self._file
        if spooled is None:
            if len(self._field) + len(data) > self.field_limit:
                raise payload_too_large(self.field_limit)
            self._field += data
            return
        spooled.size += len(data)
        if spooled.size > self.config.max_file_size:
            raise _error(
                413,
                "UPLOAD_FILE_TOO_LARGE",
                f"The file '{spooled.key}' exceeds the limit of {self.config.max_file_size} bytes",
            )
        self._pending += data
        if len(self._pending) >= FLUSH_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if self._pending and self._handle is not None:
            chunk = bytes(self._pending)
            self._pending.clear()
            await asyncio.to_thread(self._handle.write, chunk)

    async def _close_handle(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            await asyncio.to_thread(handle.close)

    async def _end_part(self) -> None:
        part = self._part
        if self._file is not None:
            await self._flush()
            await self._close_handle()
            self._file = None
            return
        if self._skipping:
            return
        if part.name == "operations":
            self.operation = self._json_field("operations", dict)
        elif part.name == "map":
            self.map = self._read_map()

    def _json_field(self, name: str, kind: type) -> Any:
        try:
            value = orjson.loads(bytes(self._field))
        except orjson.JSONDecodeError as error:
            raise _invalid(f"the '{name}' field is not valid JSON: {error}") from error
        if not isinstance(value, kind):
            what = "an object" if kind is dict else "a list"
            detail = " (batched operations cannot carry files)" if isinstance(value, list) else ""
            raise _invalid(f"the '{name}' field must be {what}{detail}")
        return value

    def _read_map(self) -> dict[str, list[str]]:
        mapping: dict[str, list[str]] = self._json_field("map", dict)
        if len(mapping) > self.config.max_files:
            raise _error(
                413,
                "UPLOAD_TOO_MANY_FILES",
                f"The request names {len(mapping)} files; the limit is {self.config.max_files}",
            )
        for key, paths in mapping.items():
            if (
                not isinstance(paths, list)
                or not paths
                or not all(isinstance(p, str) for p in paths)
            ):
                raise _invalid(f"map entry '{key}' must be a non-empty list of paths")
        return mapping

    # -- the operation ------------------------------------------------------------------

    def _finish(self) -> GraphQLRequest:
        operation, mapping = self.operation, self.map
        if operation is None:
            raise _invalid("the multipart request has no 'operations' field")
        if mapping is None:
            raise _invalid("the multipart request has no 'map' field")
        missing = sorted(key for key in mapping if key not in self.files.files)
        if missing:
            raise _error(
                400,
                "UPLOAD_FILE_MISSING",
                f"The map names file(s) {', '.join(repr(k) for k in missing)} that the "
                "request does not contain",
            )
        variables = operation.get("variables")
        if variables is None:
            variables = operation["variables"] = {}
        if not isinstance(variables, dict):
            raise _invalid("the operation's 'variables' must be an object")
        upload_types = _variable_types(self.schema, operation)
        for key, paths in mapping.items():
            for path in paths:
                self._place(variables, upload_types, key, path)
        return to_request(operation)

    def _place(
        self, variables: dict[str, Any], types: Mapping[str, Any] | None, key: str, path: str
    ) -> None:
        head, *rest = path.split(".")
        if head != "variables" or not rest:
            raise _invalid(f"map path '{path}' must lead into the variables ('variables.NAME')")
        if types is not None and not _is_upload(types.get(rest[0]), rest[1:]):
            raise _error(
                400,
                "UPLOAD_NOT_EXPECTED",
                f"The file '{key}' is mapped to '{path}', which is not of type Upload",
            )
        container: Any = variables
        for position, segment in enumerate(rest):
            last = position == len(rest) - 1
            if isinstance(container, dict):
                if last:
                    if container.get(segment) is not None:
                        raise _invalid(f"map path '{path}' must point at a null value")
                    container[segment] = self.files.marker(key)
                    return
                container = container.get(segment)
            elif (
                isinstance(container, list) and segment.isdigit() and int(segment) < len(container)
            ):
                index = int(segment)
                if last:
                    if container[index] is not None:
                        raise _invalid(f"map path '{path}' must point at a null value")
                    container[index] = self.files.marker(key)
                    return
                container = container[index]
            else:
                break
        raise _invalid(f"map path '{path}' does not exist in the operation's variables")


def _variable_types(schema: GraphQLSchema, operation: Mapping[str, Any]) -> dict[str, Any] | None:
    """Variable name -> its GraphQL input type; None when the document does not parse (the
    engine then reports it)."""
    query = operation.get("query")
    if not isinstance(query, str):
        return None
    try:
        document = parse(query)
    except GraphQLError:
        return None
    name = operation.get("operationName")
    definitions = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [d for d in definitions if name is None or (d.name and d.name.value == name)]
    if len(chosen) != 1:
        return None
    return {
        definition.variable.name.value: type_from_ast(schema, definition.type)
        for definition in chosen[0].variable_definitions or ()
    }


def _is_upload(graphql_type: Any, rest: list[str]) -> bool:
    """Whether following ``rest`` (list indices, input fields) from ``graphql_type`` ends at
    the ``Upload`` scalar."""
    current = graphql_type
    segments = list(rest)
    while True:
        if isinstance(current, GraphQLNonNull):
            current = current.of_type
            continue
        if not segments:
            return isinstance(current, GraphQLScalarType) and current.name == UPLOAD_SCALAR
        segment = segments.pop(0)
        if isinstance(current, GraphQLList) and segment.isdigit():
            current = current.of_type
        elif isinstance(current, GraphQLInputObjectType) and segment in current.fields:
            current = current.fields[segment].type
        else:
            return False


def boundary_of(content_type: str) -> bytes:
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise _invalid("the multipart Content-Type has no boundary")
    return boundary


def upload_size_limit(config: FileUploadsConfig, field_limit: int) -> int:
    """The largest body a multipart request within the limits can have."""
    return config.max_files * config.max_file_size + 2 * field_limit + 64 * 1024


async def read_multipart(
    receive: Receive,
    headers: Mapping[str, str],
    config: FileUploadsConfig,
    field_limit: int,
    schema: GraphQLSchema,
) -> tuple[GraphQLRequest, RequestFiles]:
    """The operation (markers where the files go) and its spooled files; the caller closes
    the files when the request ends."""
    limit = upload_size_limit(config, field_limit)
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise payload_too_large(limit)
    if headers.get("content-encoding", "identity").strip().lower() not in ("identity", ""):
        raise HttpError(
            415,
            "UNSUPPORTED_CONTENT_ENCODING",
            "multipart requests cannot be compressed (the files are streamed as they come)",
        )
    boundary = boundary_of(headers.get("content-type", ""))
    reader = MultipartReader(config, field_limit, schema)
    request = await reader.read(receive, boundary)
    return request, reader.files
