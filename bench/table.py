"""Results of a run as plain data, and their text tables (results, ratios, subgraph headroom).

Pure functions over `Cell` lists, so the arithmetic can be tested without running anything.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SUBGRAPHS_KEY = "subgraphs"
CHAIN_KEY = "chain"
"""Cells of a plan's fetches sent directly to the subgraphs at 1 connection (`bench.chain`)."""
HEADROOM_REQUIRED = 3.0
ADDED_LATENCY_TARGET_MS = 1.0


@dataclass(frozen=True)
class Cell:
    """One router (or the subgraphs directly) under one query at one connection count."""

    router: str
    label: str
    query: str
    connections: int
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_seconds: float
    """CPU used by the router's process tree while the load ran."""
    peak_rss_bytes: int
    subgraph_cpu_seconds: float = 0.0
    fetches_per_request: int = 1
    """Subgraph requests behind one client request (used for the subgraph rows)."""
    round: int = 1
    """The round it was measured in (cells of one round and query ran back to back)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0

    @property
    def requests_per_core_second(self) -> float:
        """Throughput per core actually used: the per-core figure, independent of workers."""
        return self.requests / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    @property
    def cores_used(self) -> float:
        return self.cpu_seconds / self.seconds if self.seconds > 0 else 0.0


def median_cells(cells: Sequence[Cell]) -> list[Cell]:
    """Per (router, query, connections), the round with the median req/s (upper median).

    Whole cells are kept, not medians of each column, so every figure in a row was measured
    together.
    """
    groups: dict[tuple[str, str, int], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.router, cell.query, cell.connections), []).append(cell)
    chosen = []
    for group in groups.values():
        ordered = sorted(group, key=lambda c: c.rps)
        chosen.append(ordered[len(ordered) // 2])
    return chosen


def render(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A left-aligned first column and right-aligned numbers, separated by two spaces."""
    table = [list(headers), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(table):
        cells = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _groups(cells: Sequence[Cell]) -> list[tuple[str, int]]:
    seen: dict[tuple[str, int], None] = {}
    for cell in cells:
        seen.setdefault((cell.query, cell.connections), None)
    return list(seen)


def results_table(cells: Sequence[Cell]) -> str:
    headers = [
        "query / conns / router",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "CPU ms/req",
        "cores",
        "req/core-s",
        "peak RSS MB",
        "errors",
    ]
    rows = []
    for query, connections in _groups(cells):
        for cell in cells:
            if (cell.query, cell.connections) != (query, connections):
                continue
            rows.append(
                [
                    f"{query} c={connections} {cell.label}",
                    f"{cell.rps:,.0f}",
                    f"{cell.p50_ms:.2f}",
                    f"{cell.p95_ms:.2f}",
                    f"{cell.p99_ms:.2f}",
                    f"{cell.cpu_ms_per_request:.3f}",
                    f"{cell.cores_used:.2f}",
                    f"{cell.requests_per_core_second:,.0f}",
                    f"{cell.peak_rss_bytes / 2**20:.0f}",
                    str(cell.errors),
                ]
            )
    return render(headers, rows)


@dataclass(frozen=True)
class Ratio:
    query: str
    connections: int
    ours: str
    peer: str
    rps: float
    """ours ÷ peer requests/s: above 1 means ours serves more."""
    cpu: float
    """ours ÷ peer CPU per request: below 1 means ours spends less."""
    p99: float
    """ours ÷ peer p99 latency: below 1 means ours answers faster."""


def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def ratios(cells: Sequence[Cell], ours: Sequence[str], peers: Sequence[str]) -> list[Ratio]:
    """Every ours-variant against every peer, per query and connection count."""
    index = {(c.router, c.query, c.connections): c for c in cells}
    found = []
    for query, connections in _groups(cells):
        for mine in ours:
            a = index.get((mine, query, connections))
            if a is None:
                continue
            for peer in peers:
                b = index.get((peer, query, connections))
                if b is None:
                    continue
                found.append(
                    Ratio(
                        query,
                        connections,
                        a.label,
                        b.label,
                        _div(a.rps, b.rps),
                        _div(a.cpu_ms_per_request, b.cpu_ms_per_request),
                        _div(a.p99_ms, b.p99_ms),
                    )
                )
    return found


def ratios_table(found: Sequence[Ratio]) -> str:
    """One row per (query, connections, ours-variant); per peer, req/s and CPU/req ratios."""
    peers = list(dict.fromkeys(r.peer for r in found))
    rows: dict[tuple[str, int, str], dict[str, Ratio]] = {}
    for r in found:
        rows.setdefault((r.query, r.connections, r.ours), {})[r.peer] = r
    headers = ["query / conns / ours"]
    for number, _peer in enumerate(peers, 1):
        headers += [f"P{number} req/s x", f"P{number} CPU x"]
    lines = []
    for (query, connections, ours), by_peer in rows.items():
        line = [f"{query} c={connections} {ours}"]
        for peer in peers:
            found_ratio = by_peer.get(peer)
            if found_ratio is None:
                line += ["-", "-"]
            else:
                line += [f"{found_ratio.rps:.2f}", f"{found_ratio.cpu:.2f}"]
        lines.append(line)
    legend = "  ".join(f"P{number} = {peer}" for number, peer in enumerate(peers, 1))
    return render(headers, lines) + "\n" + legend


@dataclass(frozen=True)
class Headroom:
    query: str
    subgraph_rps: float
    """Subgraph requests per second, measured directly at the highest connection count."""
    fetches_per_request: int
    fastest_router: str
    fastest_rps: float
    """The best router's client requests per second on this query, at any connection count."""

    @property
    def equivalent_rps(self) -> float:
        """Client requests per second the subgraph answers amount to."""
        return self.subgraph_rps / max(1, self.fetches_per_request)

    @property
    def ratio(self) -> float:
        return _div(self.equivalent_rps, self.fastest_rps)

    @property
    def ok(self) -> bool:
        return self.ratio >= HEADROOM_REQUIRED


def headroom(cells: Sequence[Cell]) -> list[Headroom]:
    """How much faster the subgraphs alone are than the fastest router, per query."""
    found = []
    for query in dict.fromkeys(cell.query for cell in cells):
        group = [c for c in cells if c.query == query]
        direct = [c for c in group if c.router == SUBGRAPHS_KEY]
        routers = [c for c in group if c.router not in (SUBGRAPHS_KEY, CHAIN_KEY)]
        if not direct or not routers:
            continue
        fastest = max(routers, key=lambda c: c.rps)
        sub = max(direct, key=lambda c: c.rps)
        found.append(Headroom(query, sub.rps, sub.fetches_per_request, fastest.label, fastest.rps))
    return found


def headroom_table(found: Sequence[Headroom]) -> str:
    headers = [
        "query",
        "subgraph req/s",
        "fetches/req",
        "as client req/s",
        "fastest router",
        "its req/s",
        "headroom",
    ]
    rows = [
        [
            h.query,
            f"{h.subgraph_rps:,.0f}",
            str(h.fetches_per_request),
            f"{h.equivalent_rps:,.0f}",
            h.fastest_router,
            f"{h.fastest_rps:,.0f}",
            f"{h.ratio:.1f}x" + ("" if h.ok else f"  < {HEADROOM_REQUIRED:.0f}x !"),
        ]
        for h in found
    ]
    return render(headers, rows)


@dataclass(frozen=True)
class AddedLatency:
    """Our p50 at 1 connection minus the p50 of our plan's fetches sent directly (the chain)."""

    query: str
    ours_p50_ms: float
    chain_p50_ms: float
    added_ms: float
    """Median over rounds of (ours p50 - chain p50), each pair measured back to back."""
    fetches: int
    rounds: int

    @property
    def ok(self) -> bool:
        return self.added_ms <= ADDED_LATENCY_TARGET_MS


def added_latency(cells: Sequence[Cell], ours: str) -> list[AddedLatency]:
    """Per query, from every round's cells (not the medians): our router ``ours`` and the chain
    at 1 connection, paired by round; the medians of the p50s and of their differences."""
    found = []
    for query in dict.fromkeys(cell.query for cell in cells):
        mine = {c.round: c for c in cells if (c.router, c.query, c.connections) == (ours, query, 1)}
        chain = {
            c.round: c for c in cells if (c.router, c.query, c.connections) == (CHAIN_KEY, query, 1)
        }
        rounds = sorted(set(mine) & set(chain))
        if not rounds:
            continue
        found.append(
            AddedLatency(
                query,
                statistics.median(mine[r].p50_ms for r in rounds),
                statistics.median(chain[r].p50_ms for r in rounds),
                statistics.median(mine[r].p50_ms - chain[r].p50_ms for r in rounds),
                chain[rounds[0]].fetches_per_request,
                len(rounds),
            )
        )
    return found


def added_latency_table(found: Sequence[AddedLatency]) -> str:
    headers = ["query", "fetches", "our p50 ms", "chain p50 ms", "added ms", "target"]
    rows = [
        [
            a.query,
            str(a.fetches),
            f"{a.ours_p50_ms:.3f}",
            f"{a.chain_p50_ms:.3f}",
            f"{a.added_ms:.3f}",
            ("pass" if a.ok else "FAIL") + f" (≤ {ADDED_LATENCY_TARGET_MS:g} ms)",
        ]
        for a in found
    ]
    return render(headers, rows)
