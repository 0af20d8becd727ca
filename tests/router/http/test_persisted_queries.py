"""``apq`` and ``persisted_queries`` through the router's HTTP layer against real subgraphs:
APQ over POST and GET (not found, registration, hash mismatch, turned off), trusted-document
manifests in Apollo's and Relay's formats from a file and a URL, the modes (safelist,
require_id, log-unknown), hot reload of the manifest, and manifests that cannot be loaded."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
import structlog
from aiohttp import web
from pydantic import ValidationError

from router.persisted.manifest import ManifestError, parse_manifest
from router.settings import RouterSettings
from tests.support.router_harness import RunningRouter, running_router, settings_for
from tests.support.subgraph_server import SubgraphServer, sample_subgraph

JSON = {"content-type": "application/json"}
QUERY = "query Top { topProducts(first: 1) { name } }"
OTHER = "query Two { topProducts(first: 2) { id } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def post(router: RunningRouter, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with router.session.post(
        router.graphql, data=orjson.dumps(payload), headers=JSON
    ) as response:
        return response.status, orjson.loads(await response.read())


async def get(router: RunningRouter, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with router.session.get(
        router.graphql,
        params=params,
        headers={"accept": "application/json", "apollo-require-preflight": "true"},
    ) as response:
        return response.status, orjson.loads(await response.read())


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def apollo_manifest(*bodies: str) -> dict[str, Any]:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": sha(body), "body": body, "name": "op", "type": "query"} for body in bodies
        ],
    }


@pytest_asyncio.fixture(scope="module")
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers = {
        "products": await sample_subgraph("products").start(),
        "reviews": await sample_subgraph("reviews").start(),
    }
    yield servers
    for server in servers.values():
        await server.close()


# ------------------------------------------------------------------ APQ


async def test_apq_over_post_registers_then_serves_by_hash(
    servers: dict[str, SubgraphServer],
) -> None:
    async with running_router(settings_for(servers)) as router:
        status, body = await post(router, {"extensions": apq(DIGEST)})
        assert (status, code(body), body["errors"][0]["message"]) == (
            200,
            "PERSISTED_QUERY_NOT_FOUND",
            "PersistedQueryNotFound",
        )
        status, body = await post(router, {"query": QUERY, "extensions": apq(DIGEST)})
        assert (status, body["data"]["topProducts"][0]["name"]) == (200, "Table")
        status, body = await post(router, {"extensions": apq(DIGEST)})
        assert (status, body) == (200, {"data": {"topProducts": [{"name": "Table"}]}})


async def test_apq_over_get(servers: dict[str, SubgraphServer]) -> None:
    extensions = json.dumps(apq(sha(OTHER)))
    async with running_router(settings_for(servers)) as router:
        status, body = await get(router, {"extensions": extensions})
        assert (status, code(body)) == (200, "PERSISTED_QUERY_NOT_FOUND")
        status, body = await get(router, {"query": OTHER, "extensions": extensions})
        assert status == 200
        assert len(body["data"]["topProducts"]) == 2
        status, body = await get(router, {"extensions": extensions})
        assert (status, body["data"]["topProducts"][1]) == (200, {"id": "p2"})


async def test_apq_hash_mismatch_and_missing_hash(servers: dict[str, SubgraphServer]) -> None:
    async with running_router(settings_for(servers)) as router:
        status, body = await post(router, {"query": QUERY, "extensions": apq(sha("other"))})
        assert (status, code(body)) == (400, "PERSISTED_QUERY_HASH_MISMATCH")
        assert body["errors"][0]["message"] == "provided sha does not match query"
        status, body = await post(router, {"extensions": {"persistedQuery": {"version": 1}}})
        assert (status, code(body)) == (400, "PERSISTED_QUERY_HASH_MISMATCH")
        # a mismatching pair registered nothing
        status, body = await post(router, {"extensions": apq(sha("other"))})
        assert code(body) == "PERSISTED_QUERY_NOT_FOUND"


async def test_apq_can_be_turned_off(servers: dict[str, SubgraphServer]) -> None:
    async with running_router(settings_for(servers, apq={"enabled": False})) as router:
        status, body = await post(router, {"extensions": apq(DIGEST)})
        assert (status, code(body)) == (200, "PERSISTED_QUERY_NOT_SUPPORTED")
        # text with a hash still runs; nothing is registered
        status, body = await post(router, {"query": QUERY, "extensions": apq(DIGEST)})
        assert status == 200
        assert body["data"]["topProducts"]
        status, body = await post(router, {"extensions": apq(DIGEST)})
        assert code(body) == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_apq_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSHOP_ROUTER_APQ__ENABLED", "false")
    assert RouterSettings().apq.enabled is False


# ------------------------------------------------------------------ trusted documents


def write_manifest(path: Path, manifest: dict[str, Any]) -> str:
    path.write_bytes(orjson.dumps(manifest))
    return str(path)


async def test_safelist_serves_ids_and_listed_text_only(
    servers: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path / "manifest.json", apollo_manifest(QUERY))
    pq = {"enabled": True, "manifest": manifest, "safelist": {"enabled": True}}
    async with running_router(
        settings_for(servers, persisted_queries=pq, apq={"enabled": False})
    ) as router:
        status, body = await post(router, {"extensions": apq(DIGEST)})
        assert (status, body["data"]["topProducts"][0]["name"]) == (200, "Table")
        # the listed text, formatted differently, is recognised
        status, body = await post(router, {"query": "query Top {\n  topProducts(first: 1) {name}}"})
        assert status == 200
        assert body["data"]["topProducts"]
        status, body = await post(router, {"query": OTHER})
        assert (status, code(body)) == (400, "QUERY_NOT_IN_SAFELIST")
        status, body = await post(router, {"extensions": apq(sha(OTHER))})
        assert (status, code(body)) == (400, "PERSISTED_QUERY_NOT_IN_LIST")
        assert sha(OTHER) in body["errors"][0]["message"]


async def test_require_id_refuses_even_listed_text(
    servers: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path / "manifest.json", apollo_manifest(QUERY))
    pq = {
        "enabled": True,
        "manifest": manifest,
        "safelist": {"enabled": True, "require_id": True},
    }
    async with running_router(settings_for(servers, persisted_queries=pq)) as router:
        status, body = await post(router, {"query": QUERY})
        assert (status, code(body)) == (400, "PERSISTED_QUERY_ID_REQUIRED")
        status, body = await post(router, {"extensions": apq(DIGEST)})
        assert status == 200
        assert body["data"]["topProducts"]


async def test_relay_manifest_and_log_unknown_mode(
    servers: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path / "relay.json", {"doc-1": QUERY})
    pq = {"enabled": True, "manifest": manifest, "log_unknown": True}
    async with running_router(settings_for(servers, persisted_queries=pq)) as router:
        status, body = await post(router, {"extensions": apq("doc-1")})
        assert (status, body["data"]["topProducts"][0]["name"]) == (200, "Table")
        with structlog.testing.capture_logs() as logs:
            for _ in range(3):
                status, body = await post(router, {"query": OTHER})
                assert status == 200
                assert body["data"]["topProducts"]
            status, body = await post(router, {"query": QUERY})
            assert status == 200
    unknown = [entry for entry in logs if entry["event"] == "persisted_queries.unknown_operation"]
    assert [entry["query"] for entry in unknown] == [OTHER]  # once, and not the listed one
    assert unknown[0]["blocked"] is False


async def test_manifest_file_is_hot_reloaded(
    servers: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    path = tmp_path / "manifest.json"
    manifest = write_manifest(path, apollo_manifest(QUERY))
    pq = {
        "enabled": True,
        "manifest": manifest,
        "safelist": {"enabled": True},
        "poll_interval": 0.05,
    }
    async with running_router(settings_for(servers, persisted_queries=pq)) as router:
        status, body = await post(router, {"query": OTHER})
        assert code(body) == "QUERY_NOT_IN_SAFELIST"
        trusted = router.app.policy_state.trusted  # type: ignore[union-attr]
        assert trusted is not None
        loads = trusted.loads
        write_manifest(path, apollo_manifest(QUERY, OTHER))
        for _ in range(200):
            if trusted.loads > loads:
                break
            await asyncio.sleep(0.02)
        status, body = await post(router, {"query": OTHER})
        assert status == 200
        assert body["data"]["topProducts"]
        # a broken manifest is logged and the one in force stays
        with structlog.testing.capture_logs() as logs:
            path.write_text("{ not json")
            for _ in range(200):
                if any(e["event"] == "persisted_queries.manifest_rejected" for e in logs):
                    break
                await asyncio.sleep(0.02)
        rejected = [e for e in logs if e["event"] == "persisted_queries.manifest_rejected"]
        assert rejected
        assert "not JSON" in rejected[0]["error"]
        status, body = await post(router, {"extensions": apq(sha(OTHER))})
        assert status == 200
        assert body["data"]["topProducts"]


async def test_manifest_from_a_url_and_an_unreachable_one(
    servers: dict[str, SubgraphServer],
) -> None:
    app = web.Application()
    served: dict[str, Any] = {"manifest": apollo_manifest(QUERY)}

    async def manifest(_: web.Request) -> web.Response:
        return web.json_response(served["manifest"])

    app.router.add_get("/manifest.json", manifest)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        pq = {
            "enabled": True,
            "manifest": f"http://127.0.0.1:{port}/manifest.json",
            "safelist": {"enabled": True},
        }
        async with running_router(settings_for(servers, persisted_queries=pq)) as router:
            status, body = await post(router, {"extensions": apq(DIGEST)})
            assert status == 200
            assert body["data"]["topProducts"]
    finally:
        await runner.cleanup()
    # nothing listens there any more: the router starts, says why, and refuses unknown ids
    with structlog.testing.capture_logs() as logs:
        async with running_router(settings_for(servers, persisted_queries=pq)) as router:
            status, body = await post(router, {"extensions": apq(DIGEST)})
            assert (status, code(body)) == (400, "PERSISTED_QUERY_NOT_IN_LIST")
            async with router.session.get(router.url + "/health") as health:
                assert health.status == 200
    unavailable = [e for e in logs if e["event"] == "persisted_queries.manifest_unavailable"]
    assert unavailable
    assert "unreachable" in unavailable[0]["error"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[1]", "a JSON object"),
        (b'{"format": "other", "version": 1, "operations": []}', "unknown manifest format"),
        (b'{"format": "apollo-persisted-query-manifest", "version": 2}', "version"),
        (
            b'{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{}]}',
            "operations\\[0\\]",
        ),
        (b'{"a": 1}', "not a document string"),
        (b'{"a": "query {"}', "not valid GraphQL"),
    ],
)
def test_bad_manifests_are_refused_with_the_reason(raw: bytes, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(raw, "m.json")


def test_persisted_queries_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match=r"needs persisted_queries\.manifest"):
        RouterSettings(persisted_queries={"enabled": True})
    with pytest.raises(ValidationError, match=r"safelist\.enabled needs"):
        RouterSettings(persisted_queries={"safelist": {"enabled": True}})
    with pytest.raises(ValidationError, match="extra"):
        RouterSettings(persisted_queries={"safelst": {}})


# ------------------------------------------------------------------ polyshop persisted extract


def write_client(root: Path) -> None:
    (root / "src" / "components").mkdir(parents=True)
    (root / "node_modules" / "lib").mkdir(parents=True)
    (root / "src" / "fragments.graphql").write_text("fragment ProductBits on Product { id name }\n")
    (root / "src" / "components" / "Top.tsx").write_text(
        'import { gql } from "@apollo/client";\n'
        "import { BITS } from './bits';\n"
        "export const TOP = gql`\n"
        "  query Top($n: Int) { topProducts(first: $n) { ...ProductBits } }\n"
        "  ${BITS}\n"
        "`;\n"
    )
    (root / "src" / "rename.ts").write_text(
        "const RENAME = graphql(`mutation Rename($id: ID!, $name: String!) {"
        " renameProduct(id: $id, name: $name) { id name } }`);\n"
    )
    (root / "node_modules" / "lib" / "x.js").write_text("gql`query Vendor { x }`")


async def test_extract_writes_a_manifest_the_router_serves(
    servers: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from polyshop.cli import app

    write_client(tmp_path / "client")
    out = tmp_path / "manifest.json"
    result = CliRunner().invoke(
        app, ["persisted", "extract", str(tmp_path / "client"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    manifest = orjson.loads(out.read_bytes())
    assert (manifest["format"], manifest["version"]) == ("apollo-persisted-query-manifest", 1)
    by_name = {entry["name"]: entry for entry in manifest["operations"]}
    assert sorted(by_name) == ["Rename", "Top"]  # node_modules is not the client's
    top = by_name["Top"]
    assert top["type"] == "query"
    assert "fragment ProductBits on Product" in top["body"]
    assert top["id"] == sha(top["body"])
    assert by_name["Rename"]["type"] == "mutation"
    pq = {
        "enabled": True,
        "manifest": str(out),
        "safelist": {"enabled": True, "require_id": True},
    }
    async with running_router(settings_for(servers, persisted_queries=pq)) as router:
        status, body = await post(router, {"extensions": apq(top["id"]), "variables": {"n": 2}})
        assert status == 200
        assert body["data"]["topProducts"] == [
            {"id": "p1", "name": "Table"},
            {"id": "p2", "name": "Chair"},
        ]


def test_extract_reports_unparsable_sources(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from polyshop.cli import app

    (tmp_path / "bad.ts").write_text("const Q = gql`\n\n  query Broken { x(`;\n")
    result = CliRunner().invoke(app, ["persisted", "extract", str(tmp_path), "-o", "m.json"])
    assert result.exit_code == 1
    assert "bad.ts" in result.output
    assert "line 3" in result.output
