"""The pieces `bench.policy` stands on: its configurations are valid router settings, the
reference and the header-rules configuration send identical subgraph requests (the bench's
premise), and the wrk script sends the client headers it is given. No speed is asserted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from bench import load
from bench.policy import RATE_LIMITS, VARIANTS, write_headers
from router.policy.headers import HeaderPolicy
from router.settings import RouterSettings


def settings_of(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> RouterSettings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        return RouterSettings()
    finally:
        for name in env:
            monkeypatch.delenv(name)


def subgraph_headers(name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    env, client = VARIANTS[name]
    settings = settings_of(env, monkeypatch)
    policy = HeaderPolicy(
        settings.headers,
        (*settings.propagate_headers, *settings.propagate_headers_extra),
        correlation_header=settings.correlation_header,
    )
    result = policy.request_headers(client, "c0ffee", None)
    return {"products": result.by_subgraph.get("products", result.default)}


def test_reference_and_rules_send_identical_subgraph_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference = subgraph_headers("reference", monkeypatch)
    rules = subgraph_headers("headers", monkeypatch)
    assert rules == reference
    assert "x-app-version" in reference["products"]
    assert settings_of(VARIANTS["rate_limit"][0], monkeypatch).rate_limit.router is not None
    assert RATE_LIMITS["router"]["capacity"] >= 1_000_000  # never refuses during a run


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
async def test_wrk_sends_the_given_client_headers(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []  # lower-cased names

    async def graphql(request: web.Request) -> web.Response:
        seen.append({name.lower(): value for name, value in request.headers.items()})
        return web.json_response({"data": {}})

    app = web.Application()
    app.router.add_post("/graphql", graphql)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        requests = load.write_requests(
            tmp_path / "r.tsv", [("/graphql", json.dumps({"query": "{ a }"}))]
        )
        headers = write_headers(tmp_path / "h", {"x-tenant": "acme", "authorization": "Bearer t"})
        result = await load.run_wrk(
            f"http://127.0.0.1:{port}",
            requests,
            seconds=1,
            connections=1,
            nonce=False,
            headers_file=headers,
        )
    finally:
        await runner.cleanup()
    assert result.requests > 0
    assert seen
    assert all(h.get("x-tenant") == "acme" for h in seen)
    assert all(h.get("authorization") == "Bearer t" for h in seen)
