"""Runs ``@theguild/federation-composition`` (pinned in tests/router/fixtures) over many cases.

One Node process composes every case (``compose_theguild.mjs``), so the cross-check costs a
couple of seconds whatever the number of cases.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from router.composition import SubgraphSource
from tests.support.live_oracle.outcome import Outcome

PACKAGE_DIR = Path(__file__).parents[2] / "router" / "fixtures"
SCRIPT = Path(__file__).with_name("compose_theguild.mjs")
COMPOSER = PACKAGE_DIR / "node_modules" / "@theguild" / "federation-composition"
NODE_TIMEOUT = 120
NPM_TIMEOUT = 300


class TheGuildUnavailable(Exception):
    """Node (or npm, to install the pinned composer) is not on this machine."""


def ensure_installed() -> str:
    """Path of `node`, with the pinned composer installed (``npm ci`` once if missing)."""
    node = shutil.which("node")
    if node is None:
        raise TheGuildUnavailable("Node.js is not installed (no `node` on PATH)")
    if not COMPOSER.is_dir():
        npm = shutil.which("npm")
        if npm is None:
            raise TheGuildUnavailable(
                f"{COMPOSER.relative_to(PACKAGE_DIR.parents[2])} is missing and `npm` is not "
                "installed to run `npm ci --prefix tests/router/fixtures`"
            )
        installed = subprocess.run(
            [npm, "ci", "--prefix", str(PACKAGE_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
        if installed.returncode != 0:
            raise RuntimeError(f"npm ci --prefix {PACKAGE_DIR} failed:\n{installed.stderr}")
    return node


def compose_all(cases: Mapping[str, Sequence[SubgraphSource]]) -> dict[str, Outcome | str]:
    """Each case's outcome, or the Node stack trace where the composer crashed."""
    node = ensure_installed()
    payload = [
        {
            "name": name,
            "subgraphs": [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in sources],
        }
        for name, sources in cases.items()
    ]
    run = subprocess.run(
        [node, str(SCRIPT), str(PACKAGE_DIR)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} exited with {run.returncode}:\n{run.stderr}")
    results: dict[str, Outcome | str] = {}
    for item in json.loads(run.stdout):
        if "crashed" in item:
            results[item["name"]] = item["crashed"]
        elif "errors" in item:
            errors = item["errors"]
            results[item["name"]] = Outcome(
                None,
                frozenset(str(e["code"]) for e in errors),
                tuple(f"{e['code']}: {e['message']}" for e in errors),
            )
        else:
            results[item["name"]] = Outcome(item["supergraph"], frozenset())
    return results
