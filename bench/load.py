"""The load generator: wrk with `wrk/graphql.lua` (POST bodies, optional unique header).

wrk is an event-driven C client: one thread sustains far more requests per second than any
router here, so it is not what limits a measurement. The Lua script prints one JSON line with
the counts and latency percentiles, parsed by `parse_result`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).parent / "wrk" / "graphql.lua"
MARKER = "BENCH_RESULT "


class LoadError(RuntimeError):
    """wrk failed or printed no result."""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    """Socket errors, timeouts and non-2xx answers."""
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_2xx: int = 0
    """Of ``errors``, the answers with a status other than 2xx/3xx."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def parse_result(output: str) -> LoadResult:
    """Read the script's ``BENCH_RESULT {...}`` line from wrk's output."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            latency = raw["latency_us"]
            return LoadResult(
                requests=int(raw["requests"]),
                seconds=raw["duration_us"] / 1e6,
                errors=sum(int(count) for count in raw["errors"].values()),
                non_2xx=int(raw["errors"]["status"]),
                p50_ms=latency["p50"] / 1000,
                p95_ms=latency["p95"] / 1000,
                p99_ms=latency["p99"] / 1000,
            )
    raise LoadError(f"no {MARKER.strip()} line in wrk output:\n{output[-2000:]}")


def write_requests(path: Path, requests: list[tuple[str, str]]) -> Path:
    """Write (URL path, JSON body) pairs in the script's one-request-per-line format."""
    lines = []
    for url_path, body in requests:
        compact = json.dumps(json.loads(body), separators=(",", ":"))
        lines.append(f"{url_path}\t{compact}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def wrk_binary() -> str | None:
    return shutil.which("wrk")


async def run_wrk(
    base_url: str,
    requests_file: Path,
    *,
    seconds: float,
    connections: int,
    nonce: bool,
    timeout_s: float = 30.0,
    headers_file: Path | None = None,
    authorization: str = "",
) -> LoadResult:
    """Hold ``connections`` keep-alive connections busy for ``seconds``; one wrk thread.
    ``headers_file`` holds ``Name: value`` lines sent with every request; ``authorization``,
    when given, is every request's Authorization header."""
    binary = wrk_binary()
    if binary is None:
        raise LoadError("wrk is not installed")
    process = await asyncio.create_subprocess_exec(
        binary,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={int(timeout_s)}s",
        "-s",
        str(SCRIPT),
        base_url,
        env={
            "BENCH_REQUESTS": str(requests_file),
            "BENCH_NONCE": "1" if nonce else "0",
            "BENCH_HEADERS": str(headers_file) if headers_file is not None else "",
            "BENCH_AUTHORIZATION": authorization,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise LoadError(f"wrk exited with {process.returncode}:\n{text[-2000:]}")
    return parse_result(text)
