"""GraphiQL for browsers, served from files vendored in ``static/`` (no CDN at page load).

Assets live under a path that contains a hash of their content, so browsers may cache them
forever and still pick up a new GraphiQL after an upgrade.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import html
from dataclasses import dataclass, field
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
ASSET_ROUTE = "/_graphiql/"
ASSET_FILES = {
    "graphiql.min.css": "text/css; charset=utf-8",
    "graphiql.min.js": "text/javascript; charset=utf-8",
    "react.production.min.js": "text/javascript; charset=utf-8",
    "react-dom.production.min.js": "text/javascript; charset=utf-8",
    "graphiql-init.js": "text/javascript; charset=utf-8",
}
PAGE_TEMPLATE = "graphiql.html"

# React sets inline styles, so styles need 'unsafe-inline'; scripts come only from us.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(slots=True)
class Asset:
    body: bytes
    content_type: str
    _gzipped: bytes | None = field(default=None, repr=False)

    async def gzipped(self) -> bytes:
        """The gzip encoding, computed once off the event loop."""
        if self._gzipped is None:
            self._gzipped = await asyncio.to_thread(gzip.compress, self.body, 6)
        return self._gzipped


@dataclass(frozen=True, slots=True)
class GraphiQL:
    """The page (pointed at ``endpoint``) and its assets, held in memory."""

    page: bytes
    assets: dict[str, Asset]
    version: str
    """Content hash in the asset URLs."""

    @classmethod
    async def load(cls, endpoint: str) -> GraphiQL:
        return await asyncio.to_thread(cls._load, endpoint)

    @classmethod
    def _load(cls, endpoint: str) -> GraphiQL:
        digest = hashlib.sha256()
        assets: dict[str, Asset] = {}
        for name, content_type in ASSET_FILES.items():
            body = (STATIC_DIR / name).read_bytes()
            digest.update(body)
            assets[name] = Asset(body, content_type)
        version = digest.hexdigest()[:16]
        template = (STATIC_DIR / PAGE_TEMPLATE).read_text(encoding="utf-8")
        page = template.replace("{assets}", f"{ASSET_ROUTE}{version}").replace(
            "{endpoint}", html.escape(endpoint, quote=True)
        )
        return cls(page=page.encode("utf-8"), assets=assets, version=version)

    def asset_for(self, path: str) -> Asset | None:
        """The asset at ``path`` (``/_graphiql/<version>/<name>``), None if there is none."""
        version, _, name = path[len(ASSET_ROUTE) :].partition("/")
        if version != self.version:
            return None
        return self.assets.get(name)
