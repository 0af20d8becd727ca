"""How each router under test is launched: ours in three configurations and the three peers.

Every router gets the same supergraph file and listens on 127.0.0.1. The peers run at their
defaults with ``NODE_ENV=production``, one process each (Hive Gateway ``--fork 1``). Ours
forwards the load generator's unique ``x-bench-nonce`` header to the subgraphs, so in-flight
deduplication can only share identical fetches of one client request, never across requests.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bench.servers import Server

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
NODE_BIN = BENCH / "node_modules" / ".bin"
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
                "POLYSHOP_ROUTER_LOG_LEVEL": "warning",
            }
            argv = [sys.executable, "-m", "router"]
            return Server(self.key, argv, port, REPO, log, env, "/graphql", PROBE)
        node_env = {"NODE_ENV": "production"}
        if self.kind == "apollo-gateway":
            argv = ["node", "peers/apollo-gateway.mjs", str(supergraph), str(port)]
            return Server(self.key, argv, port, BENCH, log, node_env, "/graphql", PROBE)
        config = {
            "hive-gateway": "peers/hive-default.config.mjs",
            "hive-gateway-router-runtime": "peers/hive-router-runtime.config.mjs",
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
)
ROUTERS_BY_KEY = {spec.key: spec for spec in ROUTERS}
PEERS = tuple(spec for spec in ROUTERS if not spec.ours)
