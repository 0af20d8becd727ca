"""File uploads (GraphQL multipart request spec) through a running router to a real subgraph.

The subgraph (`http_subgraph`, ``uploads=True``) hashes each file as it streams in and answers
with what it received, so these tests prove the bytes arrived intact; the router's limits and
bad-input answers are checked with real multipart bodies (aiohttp's writer) and raw sockets.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
import pytest
import pytest_asyncio

from router.composition.api import SubgraphSource, compose
from router.config.uploads import FileUploadsConfig
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import DATA, UPLOADS_SDL, SubgraphServer, sample_subgraph

UPLOAD = (
    "mutation Up($file: Upload!, $note: String) { uploadFile(file: $file, note: $note) "
    "{ filename contentType size sha256 note } }"
)
UPLOAD_MANY = (
    "mutation Many($files: [Upload!]!) { uploadFiles(files: $files) { filename size sha256 } }"
)
UPLOAD_INPUT = (
    "mutation In($input: UploadInput!) { uploadInput(input: $input) { filename size note } }"
)
PREFLIGHT = {"apollo-require-preflight": "true"}
LIMITS = FileUploadsConfig(max_files=3, max_file_size="1mb")


@pytest_asyncio.fixture(scope="module")
async def upload_subgraphs() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products", uploads=True).start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


@pytest.fixture(scope="module")
def supergraph(
    upload_subgraphs: dict[str, SubgraphServer], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    result = compose(
        [
            SubgraphSource(
                "products",
                upload_subgraphs["products"].url,
                (DATA / "products.graphql").read_text() + UPLOADS_SDL,
            ),
            SubgraphSource(
                "reviews", upload_subgraphs["reviews"].url, (DATA / "reviews.graphql").read_text()
            ),
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    path = tmp_path_factory.mktemp("uploads") / "supergraph.graphql"
    path.write_text(result.supergraph_sdl)
    return path


@pytest_asyncio.fixture(scope="module")
async def router(
    upload_subgraphs: dict[str, SubgraphServer], supergraph: Path
) -> AsyncIterator[RunningRouter]:
    settings = settings_for(upload_subgraphs, supergraph=str(supergraph), file_uploads=LIMITS)
    async with running_router(settings) as running:
        yield running


def multipart(
    operations: dict[str, object],
    mapping: dict[str, list[str]],
    files: dict[str, tuple[str, bytes, str]],
) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    form.add_field("operations", orjson.dumps(operations).decode())
    form.add_field("map", orjson.dumps(mapping).decode())
    for name, (filename, content, content_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=content_type)
    return form


async def post(
    router: RunningRouter, form: aiohttp.FormData, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, object]]:
    async with router.session.post(
        router.graphql, data=form, headers=PREFLIGHT if headers is None else headers
    ) as response:
        return response.status, orjson.loads(await response.read())


async def still_serving(router: RunningRouter) -> None:
    async with router.session.post(
        router.graphql, json={"query": "{ topProducts(first: 1) { id } }"}
    ) as response:
        assert response.status == 200
        assert await response.json() == {"data": {"topProducts": [{"id": "p1"}]}}


def code_of(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list)
    return str(errors[0]["extensions"]["code"])


async def test_a_file_reaches_the_subgraph_intact(
    router: RunningRouter, upload_subgraphs: dict[str, SubgraphServer]
) -> None:
    content = os.urandom(300_000)
    before = upload_subgraphs["products"].multipart_requests
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD, "variables": {"file": None, "note": "front"}},
            {"0": ["variables.file"]},
            {"0": ("photo.png", content, "image/png")},
        ),
    )
    assert status == 200, body
    assert body == {
        "data": {
            "uploadFile": {
                "filename": "photo.png",
                "contentType": "image/png",
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "note": "front",
            }
        }
    }
    assert upload_subgraphs["products"].multipart_requests == before + 1


async def test_lists_of_files_and_files_in_input_objects(router: RunningRouter) -> None:
    first, second = b"a" * 10, b"b" * 20
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD_MANY, "variables": {"files": [None, None]}},
            {"x": ["variables.files.0"], "y": ["variables.files.1"]},
            {"x": ("a.txt", first, "text/plain"), "y": ("b.txt", second, "text/plain")},
        ),
    )
    assert status == 200, body
    assert body["data"] == {
        "uploadFiles": [
            {"filename": "a.txt", "size": 10, "sha256": hashlib.sha256(first).hexdigest()},
            {"filename": "b.txt", "size": 20, "sha256": hashlib.sha256(second).hexdigest()},
        ]
    }
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD_INPUT, "variables": {"input": {"file": None, "note": "n"}}},
            {"0": ["variables.input.file"]},
            {"0": ("c.bin", b"ccc", "application/octet-stream")},
        ),
    )
    assert status == 200, body
    assert body["data"] == {"uploadInput": {"filename": "c.bin", "size": 3, "note": "n"}}


async def test_multipart_without_a_preflight_header_is_blocked_as_csrf(
    router: RunningRouter,
) -> None:
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD, "variables": {"file": None}},
            {"0": ["variables.file"]},
            {"0": ("a.txt", b"x", "text/plain")},
        ),
        headers={},
    )
    assert status == 400
    assert code_of(body) == "CSRF_ERROR"


async def test_too_many_files_are_refused(
    router: RunningRouter, upload_subgraphs: dict[str, SubgraphServer]
) -> None:
    before = upload_subgraphs["products"].multipart_requests
    names = [str(i) for i in range(4)]
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD_MANY, "variables": {"files": [None] * 4}},
            {name: [f"variables.files.{name}"] for name in names},
            {name: (f"{name}.txt", b"x", "text/plain") for name in names},
        ),
    )
    assert status == 413
    assert code_of(body) == "UPLOAD_TOO_MANY_FILES"
    assert upload_subgraphs["products"].multipart_requests == before
    await still_serving(router)


async def test_a_file_over_the_size_limit_is_refused(
    router: RunningRouter, upload_subgraphs: dict[str, SubgraphServer]
) -> None:
    before = upload_subgraphs["products"].multipart_requests
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD, "variables": {"file": None}},
            {"0": ["variables.file"]},
            {"0": ("big.bin", b"\0" * (1024 * 1024 + 1), "application/octet-stream")},
        ),
    )
    assert status == 413
    assert code_of(body) == "UPLOAD_FILE_TOO_LARGE"
    assert upload_subgraphs["products"].multipart_requests == before
    await still_serving(router)


async def test_a_map_naming_a_missing_file_is_refused(router: RunningRouter) -> None:
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD, "variables": {"file": None}},
            {"0": ["variables.file"]},
            {},
        ),
    )
    assert status == 400
    assert code_of(body) == "UPLOAD_FILE_MISSING"
    assert "'0'" in str(body)
    await still_serving(router)


async def test_a_file_where_no_upload_is_expected_is_refused(router: RunningRouter) -> None:
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD, "variables": {"file": None, "note": None}},
            {"0": ["variables.file"], "1": ["variables.note"]},
            {"0": ("a.txt", b"a", "text/plain"), "1": ("b.txt", b"b", "text/plain")},
        ),
    )
    assert status == 400
    assert code_of(body) == "UPLOAD_NOT_EXPECTED"
    assert "variables.note" in str(body)
    await still_serving(router)


@pytest.mark.parametrize(
    ("operations", "mapping", "fragment"),
    [
        ("not json", {"0": ["variables.file"]}, "not valid JSON"),
        ({"query": UPLOAD, "variables": {"file": None}}, {"0": "variables.file"}, "list of paths"),
        ({"query": UPLOAD, "variables": {"file": None}}, {"0": ["query"]}, "into the variables"),
        (
            {"query": UPLOAD_MANY, "variables": {"files": [None]}},
            {"0": ["variables.files.5"]},
            "does not exist",
        ),
        ({"query": UPLOAD, "variables": {"file": "x"}}, {"0": ["variables.file"]}, "null"),
        ([{"query": UPLOAD}], {"0": ["variables.file"]}, "batched"),
    ],
)
async def test_malformed_multipart_requests_get_clear_errors(
    router: RunningRouter, operations: object, mapping: object, fragment: str
) -> None:
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    form.add_field(
        "operations",
        operations if isinstance(operations, str) else orjson.dumps(operations).decode(),
    )
    form.add_field("map", orjson.dumps(mapping).decode())
    form.add_field("0", b"x", filename="a.txt", content_type="text/plain")
    status, body = await post(router, form)
    assert status == 400
    assert code_of(body) == "UPLOAD_INVALID_REQUEST"
    assert fragment in str(body)


async def raw_exchange(router: RunningRouter, head: bytes) -> tuple[int, bytes]:
    """Send request headers only and read the answer (a client that never sends its body)."""
    host, port = router.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "application/json"])
async def test_a_5_gb_content_length_is_refused_before_reading(
    router: RunningRouter, content_type: str
) -> None:
    head = (
        b"POST /graphql HTTP/1.1\r\nhost: localhost\r\napollo-require-preflight: true\r\n"
        b"content-type: " + content_type.encode() + b"\r\n"
        b"content-length: 5368709120\r\n\r\n"
    )
    status, body = await raw_exchange(router, head)
    assert status == 413
    assert b"PAYLOAD_TOO_LARGE" in body
    await still_serving(router)


async def test_an_accept_the_router_cannot_produce_is_refused(router: RunningRouter) -> None:
    status, body = await post(
        router,
        multipart(
            {"query": UPLOAD, "variables": {"file": None}},
            {"0": ["variables.file"]},
            {"0": ("a.txt", b"a", "text/plain")},
        ),
        headers={**PREFLIGHT, "accept": "text/csv"},
    )
    assert status == 406
    assert code_of(body) == "INVALID_ACCEPT_HEADER"
    await still_serving(router)


async def test_a_large_upload_streams_through_in_bounded_memory(
    upload_subgraphs: dict[str, SubgraphServer],
    supergraph: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """40 MB pass through the router (in this process) while Python's traced memory grows by
    a few megabytes at most; the spooled file is gone afterwards."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    size = 40 * 1024 * 1024
    piece = os.urandom(64 * 1024)
    digest = hashlib.sha256()
    for _ in range(size // len(piece)):
        digest.update(piece)

    async def stream() -> AsyncIterator[bytes]:
        for _ in range(size // len(piece)):
            yield piece

    settings = settings_for(
        upload_subgraphs,
        supergraph=str(supergraph),
        file_uploads=FileUploadsConfig(max_file_size="64mb"),
    )
    async with running_router(settings) as running:
        form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
        form.add_field(
            "operations", orjson.dumps({"query": UPLOAD, "variables": {"file": None}}).decode()
        )
        form.add_field("map", orjson.dumps({"0": ["variables.file"]}).decode())
        form.add_field("0", stream(), filename="big.bin", content_type="application/octet-stream")
        tracemalloc.start()
        try:
            status, body = await post(running, form)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert status == 200, body
    assert body["data"] == {
        "uploadFile": {
            "filename": "big.bin",
            "contentType": "application/octet-stream",
            "size": size,
            "sha256": digest.hexdigest(),
            "note": None,
        }
    }
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak} bytes for a {size}-byte upload"
    assert upload_subgraphs["products"].largest_chunk <= 64 * 1024
    assert await asyncio.to_thread(lambda: list(tmp_path.glob("polyshop-up-*"))) == []


async def test_uploads_can_be_turned_off(
    upload_subgraphs: dict[str, SubgraphServer], supergraph: Path
) -> None:
    settings = settings_for(
        upload_subgraphs,
        supergraph=str(supergraph),
        file_uploads=FileUploadsConfig(enabled=False),
    )
    async with running_router(settings) as running:
        status, body = await post(
            running,
            multipart(
                {"query": UPLOAD, "variables": {"file": None}},
                {"0": ["variables.file"]},
                {"0": ("a.txt", b"a", "text/plain")},
            ),
        )
    assert status == 415
    assert code_of(body) == "INVALID_CONTENT_TYPE_HEADER"
