"""`supergraph.yaml` and the service table agree on names and routing URLs."""

from __future__ import annotations

from pathlib import Path

import yaml

from polyshop.services import SERVICES, SERVICES_BY_NAME


def test_supergraph_yaml_matches_service_table(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "supergraph.yaml").read_text())
    declared = config["subgraphs"]
    assert set(declared) == {spec.name for spec in SERVICES}
    for name, entry in declared.items():
        assert entry["routing_url"] == SERVICES_BY_NAME[name].routing_url
        assert (repo_root / entry["schema"]["file"]).exists()
