"""How each router under test is launched: ours in three configurations and four peers.

Every router gets the same supergraph file and listens on 127.0.0.1. The JavaScript peers run at
their defaults with ``NODE_ENV=production``, one process each (Hive Gateway ``--fork 1``).
Grafbase's gateway (Rust) runs as ``grafbase dev`` from the npm registry's Linux binary: it
composes the same four subgraph schemas itself (its configuration file names each subgraph's
SDL and the routing URL taken from the supergraph), so it serves the same graph. Ours
forwards the load generator's unique ``x-bench-nonce`` header to the subgraphs, so in-flight
deduplication can only share identical fetches of one client request, never across requests.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.servers import Server

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
NODE_BIN = BENCH / "node_modules" / ".bin"
GRAFBASE = BENCH / "node_modules" / "@grafbase" / "cli-x86_64-unknown-linux-musl" / "grafbase"
"""The Grafbase CLI binary (an optional npm dependency: x86_64 Linux only)."""
JOIN_GRAPH = re.compile(r'@join__graph\(name:\s*"([^"]+)",\s*url:\s*"([^"]+)"\)')
NONCE_HEADER = "x-bench-nonce"
PROBE = b'{"query":"{ __typename }"}'


@dataclass(frozen=True)
class RouterSpec:
    key: str
    label: str
    ours: bool = False
    workers: int = 1
    deduplicate: bool = False
    kind: str = "polyshop"

    def server(self, supergraph: Path, port: int, logs: Path) -> Server:
        """The `Server` that runs this router on ``supergraph``."""
        log = logs / f"{self.key}.log"
        if self.kind == "polyshop":
            env = {
                "POLYSHOP_ROUTER_SUPERGRAPH": str(supergraph),
                "POLYSHOP_ROUTER_HOST": "127.0.0.1",
                "POLYSHOP_ROUTER_PORT": str(port),
                "POLYSHOP_ROUTER_WORKERS": str(self.workers),
                "POLYSHOP_ROUTER_DEDUPLICATE": "true" if self.deduplicate else "false",
                "POLYSHOP_ROUTER_PROPAGATE_HEADERS_EXTRA": NONCE_HEADER,
                "POLYSHOP_ROUTER_HOT_RELOAD": "false",
                "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
            }
            argv = [sys.executable, "-m", "router"]
            return Server(self.key, argv, port, REPO, log, env, "/graphql", PROBE)
        if self.kind == "grafbase":
            toml = grafbase_config(supergraph, logs / "grafbase.toml")
            argv = [
                str(GRAFBASE),
                "--home",
                str(logs / "grafbase-home"),
                "dev",
                "--config",
                str(toml),
                "--port",
                str(port),
            ]
            return Server(self.key, argv, port, BENCH, log, {}, "/graphql", PROBE)
        node_env = {"NODE_ENV": "production"}
        if self.kind == "apollo-gateway":
            argv = ["node", "peers/apollo-gateway.mjs", str(supergraph), str(port)]
            return Server(self.key, argv, port, BENCH, log, node_env, "/graphql", PROBE)
        config = {
            "hive-gateway": "peers/hive-default.config.mjs",
            "hive-gateway-router-runtime": "peers/hive-router-runtime.config.mjs",
            "hive-gateway-subscriptions": "peers/hive-subscriptions.config.mjs",
        }[self.kind]
        argv = [
            str(NODE_BIN / "hive-gateway"),
            "--config-path",
            config,
            "supergraph",
            str(supergraph),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--fork",
            "1",
        ]
        return Server(self.key, argv, port, BENCH, log, node_env, "/graphql", PROBE)


def grafbase_config(supergraph: Path, target: Path) -> Path:
    """``grafbase.toml`` for the supergraph's subgraphs: each one's SDL from
    ``bench/subgraphs`` and its routing URL from the supergraph's ``join__Graph``."""
    graphs = JOIN_GRAPH.findall(supergraph.read_text(encoding="utf-8"))
    if not graphs:
        raise ValueError(f"{supergraph} names no subgraph (@join__graph)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        "".join(
            f'[subgraphs.{name.lower()}]\nurl = "{url}"\n'
            f'schema_path = "{BENCH / "subgraphs" / f"{name.lower()}.graphql"}"\n\n'
            for name, url in graphs
        ),
        encoding="utf-8",
    )
    return target


OURS = RouterSpec("polyshop", "polyshop (dedup off, 1 worker)", ours=True)
ROUTERS: tuple[RouterSpec, ...] = (
    OURS,
    RouterSpec("polyshop-dedup", "polyshop (dedup on*, 1 worker)", ours=True, deduplicate=True),
    RouterSpec("polyshop-2w", "polyshop (dedup off, 2 workers)", ours=True, workers=2),
    RouterSpec("apollo-gateway", "Apollo Gateway", kind="apollo-gateway"),
    RouterSpec("hive-gateway", "Hive Gateway (JS planner)", kind="hive-gateway"),
    RouterSpec(
        "hive-gateway-rr",
        "Hive Gateway (router-runtime)",
        kind="hive-gateway-router-runtime",
    ),
    RouterSpec("grafbase", "Grafbase gateway (Rust)", kind="grafbase"),
)
ROUTERS_BY_KEY = {spec.key: spec for spec in ROUTERS}
PEERS = tuple(spec for spec in ROUTERS if not spec.ours)
