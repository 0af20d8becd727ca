"""``python -m bench.percore``: our router's CPU per request in process, one build against another.

The benchmark's Node subgraphs run as their own processes (``bench/subgraphs/``) on the
benchmark supergraph; each *variant* of our router is a child Python process that builds the
real `RouterApp` (1 worker's app: deduplication off, as ``bench/routers.py`` runs it) and drives
``POST /graphql`` straight into it (ASGI, no HTTP server), one request at a time, timing its
own CPU (``time.process_time``: the subgraphs are other processes, so only the router's work
counts). Variants take turns round after round in the same run, so they see the same busy
machine; the median of the rounds is printed per query with the ratio to the first variant.

A variant is the router's source at a git ref (``--ref main``: ``git archive`` into
``bench/results/percore-src/``), this checkout (``.``), or any folder holding a ``router``
package (``--src path``: e.g. a copy with mypyc-compiled modules). ``--profile N`` instead
runs cProfile over N requests per query in this checkout and prints the functions with the
most self time (share of the profiled CPU), the table quoted in ``bench/README.md``.

    .venv/bin/python -m bench.percore --ref main            # main vs this checkout
    .venv/bin/python -m bench.percore --profile 300         # where the CPU goes
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.queries import QUERY_NAMES, request_body
from bench.routers import BENCH, REPO
from bench.run import compose, subgraph_server

SOURCES = BENCH / "results" / "percore-src"
_MARK = "@percore"


async def _asgi_call(app: Any, body: bytes) -> bytes:
    """One POST /graphql straight into the app; the response body."""
    chunks: list[bytes] = []
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http",
        "path": "/graphql",
        "method": "POST",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await app(scope, receive, send)
    answer = b"".join(chunks)
    if status != 200 or b'"errors"' in answer:
        raise RuntimeError(f"status {status}: {answer[:300]!r}")
    return answer


async def _app(supergraph: str) -> Any:
    from router.http import RouterApp
    from router.settings import RouterSettings

    app = RouterApp(RouterSettings(hot_reload=False, supergraph=supergraph, deduplicate=False))
    await app.startup()
    return app


async def _worker(supergraph: str) -> None:
    """Child process: ``<query> <count>`` lines in, ``<µs per request> <answer hash>`` out."""
    app = await _app(supergraph)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line.strip():
            break
        query, count = line.split()
        body = request_body(query).encode()
        answer = b""
        used = 0.0
        for _ in range(int(count)):
            started = time.process_time()
            answer = await _asgi_call(app, body)
            used += time.process_time() - started
        print(f"{_MARK} {1e6 * used / int(count):.1f} {zlib.crc32(answer)}", flush=True)
    await app.shutdown()


class Variant:
    """One child process running one build of the router."""

    def __init__(self, label: str, src: Path, supergraph: Path) -> None:
        self.label = label
        env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{REPO}"}
        env["POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL"] = "warning"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.percore", "--worker", str(supergraph)],
            cwd=src,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, query: str, count: int) -> tuple[float, str]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{query} {count}\n")
        self.process.stdin.flush()
        while True:  # the router's own log lines may come first
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.label}: the worker stopped")
            if line.startswith(_MARK):
                break
        _, micros, answer = line.split()
        return float(micros), answer

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)


def source_at(ref: str) -> Path:
    """The ``router`` and ``polyshop`` packages at git ``ref``, unpacked once under
    ``bench/results/``."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    target = SOURCES / commit
    if not (target / "router").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "router", "polyshop"],
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


async def compare(
    variants: Sequence[tuple[str, Path]], queries: Sequence[str], count: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """µs of router CPU per request: query → variant label → one value per round."""
    found: dict[str, dict[str, list[float]]] = {
        q: {label: [] for label, _ in variants} for q in queries
    }
    with tempfile.TemporaryDirectory(prefix="bench-percore-") as folder:
        out = Path(folder)
        async with subgraph_server(out, workers=2) as subgraphs:
            supergraph = compose(subgraphs, out / "supergraph.graphql")
            running = [Variant(label, src, supergraph) for label, src in variants]
            try:
                for query in queries:
                    answers = {v.label: v.run(query, max(20, count // 5))[1] for v in running}
                    if len(set(answers.values())) != 1:
                        print(f"WARNING: {query}: the variants' answers differ {answers}")
                for number in range(rounds):
                    shift = number % len(running)
                    order = running[shift:] + running[:shift]
                    for query in queries:
                        for variant in order:
                            micros, _ = await asyncio.to_thread(variant.run, query, count)
                            found[query][variant.label].append(micros)
                    print(f"  round {number + 1}/{rounds} done", flush=True)
            finally:
                for variant in running:
                    variant.close()
    return found


def report(found: dict[str, dict[str, list[float]]]) -> str:
    labels = list(next(iter(found.values())))
    lines = [
        f"{'query':<8} "
        + " ".join(f"{label + ' µs':>16}" for label in labels)
        + " "
        + " ".join(f"{label + '/' + labels[0]:>16}" for label in labels[1:])
    ]
    for query, by_label in found.items():
        medians = [statistics.median(by_label[label]) for label in labels]
        ratios = [
            statistics.median(
                b / a for a, b in zip(by_label[labels[0]], by_label[label], strict=True)
            )
            for label in labels[1:]
        ]
        lines.append(
            f"{query:<8} "
            + " ".join(f"{m:>16.1f}" for m in medians)
            + " "
            + " ".join(f"{r:>16.3f}" for r in ratios)
        )
    return "\n".join(lines)


async def spy(queries: Sequence[str], seconds: float, top: int) -> str:
    """py-spy (attached to this process) while it loops on each query for ``seconds``: the
    functions with the most self time as shares of the busy samples (`bench.profile`)."""
    import shutil

    from bench import profile as collapsed

    binary = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    parts = []
    with tempfile.TemporaryDirectory(prefix="bench-percore-") as folder:
        out = Path(folder)
        async with subgraph_server(out, workers=2) as subgraphs:
            supergraph = compose(subgraphs, out / "supergraph.graphql")
            app = await _app(str(supergraph))
            try:
                for query in queries:
                    body = request_body(query).encode()
                    for _ in range(50):
                        await _asgi_call(app, body)
                    raw = out / f"{query}.txt"
                    # --gil: only the thread holding the GIL is sampled, so a thread blocked
                    # in a system call or preempted by other work on the machine (wall-clock
                    # time, not CPU) does not count; system time is ~6 % of this CPU.
                    recorder = await asyncio.to_thread(
                        subprocess.Popen,
                        [
                            binary,
                            "record",
                            "--pid",
                            str(os.getpid()),
                            "--format",
                            "raw",
                            "--gil",
                            "--rate",
                            "250",
                            "--duration",
                            str(round(seconds)),
                            "-o",
                            str(raw),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    done = 0
                    cpu = time.process_time()
                    end = time.monotonic() + seconds + 1
                    while time.monotonic() < end:
                        await _asgi_call(app, body)
                        done += 1
                    cpu = time.process_time() - cpu
                    await asyncio.to_thread(recorder.wait)
                    total, shares = collapsed.summarize(
                        raw.read_text().splitlines(), idle=("select (selectors.py)",)
                    )
                    rows = [
                        f"| {s.function[:90]} | {100 * s.self_share:.1f} "
                        f"| {100 * s.inclusive_share:.1f} |"
                        for s in collapsed.top_self(shares, top)
                    ]
                    parts.append(
                        f"{query}: {1e6 * cpu / done:.0f} µs CPU per request, {total} busy "
                        "samples\n\n| function (file) | self % | incl % |\n|---|---:|---:|\n"
                        + "\n".join(rows)
                    )
            finally:
                await app.shutdown()
    return "\n\n".join(parts)


async def profile(queries: Sequence[str], count: int, top: int) -> str:
    """cProfile over ``count`` requests per query in this process (after a warm-up)."""
    parts = []
    with tempfile.TemporaryDirectory(prefix="bench-percore-") as folder:
        out = Path(folder)
        async with subgraph_server(out, workers=2) as subgraphs:
            supergraph = compose(subgraphs, out / "supergraph.graphql")
            app = await _app(str(supergraph))
            try:
                for query in queries:
                    body = request_body(query).encode()
                    for _ in range(max(20, count // 5)):
                        await _asgi_call(app, body)
                    profiler = cProfile.Profile(time.process_time)
                    profiler.enable()
                    for _ in range(count):
                        await _asgi_call(app, body)
                    profiler.disable()
                    stats = pstats.Stats(profiler, stream=io.StringIO())
                    total = stats.total_tt  # type: ignore[attr-defined]
                    rows = []
                    for (path, line, name), (_, calls, self_time, cumulative, _) in sorted(
                        stats.stats.items(),  # type: ignore[attr-defined]
                        key=lambda item: -item[1][2],
                    )[:top]:
                        where = name if path == "~" else f"{Path(path).name}:{line} {name}"
                        rows.append(
                            f"| {where[:70]} | {100 * self_time / total:.1f} "
                            f"| {100 * cumulative / total:.1f} | {calls / count:.1f} |"
                        )
                    parts.append(
                        f"{query}: {1e6 * total / count:.0f} µs CPU per request under cProfile "
                        f"(its overhead included)\n\n| function | self % | incl % | calls/req |\n"
                        "|---|---:|---:|---:|\n" + "\n".join(rows)
                    )
            finally:
                await app.shutdown()
    return "\n\n".join(parts)


def main(
    ref: Annotated[
        list[str] | None, typer.Option(help="A git ref to compare (repeatable).")
    ] = None,
    src: Annotated[
        list[str] | None, typer.Option(help="LABEL=PATH of a router source (repeatable).")
    ] = None,
    queries: Annotated[str, typer.Option(help="Comma-separated.")] = ",".join(QUERY_NAMES),
    count: Annotated[int, typer.Option(help="Requests per variant, query and round.")] = 60,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds; medians reported.")] = 15,
    profile_count: Annotated[
        int, typer.Option("--profile", help="cProfile this checkout over N requests per query.")
    ] = 0,
    top: Annotated[int, typer.Option(help="Functions listed per query with --profile.")] = 15,
    spy_seconds: Annotated[
        float, typer.Option("--spy", help="py-spy this checkout for N s per query.")
    ] = 0.0,
    worker: Annotated[str, typer.Option(help="(internal) run as a variant's worker.")] = "",
) -> None:
    """Compare builds of our router by CPU per request, in process, same run."""
    if worker:
        asyncio.run(_worker(worker))
        return
    chosen = tuple(q.strip() for q in queries.split(",") if q.strip())
    if spy_seconds:
        print(asyncio.run(spy(chosen, spy_seconds, top)))
        return
    if profile_count:
        print(asyncio.run(profile(chosen, profile_count, top)))
        return
    variants = [(r, source_at(r)) for r in ref or ()]
    for item in src or ():
        label, _, path = item.partition("=")
        variants.append((label, Path(path).resolve()))
    variants.append(("this", REPO))
    found = asyncio.run(compare(variants, chosen, count, rounds))
    print(report(found))
    print(json.dumps(found))


if __name__ == "__main__":
    typer.run(main)
