"""The generated files under `schema/` are what the code prints and composes today.

Subgraph teams change their Strawberry types; these tests fail until the printed SDL and the
composed supergraph are regenerated (`python -m subgraphs.<name>.schema > schema/<name>.graphql`,
then `polyshop compose`), so the router never runs on a stale supergraph.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from polyshop.compose import compose_config
from polyshop.supergraph_config import SubgraphEntry, read_supergraph_config

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = read_supergraph_config(REPO_ROOT / "supergraph.yaml")


@pytest.mark.parametrize("entry", CONFIG.subgraphs, ids=lambda entry: entry.name)
def test_committed_subgraph_sdl_is_what_the_service_prints(entry: SubgraphEntry) -> None:
    assert entry.schema_file is not None, "this repo's subgraphs are composed from files"
    printed = importlib.import_module(f"subgraphs.{entry.name}.schema").sdl()
    assert entry.schema_file.read_text() == printed, (
        f"{entry.schema_file.name} is stale: run "
        f"`python -m subgraphs.{entry.name}.schema > schema/{entry.name}.graphql`"
    )


def test_committed_supergraph_is_the_composition_of_the_committed_subgraphs() -> None:
    sdls = {e.name: e.schema_file.read_text() for e in CONFIG.subgraphs if e.schema_file}
    outcome = compose_config(CONFIG, sdls)
    assert not outcome.errors, [f"{e.code}: {e.message}" for e in outcome.errors]
    assert outcome.supergraph_sdl is not None
    committed = (REPO_ROOT / "schema" / "supergraph.graphql").read_text()
    expected = outcome.supergraph_sdl.rstrip("\n") + "\n"
    assert committed == expected, "schema/supergraph.graphql is stale: run `polyshop compose`"
