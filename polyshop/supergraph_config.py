"""`supergraph.yaml` in rover's format, and fetching each subgraph's SDL from it.

```yaml
federation_version: =2.9.0
subgraphs:
  products:
    routing_url: http://127.0.0.1:4002/graphql
    schema:
      file: ./schema/products.graphql        # or: subgraph_url: http://.../graphql
```
A `subgraph_url` is introspected with the federation query `{ _service { sdl } }`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml


class SupergraphConfigError(ValueError):
    """supergraph.yaml is missing, malformed, or names a schema that cannot be read."""


@dataclass(frozen=True, slots=True)
class SubgraphEntry:
    name: str
    routing_url: str
    schema_file: Path | None = None
    subgraph_url: str | None = None


@dataclass(frozen=True, slots=True)
class SupergraphConfig:
    federation_version: str | None
    subgraphs: tuple[SubgraphEntry, ...]

    def entry(self, name: str) -> SubgraphEntry:
        for entry in self.subgraphs:
            if entry.name == name:
                return entry
        known = ", ".join(e.name for e in self.subgraphs)
        raise SupergraphConfigError(f"no subgraph {name!r} in supergraph.yaml (known: {known})")


def read_supergraph_config(path: Path) -> SupergraphConfig:
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise SupergraphConfigError(f"cannot read {path}: {error}") from error
    except yaml.YAMLError as error:
        raise SupergraphConfigError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("subgraphs"), dict):
        raise SupergraphConfigError(f"{path}: expected a mapping with a 'subgraphs' mapping")
    entries = []
    for name, spec in raw["subgraphs"].items():
        if not isinstance(spec, dict) or "routing_url" not in spec:
            raise SupergraphConfigError(f"{path}: subgraph {name!r} needs a routing_url")
        schema = spec.get("schema") or {}
        schema_file = schema.get("file")
        subgraph_url = schema.get("subgraph_url")
        if (schema_file is None) == (subgraph_url is None):
            raise SupergraphConfigError(
                f"{path}: subgraph {name!r} needs exactly one of schema.file, schema.subgraph_url"
            )
        entries.append(
            SubgraphEntry(
                name=str(name),
                routing_url=str(spec["routing_url"]),
                schema_file=(path.parent / schema_file).resolve() if schema_file else None,
                subgraph_url=subgraph_url,
            )
        )
    version = raw.get("federation_version")
    return SupergraphConfig(str(version) if version is not None else None, tuple(entries))


SERVICE_SDL_QUERY = "query SubgraphIntrospectQuery { _service { sdl } }"


async def fetch_subgraph_sdl(entry: SubgraphEntry, session: aiohttp.ClientSession) -> str:
    """The subgraph's SDL from its file, or from the running subgraph via `_service`."""
    if entry.schema_file is not None:
        try:
            return entry.schema_file.read_text()
        except OSError as error:
            message = f"{entry.name}: cannot read schema file: {error}"
            raise SupergraphConfigError(message) from error
    assert entry.subgraph_url is not None
    try:
        async with session.post(entry.subgraph_url, json={"query": SERVICE_SDL_QUERY}) as response:
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        raise SupergraphConfigError(
            f"{entry.name}: cannot introspect {entry.subgraph_url}: {error}"
        ) from error
    data = body.get("data") if isinstance(body, dict) else None
    sdl = ((data or {}).get("_service") or {}).get("sdl")
    if not isinstance(sdl, str):
        raise SupergraphConfigError(
            f"{entry.name}: {entry.subgraph_url} did not answer _service {{ sdl }}: {body}"
        )
    return sdl
