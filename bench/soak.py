"""``python -m bench.soak``: a long, steady, mixed load through the router of a real dev stack.

`polyshop up` runs in a temp data directory (demo catalogue, no demo orders). A customer
registers, places and pays one order, then wrk holds ``--connections`` keep-alive connections
(default 20) busy for ``--duration`` seconds (default 600) with a mix of what a shop's clients
ask: product listings with their stock (products + inventory), one product with its category
and stock, the customer's ``me`` (auth) and ``myOrders`` with each order's payment (orders +
payments), and the category tree. The load runs in one-minute slices, so the output is a line
per minute: requests, req/s, non-200 answers, socket errors, the router's GraphQL errors,
p50/p99 latency and the router's RSS.

At the end: the totals, the p99 of the last minute over the first (the reference measured in
the same run: a router that degrades over time shows a ratio well above 1), and the slope of
the router's RSS over the run (MB per minute, least squares over samples every two seconds; a
leak shows as a steady positive slope). Results are saved as JSON under ``bench/results/``.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import typer

from bench import install, load
from bench.commerce import (
    ERRORS_METRIC,
    PAY,
    PLACE,
    REGISTER,
    RESULTS,
    SUCCESS_CARD,
    Stack,
    counter_total,
    eventually,
    metrics_text,
    running_stack,
)
from bench.procstat import process_tree, rss_bytes
from polyshop.devstack.demo_flow import Client, GraphQLFailure

MINUTE = 60.0
RSS_SAMPLE_SECONDS = 2.0
LISTING = """
query Listing {
  products(first: 20, orderBy: NAME_ASC) {
    totalCount
    edges { node { id name price currency inStock stock { available reserved } } }
  }
}
"""
PRODUCT = """
query Product($id: ID!) {
  product(id: $id) { id name description price category { id name } stock { available } }
}
"""
ME = """
query Me {
  me { id email name roles }
  myOrders(first: 5) { edges { node { id status totalAmount payment { status } } } }
}
"""
CATEGORIES = "query Categories { categories(rootsOnly: true) { id name children { id name } } }"


@dataclass
class Slice:
    """One minute (or the last, shorter slice) of load."""

    minute: int
    seconds: float
    requests: int
    non_200: int
    socket_errors: int
    graphql_errors: int
    p50_ms: float
    p99_ms: float
    router_rss_mb: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class RssSamples:
    """(seconds since the start, MB) of the router process."""

    points: list[tuple[float, float]] = field(default_factory=list)

    def slope_mb_per_minute(self) -> float:
        """Least-squares slope; 0 with fewer than two samples."""
        if len(self.points) < 2:
            return 0.0
        xs = [x for x, _ in self.points]
        ys = [y for _, y in self.points]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        spread = sum((x - mean_x) ** 2 for x in xs)
        if spread == 0:
            return 0.0
        covariance = sum((x - mean_x) * (y - mean_y) for x, y in self.points)
        return covariance / spread * MINUTE


def router_pid(stack: Stack) -> int:
    """The ``python -m router`` process among the stack's descendants."""
    assert stack.process is not None
    for pid in process_tree(stack.process.pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-m" in args and b"router" in args:
            return pid
    raise RuntimeError("the stack runs no router process")


async def sample_rss(pid: int, samples: RssSamples, started: float) -> None:
    while True:
        samples.points.append((time.monotonic() - started, rss_bytes([pid]) / 2**20))
        await asyncio.sleep(RSS_SAMPLE_SECONDS)


async def prepare(session: aiohttp.ClientSession, stack: Stack) -> tuple[str, list[str]]:
    """A customer with one PAID order (so ``myOrders`` has something to read), and the ids
    of stocked products to ask for."""
    client = Client(session, stack.router + "/graphql")
    email = f"soak-{uuid.uuid4().hex[:10]}@example.com"
    registration = {"email": email, "password": "a long enough passphrase", "name": "Soak"}
    token: str = (await client.call(REGISTER, input=registration))["register"]["accessToken"]
    listing = await client.call(LISTING, token)
    stocked = [
        edge["node"]["id"]
        for edge in listing["products"]["edges"]
        if edge["node"]["stock"]
        and edge["node"]["stock"]["available"] > 0
        and edge["node"]["currency"] == "USD"
    ]
    if not stocked:
        raise RuntimeError("no stocked USD product in the demo catalogue")
    placed = await client.call(
        PLACE,
        token,
        input={"items": [{"productId": stocked[0], "quantity": 1}], "currency": "USD"},
        key=str(uuid.uuid4()),
    )
    order_id = placed["placeOrder"]["id"]
    await eventually(client, token, order_id, "PENDING_PAYMENT")
    deadline = time.monotonic() + 30
    while True:  # payments hears of the order from an event
        try:
            await client.call(PAY, token, orderId=order_id, card=SUCCESS_CARD, key=order_id)
            break
        except GraphQLFailure as failure:
            if failure.codes != ["NOT_FOUND"] or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)
    await eventually(client, token, order_id, "PAID")
    return token, stocked


def mixed_requests(product_ids: list[str]) -> list[tuple[str, str]]:
    """The request mix, cycled in order by wrk: listings and single products most often."""
    mix: list[tuple[str, str]] = []
    for index, product_id in enumerate(product_ids[:10]):
        mix.append(("/graphql", json.dumps({"query": LISTING})))
        mix.append(("/graphql", json.dumps({"query": PRODUCT, "variables": {"id": product_id}})))
        if index % 2 == 0:
            mix.append(("/graphql", json.dumps({"query": ME})))
        if index % 5 == 0:
            mix.append(("/graphql", json.dumps({"query": CATEGORIES})))
    return mix


async def graphql_errors(session: aiohttp.ClientSession, stack: Stack) -> float:
    return sum(counter_total(await metrics_text(session, stack.router), ERRORS_METRIC).values())


async def soak(duration: float, connections: int) -> dict[str, Any]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"soak-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    print(f"Starting the dev stack (log in {out / 'polyshop-up.log'}) ...", flush=True)
    async with running_stack(out) as stack, aiohttp.ClientSession() as session:
        token, product_ids = await prepare(session, stack)
        requests_file = load.write_requests(out / "requests.txt", mixed_requests(product_ids))
        pid = router_pid(stack)
        samples = RssSamples()
        started = time.monotonic()
        sampler = asyncio.create_task(sample_rss(pid, samples, started))
        slices: list[Slice] = []
        print(
            f"Soak: {duration:.0f}s, {connections} connections, router pid {pid}\n"
            f"{'minute':>6} {'requests':>9} {'req/s':>7} {'non-200':>8} {'sock err':>8} "
            f"{'gql err':>8} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>7}",
            flush=True,
        )
        try:
            for minute in range(1, math.ceil(duration / MINUTE) + 1):
                seconds = min(MINUTE, duration - (minute - 1) * MINUTE)
                errors_before = await graphql_errors(session, stack)
                result = await load.run_wrk(
                    stack.router,
                    requests_file,
                    seconds=seconds,
                    connections=connections,
                    nonce=False,
                    authorization=f"Bearer {token}",
                )
                errors_after = await graphql_errors(session, stack)
                row = Slice(
                    minute=minute,
                    seconds=result.seconds,
                    requests=result.requests,
                    non_200=result.non_2xx,
                    socket_errors=result.errors - result.non_2xx,
                    graphql_errors=round(errors_after - errors_before),
                    p50_ms=result.p50_ms,
                    p99_ms=result.p99_ms,
                    router_rss_mb=rss_bytes([pid]) / 2**20,
                )
                slices.append(row)
                print(
                    f"{row.minute:>6} {row.requests:>9} {row.rps:>7.0f} {row.non_200:>8} "
                    f"{row.socket_errors:>8} {row.graphql_errors:>8} {row.p50_ms:>8.1f} "
                    f"{row.p99_ms:>8.1f} {row.router_rss_mb:>7.1f}",
                    flush=True,
                )
        finally:
            sampler.cancel()
    report = summarize(slices, samples, duration=duration, connections=connections)
    target = RESULTS / f"soak-{stamp}.json"
    target.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"Saved {target}")
    return report


def summarize(
    slices: list[Slice], samples: RssSamples, *, duration: float, connections: int
) -> dict[str, Any]:
    total = sum(s.requests for s in slices)
    first, last = slices[0], slices[-1]
    drift = last.p99_ms / first.p99_ms if first.p99_ms else float("nan")
    slope = samples.slope_mb_per_minute()
    start_mb = samples.points[0][1] if samples.points else 0.0
    end_mb = samples.points[-1][1] if samples.points else 0.0
    print(
        f"\nTotal: {total} requests, {sum(s.non_200 for s in slices)} non-200, "
        f"{sum(s.socket_errors for s in slices)} socket errors, "
        f"{sum(s.graphql_errors for s in slices)} GraphQL errors\n"
        f"p99 drift: last minute {last.p99_ms:.1f} ms / first minute {first.p99_ms:.1f} ms "
        f"= {drift:.2f}x\n"
        f"Router RSS: {start_mb:.1f} MB -> {end_mb:.1f} MB, slope {slope:+.2f} MB/min "
        f"({len(samples.points)} samples)"
    )
    return {
        "duration_s": duration,
        "connections": connections,
        "slices": [asdict(s) | {"rps": s.rps} for s in slices],
        "requests": total,
        "non_200": sum(s.non_200 for s in slices),
        "socket_errors": sum(s.socket_errors for s in slices),
        "graphql_errors": sum(s.graphql_errors for s in slices),
        "p99_drift_ratio": drift,
        "rss_start_mb": start_mb,
        "rss_end_mb": end_mb,
        "rss_slope_mb_per_min": slope,
        "rss_samples": samples.points,
    }


def main(
    duration: Annotated[float, typer.Option(help="Seconds of load (default 10 minutes).")] = 600,
    connections: Annotated[int, typer.Option(help="Keep-alive connections held busy.")] = 20,
    skip_install: Annotated[bool, typer.Option(help="Do not apt-get wrk.")] = False,
) -> None:
    """Soak the dev stack's router with a mixed load; print non-200s, p99 per minute and
    the router's RSS slope."""
    if duration <= 0 or connections <= 0:
        raise typer.BadParameter("duration and connections must be positive")
    if not skip_install:
        install.ensure_wrk()
    asyncio.run(soak(duration, connections))


if __name__ == "__main__":
    typer.run(main)
