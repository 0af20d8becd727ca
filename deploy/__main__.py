"""``python -m deploy``: refresh every generated deploy file after a change elsewhere.

- ``deploy/constraints.txt`` (the image's pinned versions, from this environment);
- ``deploy/kubernetes/base`` manifests and supergraph copy (from the service table and
  ``schema/supergraph.graphql``);
- the settings table in ``docs/deploy.md`` (from the settings classes).

``python -m deploy --check`` changes nothing and exits 1 when one of them is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deploy import kubernetes_manifests, requirements, settings_table

REPO_ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = REPO_ROOT / "deploy" / "constraints.txt"


def expected() -> dict[Path, str]:
    runtime = requirements.runtime_requirements(REPO_ROOT / "pyproject.toml")
    files = {CONSTRAINTS: requirements.HEADER + "\n".join(requirements.frozen(runtime)) + "\n"}
    files.update(kubernetes_manifests.outputs())
    table = settings_table.render(settings_table.sections())
    files[settings_table.DOC] = settings_table.replaced(settings_table.DOC.read_text(), table)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a file is stale")
    args = parser.parse_args()
    stale = []
    for path, text in expected().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    verb = "stale" if args.check else "wrote"
    for path in stale:
        print(
            f"{verb}: {path.relative_to(REPO_ROOT)}", file=sys.stderr if args.check else sys.stdout
        )
    sys.exit(1 if args.check and stale else 0)


if __name__ == "__main__":
    main()
