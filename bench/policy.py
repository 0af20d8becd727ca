"""``python -m bench.policy``: what request policy costs the router, and what dedup saves.

Part 1, policy cost: our router (one worker) on the benchmark subgraphs, loaded by wrk with the
``small`` query, in three configurations measured in the same run, alternating, ``--rounds``
times: the reference (a plain name allowlist, no rate limits), ``headers`` (a realistic
``headers`` section: named propagation with rename and default, two regex propagations, a static
insert, a remove, per-subgraph rules, a response rule) and ``rate_limit`` (router-wide,
per-client and per-subgraph buckets, in memory, large enough never to refuse). The reference's
clients send the headers the rules would produce, so every configuration sends identical
subgraph requests: what differs is the policy's own work. Printed: router CPU per request, its ratio
to the reference, and the overhead in percent of router CPU (the target is under 5 %). On a
shared machine that end-to-end ratio is noisy (other load changes the CPU a request costs), so
the policies' own work is also timed in-process and printed as a share of the reference's
router CPU per request.

Part 2, deduplication: many identical concurrent queries (``--dedup-connections``, no unique
header, so each request gets its own fresh correlation id, as real clients do) with
deduplication off and on. Printed: requests per second, router CPU per request, subgraph
fetches per client request (from the router's own metrics) and the on/off ratios. This is the
measurement behind the ``deduplicate`` default (docs/decisions/0024-dedup-key-and-default.md).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import aiohttp
import typer
from prometheus_client.parser import text_string_to_metric_families

from bench import install, load
from bench.procstat import TreeUsage
from bench.queries import request_body
from bench.routers import PROBE, REPO
from bench.run import compose, subgraph_server
from bench.servers import Server, free_port

HEADER_RULES = {
    "all": {
        "request": [
            {"propagate": {"named": "authorization"}},
            {"propagate": {"named": "x-client-version", "rename": "x-app-version"}},
            {"propagate": {"named": "x-tenant", "default": "public"}},
            {"propagate": {"matching": "x-trace-.*"}},
            {"propagate": {"matching": "x-feature-[a-z]+"}},
            {"insert": {"name": "x-router", "value": "polyshop"}},
            {"remove": {"named": "x-trace-secret"}},
        ]
    },
    "subgraphs": {
        "products": {
            "request": [{"propagate": {"named": "x-products-hint", "rename": "x-hint"}}],
            "response": [{"propagate": {"named": "set-cookie"}}],
        }
    },
}
RULES_CLIENT = {
    "authorization": "Bearer bench",
    "x-client-version": "2.1",
    "x-trace-id": "abc",
    "x-trace-secret": "hush",
    "x-feature-dark": "on",
    "x-other": "dropped",
}
"""What clients send to the router with header rules: the rules turn it into `SENT`."""
SENT = {
    "authorization": "Bearer bench",
    "x-app-version": "2.1",
    "x-tenant": "public",
    "x-trace-id": "abc",
    "x-feature-dark": "on",
    "x-router": "polyshop",
    "x-other": "dropped",
}
"""What clients send to the reference router, which forwards the same headers to the
subgraphs by a plain name allowlist: both configurations send identical subgraph requests,
so the difference is the rules' own cost, not the cost of sending more headers."""
ALLOWLIST = {
    "POLYSHOP_ROUTER_PROPAGATE_HEADERS_EXTRA": "x-app-version,x-tenant,x-trace-id,x-feature-dark,"
    "x-router"
}
RATE_LIMITS = {
    "router": {"capacity": 10_000_000, "interval": "1s"},
    "per_client": {"capacity": 10_000_000, "interval": "1s", "key": "ip"},
    "all": {"capacity": 10_000_000, "interval": "1s"},
}
VARIANTS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "reference": (ALLOWLIST, SENT),
    "headers": ({"POLYSHOP_ROUTER_HEADERS": json.dumps(HEADER_RULES)}, RULES_CLIENT),
    "rate_limit": ({**ALLOWLIST, "POLYSHOP_ROUTER_RATE_LIMIT": json.dumps(RATE_LIMITS)}, SENT),
}
"""name → (router environment, client headers)."""


@dataclass
class Sample:
    rps: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    errors: int = 0
    own_us: list[float] = field(default_factory=list)
    """The policy's own work per request, timed in-process (µs)."""
    own_share: list[float] = field(default_factory=list)
    """``own_us`` over the reference's router CPU per request of the same round."""


def router_server(supergraph: Path, logs: Path, name: str, env: dict[str, str]) -> Server:
    port = free_port()
    values = {
        "POLYSHOP_ROUTER_SUPERGRAPH": str(supergraph),
        "POLYSHOP_ROUTER_HOST": "127.0.0.1",
        "POLYSHOP_ROUTER_PORT": str(port),
        "POLYSHOP_ROUTER_HOT_RELOAD": "false",
        "POLYSHOP_ROUTER_TELEMETRY__EXPORTERS__LOGGING__LEVEL": "warning",
        "POLYSHOP_ROUTER_DEDUPLICATE": "false",
        "POLYSHOP_ROUTER_CSRF_PREVENTION": "false",
        **env,
    }
    argv = [sys.executable, "-m", "router"]
    return Server(name, argv, port, REPO, logs / f"{name}.log", values, "/graphql", PROBE)


async def load_router(
    router: Server,
    requests: Path,
    seconds: float,
    warmup: float,
    connections: int,
    headers: Path | None = None,
) -> tuple[load.LoadResult, float]:
    """(wrk result, router CPU ms per request)."""
    if warmup > 0:
        await load.run_wrk(
            router.url,
            requests,
            seconds=warmup,
            connections=connections,
            nonce=False,
            headers_file=headers,
        )
    usage = TreeUsage(router.pid)
    usage.start()
    result = await load.run_wrk(
        router.url,
        requests,
        seconds=seconds,
        connections=connections,
        nonce=False,
        headers_file=headers,
    )
    cpu = await usage.stop()
    return result, 1000 * cpu / max(1, result.requests)


def write_headers(path: Path, headers: dict[str, str]) -> Path:
    path.write_text("".join(f"{name}: {value}\n" for name, value in headers.items()))
    return path


def counter(text: str, name: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                total += sample.value
    return total


async def metrics(router: Server) -> str:
    async with aiohttp.ClientSession() as session, session.get(router.url + "/metrics") as reply:
        return await reply.text()


async def policy_cost(
    supergraph: Path, logs: Path, work: Path, seconds: float, warmup: float, rounds: int
) -> dict[str, Sample]:
    requests = load.write_requests(work / "small.txt", [("/graphql", request_body("small"))])
    samples = {name: Sample() for name in VARIANTS}
    for round_index in range(rounds):
        for name, (env, client_headers) in VARIANTS.items():
            headers = write_headers(work / f"{name}.headers", client_headers)
            async with router_server(supergraph, logs, f"policy-{name}", env) as router:
                result, cpu_ms = await load_router(router, requests, seconds, warmup, 8, headers)
            samples[name].rps.append(result.rps)
            samples[name].cpu_ms.append(cpu_ms)
            samples[name].errors += result.errors
            print(
                f"  round {round_index + 1} {name:11} {result.rps:8,.0f} req/s  "
                f"CPU {cpu_ms:6.3f} ms/req  errors {result.errors}",
                flush=True,
            )
            if name == "reference":
                # the policies' own work, timed right after the reference was measured
                headers_us, rate_us = await policy_micro()
                samples["headers"].own_share.append(headers_us / (1000 * cpu_ms))
                samples["rate_limit"].own_share.append(rate_us / (1000 * cpu_ms))
                samples["headers"].own_us.append(headers_us)
                samples["rate_limit"].own_us.append(rate_us)
    return samples


async def policy_micro(iterations: int = 20_000) -> tuple[float, float]:
    """The policies' own work per request, in this process (µs): header rules (the built-in
    ``headers`` plugin through the plugin pipeline, as the router runs it: the request's plugin
    run, then for one fetch of the ``small`` query its subgraph request and response stages,
    with their stage objects) and rate limits (router, per-client and one subgraph bucket).
    Immune to the load generator."""
    from router.config.rate_limit import RateLimitConfig
    from router.http.app import header_rules_plugin
    from router.plugins import SubgraphRequest, SubgraphResponse
    from router.plugins.pipeline import PluginPipeline
    from router.policy.rate_limit import LocalBuckets, RateLimiter
    from router.settings import RouterSettings
    from router.shared import SharedState

    settings = RouterSettings(headers=HEADER_RULES, propagate_headers=("authorization",))
    loaded = header_rules_plugin(settings)
    assert loaded is not None
    pipeline = PluginPipeline([loaded])
    client = {**RULES_CLIENT, "host": "127.0.0.1", "content-type": "application/json"}
    own = {"x-correlation-id": "c0ffee", "x-forwarded-for": "127.0.0.1"}
    answer = {"content-type": "application/json", "content-length": "120"}
    body: dict[str, object] = {"data": {}}
    started = time.perf_counter()
    for _ in range(iterations):
        run = pipeline.begin()
        request = SubgraphRequest(
            run.context, "products", "", dict(own), raw=b"{}", client_headers=client
        )
        if run.call("subgraph_request", request) is not None:
            raise RuntimeError("the headers plugin answered in the subgraph's place")
        response = SubgraphResponse(run.context, "products", 200, answer, body)
        run.call("subgraph_response", response)
    headers_us = (time.perf_counter() - started) / iterations * 1e6
    limiter = RateLimiter(
        RateLimitConfig.model_validate(RATE_LIMITS), SharedState(None), LocalBuckets()
    )
    started = time.perf_counter()
    for _ in range(iterations):
        await limiter.check_request("127.0.0.1", None, client)
        await limiter.check_subgraph("products")
    rate_us = (time.perf_counter() - started) / iterations * 1e6
    return headers_us, rate_us


async def dedup(
    supergraph: Path, logs: Path, work: Path, seconds: float, connections: int
) -> dict[str, tuple[float, float, float, int]]:
    """name → (req/s, router CPU ms/req, subgraph fetches per request, errors)."""
    requests = load.write_requests(work / "dedup.txt", [("/graphql", request_body("small"))])
    out: dict[str, tuple[float, float, float, int]] = {}
    for name, flag in (("dedup off", "false"), ("dedup on", "true")):
        env = {"POLYSHOP_ROUTER_DEDUPLICATE": flag}
        async with router_server(supergraph, logs, name.replace(" ", "-"), env) as router:
            before = await metrics(router)
            result, cpu_ms = await load_router(router, requests, seconds, 1.0, connections)
            after = await metrics(router)
        fetch_name = "polyshop_router_subgraph_request_duration_seconds_count"
        fetches = counter(after, fetch_name) - counter(before, fetch_name)
        answered = counter(after, "polyshop_router_requests_total") - counter(
            before, "polyshop_router_requests_total"
        )
        out[name] = (result.rps, cpu_ms, fetches / max(1.0, answered), result.errors)
        print(
            f"  {name:9} {result.rps:8,.0f} req/s  CPU {cpu_ms:6.3f} ms/req  "
            f"fetches/request {out[name][2]:.3f}  errors {result.errors}",
            flush=True,
        )
    return out


def report(
    samples: dict[str, Sample], dedup_numbers: dict[str, tuple[float, float, float, int]]
) -> str:
    reference = statistics.median(samples["reference"].cpu_ms)
    lines = [
        "",
        "Policy cost (small query, 8 connections; medians of the rounds)",
        f"{'configuration':14} {'req/s':>9} {'CPU ms/req':>11} {'ratio':>7} {'overhead':>9}",
    ]
    for name, sample in samples.items():
        cpu = statistics.median(sample.cpu_ms)
        ratio = cpu / reference if reference else float("nan")
        lines.append(
            f"{name:14} {statistics.median(sample.rps):9,.0f} {cpu:11.3f} {ratio:7.3f} "
            f"{100 * (ratio - 1):8.1f}%"
        )
    lines += [
        "",
        "The policies' own work per request, timed in-process after each reference round, as a "
        "share of that round's router CPU per request (medians)",
    ]
    for name in ("headers", "rate_limit"):
        own_us = statistics.median(samples[name].own_us)
        share = statistics.median(samples[name].own_share)
        lines.append(f"{name:14} {own_us:8.2f} µs/req  {100 * share:5.2f}% of router CPU")
    off = dedup_numbers["dedup off"]
    on = dedup_numbers["dedup on"]
    lines += [
        "",
        "Deduplication (identical concurrent small queries, fresh correlation id per request)",
        f"{'':10} {'req/s':>9} {'CPU ms/req':>11} {'fetches/req':>12}",
        f"{'off':10} {off[0]:9,.0f} {off[1]:11.3f} {off[2]:12.3f}",
        f"{'on':10} {on[0]:9,.0f} {on[1]:11.3f} {on[2]:12.3f}",
        f"{'on/off':10} {on[0] / off[0]:9.3f} {on[1] / off[1]:11.3f} "
        f"{on[2] / off[2] if off[2] else float('nan'):12.3f}",
    ]
    return "\n".join(lines)


async def run(
    seconds: float, warmup: float, rounds: int, dedup_connections: int, workers: int
) -> str:
    install.ensure_node_modules()
    install.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="polyshop-bench-policy-") as scratch:
        work = Path(scratch)
        logs = work / "logs"
        logs.mkdir()
        async with subgraph_server(work, workers) as subgraphs:
            supergraph = compose(subgraphs, work / "supergraph.graphql")
            print("policy cost:", flush=True)
            samples = await policy_cost(supergraph, logs, work, seconds, warmup, rounds)
            print("deduplication:", flush=True)
            numbers = await dedup(supergraph, logs, work, seconds, dedup_connections)
    text = report(samples, numbers)
    print(text)
    return text


def main(
    seconds: Annotated[float, typer.Option(help="Seconds of load per measurement.")] = 5.0,
    warmup: Annotated[float, typer.Option(help="Warm-up seconds before each.")] = 1.0,
    rounds: Annotated[int, typer.Option(help="Alternating rounds of the policy part.")] = 2,
    dedup_connections: Annotated[int, typer.Option(help="Connections, dedup part.")] = 64,
    subgraph_workers: Annotated[int, typer.Option(help="Node subgraph workers.")] = 1,
) -> None:
    """Print the CPU cost of header rules and rate limiting, and dedup on vs off."""
    asyncio.run(run(seconds, warmup, rounds, dedup_connections, subgraph_workers))


if __name__ == "__main__":
    typer.run(main)
