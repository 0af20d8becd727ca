"""Every subgraph set we can compose: this repo's, the router scenarios', the composer cases'."""

from __future__ import annotations

from pathlib import Path

from polyshop.supergraph_config import read_supergraph_config
from router.composition import SubgraphSource
from tests.support.compose_cases import CASES as COMPOSER_CASES

ROOT = Path(__file__).parents[3]
SCENARIOS = ROOT / "tests" / "router" / "scenarios"

REPO = "repo:supergraph.yaml"
SCENARIO = "scenario:"
CASE = "case:"


def repo_subgraphs() -> list[SubgraphSource]:
    """The subgraphs `polyshop compose` composes, with their committed SDL files."""
    config = read_supergraph_config(ROOT / "supergraph.yaml")
    return [
        SubgraphSource(entry.name, entry.routing_url, entry.schema_file.read_text())
        for entry in config.subgraphs
        if entry.schema_file is not None
    ]


def scenario_subgraphs(folder: Path) -> list[SubgraphSource]:
    """Same names and URLs as tests/router/fixtures/compose.mjs gives them."""
    return [
        SubgraphSource(p.stem, f"http://{p.stem}.invalid/graphql", p.read_text())
        for p in sorted(folder.glob("*.graphql"))
        if p.name != "supergraph.graphql"
    ]


def all_cases() -> dict[str, list[SubgraphSource]]:
    cases: dict[str, list[SubgraphSource]] = {REPO: repo_subgraphs()}
    for folder in sorted(SCENARIOS.iterdir()):
        if folder.is_dir() and (folder / "supergraph.graphql").exists():
            cases[SCENARIO + folder.name] = scenario_subgraphs(folder)
    for name, sources in COMPOSER_CASES.items():
        cases[CASE + name] = list(sources)
    return cases
