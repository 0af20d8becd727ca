"""Tools a run needs: the npm peers in ``bench/node_modules`` and the wrk load generator."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

BENCH = Path(__file__).resolve().parent


class InstallError(RuntimeError):
    pass


def node_modules_fresh(bench: Path = BENCH) -> bool:
    """True when node_modules was installed from the current package-lock.json."""
    marker = bench / "node_modules" / ".package-lock.json"
    lock = bench / "package-lock.json"
    return marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime


def ensure_node_modules(bench: Path = BENCH) -> None:
    """``npm ci`` from the lock file unless node_modules already matches it."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise InstallError("node and npm are needed (Node.js 20 or newer)")
    if node_modules_fresh(bench):
        return
    print("bench: installing the peers from the npm registry (npm ci) ...", flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=bench, check=True)


def ensure_wrk() -> str:
    """The wrk binary, installed with apt-get (Debian/Ubuntu) when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    command = ["apt-get", "install", "-y", "wrk"]
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise InstallError("wrk is missing: install it (apt-get install -y wrk)")
        command = ["sudo", "-n", *command]
    print(f"bench: installing wrk ({' '.join(command)}) ...", flush=True)
    subprocess.run(command, check=True)
    found = shutil.which("wrk")
    if not found:
        raise InstallError("wrk is still missing after apt-get")
    return found


def versions(bench: Path = BENCH) -> dict[str, str]:
    """Versions of the tools and peers, recorded with the results."""
    import json
    import platform

    found = {"python": platform.python_version()}
    for package in (
        "@apollo/gateway",
        "@apollo/server",
        "@graphql-hive/gateway",
        "@graphql-hive/router-runtime",
        "graphql",
    ):
        manifest = bench / "node_modules" / package / "package.json"
        if manifest.exists():
            found[package] = json.loads(manifest.read_text())["version"]
    grafbase = bench / "node_modules" / "@grafbase" / "cli-x86_64-unknown-linux-musl"
    if (grafbase / "package.json").exists():
        found["grafbase"] = json.loads((grafbase / "package.json").read_text())["version"]
    for tool, flag in (("node", "--version"), ("wrk", "-v")):
        if shutil.which(tool):
            result = subprocess.run([tool, flag], capture_output=True, text=True, check=False)
            found[tool] = (result.stdout or result.stderr).strip().splitlines()[0]
    return found
