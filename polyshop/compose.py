"""`polyshop compose`: supergraph.yaml → schema/<name>.graphql and schema/supergraph.graphql."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from polyshop.supergraph_config import SupergraphConfig, fetch_subgraph_sdl
from router.composition import CompositionError, SubgraphSource, compose


@dataclass(frozen=True, slots=True)
class ComposeOutcome:
    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...]
    subgraph_sdls: dict[str, str]


async def gather_subgraph_sdls(config: SupergraphConfig) -> dict[str, str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        sdls = await asyncio.gather(*(fetch_subgraph_sdl(e, session) for e in config.subgraphs))
    return {entry.name: sdl for entry, sdl in zip(config.subgraphs, sdls, strict=True)}


def compose_config(config: SupergraphConfig, sdls: dict[str, str]) -> ComposeOutcome:
    sources = [SubgraphSource(e.name, e.routing_url, sdls[e.name]) for e in config.subgraphs]
    result = compose(sources)
    return ComposeOutcome(result.supergraph_sdl, tuple(result.errors), sdls)


def write_outputs(outcome: ComposeOutcome, schema_dir: Path) -> list[Path]:
    """Write the supergraph and every subgraph SDL; only files whose text changed are touched,
    so the router's hot reload sees one change per real change."""
    assert outcome.supergraph_sdl is not None
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = []
    files = {f"{name}.graphql": sdl for name, sdl in outcome.subgraph_sdls.items()}
    files["supergraph.graphql"] = outcome.supergraph_sdl
    for filename, text in files.items():
        path = schema_dir / filename
        text = text if text.endswith("\n") else text + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written
