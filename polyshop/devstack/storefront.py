"""The storefront (``web/``) served by `polyshop up` from its own origin.

The built app (``web/dist``, committed so that `make up` needs no Node) is served by a small
aiohttp server inside the dev stack's process, on the storefront port (4010 plus the port
offset), which the dev ``router.yaml`` allows through CORS: the browser really crosses origins
to reach the router. The router's address is the one thing the built app cannot know, so the
server answers ``/config.js`` itself with it (``window.POLYSHOP_CONFIG``).

The build records a digest of the app's sources in ``web/dist/build-info.json``
(:func:`record_build`, run by ``make web``); :func:`build_is_stale` compares it with the
sources of the checkout, so a test fails when the committed build lags behind its sources, and
`polyshop up` warns.

``python -m polyshop.devstack.storefront record`` writes the digest (after ``vite build``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import structlog
from aiohttp import web

log = structlog.get_logger("polyshop.storefront")

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
BUILD_INFO = "build-info.json"
SOURCES = ("index.html", "vite.config.js", "package.json", "package-lock.json", "src", "public")
"""What the build is made of (relative to ``web/``): files, or folders taken whole."""
IMMUTABLE = "public, max-age=31536000, immutable"
"""Vite names every asset by its content hash, so an asset never changes under its name."""


def source_files(web_dir: Path = WEB_DIR) -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = web_dir / name
        if path.is_dir():
            files += [p for p in path.rglob("*") if p.is_file()]
        elif path.is_file():
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(web_dir).as_posix())


def source_digest(web_dir: Path = WEB_DIR) -> str:
    """SHA-256 over each source's relative path and content, in path order."""
    digest = hashlib.sha256()
    for path in source_files(web_dir):
        digest.update(path.relative_to(web_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def record_build(web_dir: Path = WEB_DIR) -> str:
    """Write the sources' digest beside a fresh build (``make web`` runs it after vite)."""
    dist = web_dir / "dist"
    if not (dist / "index.html").is_file():
        raise FileNotFoundError(f"{dist / 'index.html'} is missing: run vite build first")
    digest = source_digest(web_dir)
    info = {"sources_sha256": digest, "sources": [s for s in SOURCES if (web_dir / s).exists()]}
    (dist / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return digest


def recorded_digest(web_dir: Path = WEB_DIR) -> str | None:
    try:
        info = json.loads((web_dir / "dist" / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return None
    value = info.get("sources_sha256")
    return value if isinstance(value, str) else None


def build_is_stale(web_dir: Path = WEB_DIR) -> bool:
    """Whether ``web/dist`` was built from other sources than those checked out."""
    return recorded_digest(web_dir) != source_digest(web_dir)


def config_script(graphql_url: str) -> str:
    """``/config.js``: where the app finds the router (JSON is valid JavaScript)."""
    config = json.dumps({"graphqlUrl": graphql_url})
    return f"window.POLYSHOP_CONFIG = {config};\n"


def create_app(dist: Path, graphql_url: str) -> web.Application:
    """The storefront's routes: ``/`` (the app), ``/config.js``, ``/assets/*``."""
    index = dist / "index.html"
    config = config_script(graphql_url)
    no_cache = {"cache-control": "no-cache"}

    async def serve_index(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(index, headers=no_cache)

    async def serve_config(_request: web.Request) -> web.Response:
        return web.Response(text=config, content_type="text/javascript", headers=no_cache)

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def cache_assets(request: web.Request, response: web.StreamResponse) -> None:
        # At prepare time, when a static file's status is known (a missing file's 404 too).
        if request.path.startswith("/assets/") and response.status == 200:
            response.headers["cache-control"] = IMMUTABLE

    app = web.Application()
    app.on_response_prepare.append(cache_assets)
    app.router.add_get("/", serve_index)
    app.router.add_get("/index.html", serve_index)
    app.router.add_get("/config.js", serve_config)
    app.router.add_get("/health", health)
    if (dist / "assets").is_dir():
        # aiohttp's static route refuses paths that leave the folder (.., symlinks).
        app.router.add_static("/assets", dist / "assets")
    return app


@dataclass
class Storefront:
    """The running server; :meth:`stop` ends it."""

    url: str
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_storefront(
    host: str, port: int, graphql_url: str, *, url_host: str, web_dir: Path = WEB_DIR
) -> Storefront | None:
    """Serve ``web_dir/dist`` on ``host:port``; ``None`` (logged) when there is no build."""
    dist = web_dir / "dist"
    if not (dist / "index.html").is_file():
        log.warning("storefront.not_built", dist=str(dist), hint="run `make web`")
        return None
    if build_is_stale(web_dir):
        log.warning("storefront.stale_build", dist=str(dist), hint="run `make web`")
    runner = web.AppRunner(create_app(dist, graphql_url), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise RuntimeError(
            f"port {port} of the storefront is taken (another `polyshop up`?); stop it or set "
            "POLYSHOP_PORT_OFFSET"
        ) from error
    url = f"http://{url_host}:{port}"
    log.info("storefront.started", url=url, graphql_url=graphql_url)
    return Storefront(url, runner)


def main(argv: list[str]) -> int:
    if argv != ["record"]:
        print("usage: python -m polyshop.devstack.storefront record", file=sys.stderr)
        return 2
    print(f"web/dist built from sources {record_build()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
