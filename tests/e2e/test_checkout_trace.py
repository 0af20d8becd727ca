"""One checkout as one trace: router → orders → products, SQL, and the events that followed.

A real `polyshop up` (demo orders off) runs with ``POLYSHOP_OTEL_EXPORTER_OTLP_ENDPOINT``
pointing at an OTLP/HTTP receiver in this test, so every process (router and subgraphs)
exports its spans here as protobuf, the way it would to a collector. Alice places an order
and pays it through the router; the spans are then joined into trees by parent id. On a
failed assertion the whole trace is printed as an indented tree.

The kit carries trace context through the outbox and NATS headers, and a consumer's span is
a child of the relay's PRODUCER span (not a link), so the saga's events are in the request's
trace: ``order.created`` published by orders and processed by inventory, ``stock.reserved``
published by inventory and processed by orders, ``order.awaiting_payment`` processed by
payments; for the payment, ``payment.succeeded`` processed by orders and inventory.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from polyshop.devstack.demo_flow import ALICE, DEMO_PASSWORD, Client, GraphQLFailure
from router.telemetry import Tracing
from subgraphs.kit.auth.settings import TokenSettings
from subgraphs.orders.catalog import PRICES_SPAN, ProductCatalog
from tests.e2e.test_stack_up import running_stack
from tests.support.eventually import eventually

T = TypeVar("T")
SETTLE_SECONDS = 30.0
ROUTER = "polyshop-router"
SERVER = ProtoSpan.SpanKind.SPAN_KIND_SERVER
CLIENT = ProtoSpan.SpanKind.SPAN_KIND_CLIENT
PRODUCER = ProtoSpan.SpanKind.SPAN_KIND_PRODUCER
CONSUMER = ProtoSpan.SpanKind.SPAN_KIND_CONSUMER
KIND_NAMES: dict[int, str] = {
    SERVER: "SERVER",
    CLIENT: "CLIENT",
    PRODUCER: "PRODUCER",
    CONSUMER: "CONSUMER",
}
SUCCESS_CARD = {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2040, "cvc": "123"}

LOGIN = """
mutation TraceLogin($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }
"""
PRODUCTS = """
query TraceProducts {
  products(first: 40, orderBy: OLDEST, filter: {currency: "USD", active: true}) {
    edges { node { id stock { available } } }
  }
}
"""
# Only orders' own fields: any products span in this trace is orders asking for prices.
PLACE = """
mutation TracePlace($input: PlaceOrderInput!, $key: String!) {
  placeOrder(input: $input, idempotencyKey: $key) { id status totalAmount }
}
"""
STATUS = "query TraceStatus($id: ID!) { order(id: $id) { status } }"
PAY = """
mutation TracePay($orderId: ID!, $card: CardInput!, $key: String!) {
  payOrder(orderId: $orderId, card: $card, idempotencyKey: $key) { status }
}
"""


@dataclass(frozen=True)
class CollectedSpan:
    """One exported span, flattened from OTLP's resource → scope → span nesting."""

    service: str
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: int
    attributes: dict[str, Any]
    links: tuple[tuple[str, str], ...]

    def line(self) -> str:
        kind = KIND_NAMES.get(self.kind, "INTERNAL")
        extra = ""
        for key in ("graphql.operation.name", "subgraph.name", "messaging.consumer.group.name"):
            if key in self.attributes:
                extra += f" {key}={self.attributes[key]}"
        statement = self.attributes.get("db.statement") or self.attributes.get("db.query.text")
        if statement:
            extra += f" sql={' '.join(str(statement).split())[:70]!r}"
        return f"[{self.service}] {kind} {self.name}{extra}"


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which)


def flatten(request: ExportTraceServiceRequest) -> Iterator[CollectedSpan]:
    for resource_spans in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
        service = str(resource.get("service.name", "?"))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield CollectedSpan(
                    service=service,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex() or None,
                    name=span.name,
                    kind=span.kind,
                    attributes={kv.key: _value(kv.value) for kv in span.attributes},
                    links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
                )


@dataclass
class Collector:
    """An OTLP/HTTP trace receiver (``POST /v1/traces``, protobuf) keeping what it gets."""

    spans: list[CollectedSpan] = field(default_factory=list)
    url: str = ""

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        export = ExportTraceServiceRequest()
        export.ParseFromString(body)
        self.spans.extend(flatten(export))
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    def trace(self, trace_id: str) -> Trace:
        return Trace([s for s in self.spans if s.trace_id == trace_id])


@dataclass
class Trace:
    spans: list[CollectedSpan]

    @property
    def by_id(self) -> dict[str, CollectedSpan]:
        return {s.span_id: s for s in self.spans}

    def find(
        self,
        service: str,
        kind: int,
        name: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> list[CollectedSpan]:
        return [
            s
            for s in self.spans
            if s.service == service
            and s.kind == kind
            and (name is None or s.name == name)
            and all(s.attributes.get(k) == v for k, v in (attributes or {}).items())
        ]

    def one(
        self,
        service: str,
        kind: int,
        name: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> CollectedSpan:
        found = self.find(service, kind, name, attributes)
        what = f"{service} {KIND_NAMES.get(kind)} {name or ''} {attributes or ''}"
        assert len(found) == 1, f"{len(found)} spans {what} in the trace:\n{self.tree()}"
        return found[0]

    def child_of(self, span: CollectedSpan, parent: CollectedSpan) -> None:
        assert span.parent_id == parent.span_id, (
            f"{span.line()} is not a child of {parent.line()}:\n{self.tree()}"
        )

    def below(self, span: CollectedSpan, ancestor: CollectedSpan) -> None:
        assert self.descends(span, ancestor), (
            f"{span.line()} is not below {ancestor.line()}:\n{self.tree()}"
        )

    def ancestors(self, span: CollectedSpan) -> Iterator[CollectedSpan]:
        ids = self.by_id
        parent = ids.get(span.parent_id or "")
        while parent is not None:
            yield parent
            parent = ids.get(parent.parent_id or "")

    def descends(self, span: CollectedSpan, ancestor: CollectedSpan) -> bool:
        return any(a.span_id == ancestor.span_id for a in self.ancestors(span))

    def tree(self) -> str:
        """The trace as an indented tree; orphans (parent not received) are roots too."""
        ids = self.by_id
        children: dict[str | None, list[CollectedSpan]] = defaultdict(list)
        for span in self.spans:
            children[span.parent_id if span.parent_id in ids else None].append(span)
        lines: list[str] = []

        def walk(spans: Iterable[CollectedSpan], depth: int) -> None:
            for span in spans:
                lines.append("  " * depth + span.line())
                walk(children.get(span.span_id, []), depth + 1)

        walk(children[None], 0)
        return "\n".join(lines) or "(no spans)"


@asynccontextmanager
async def collecting() -> AsyncIterator[Collector]:
    """The receiver on a free port of this machine; yields it with its base URL set."""
    collector = Collector()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/traces", collector.receive)
    async with serving(app) as url:
        collector.url = url
        yield collector


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """``app`` on a free port of 127.0.0.1; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def settled(condition: Callable[[], bool]) -> None:
    """Wait (bounded) until the spans we expect have been exported; the assertions after
    it say what is missing, with the tree."""
    for _ in range(int(SETTLE_SECONDS / 0.2)):
        if condition():
            return
        await asyncio.sleep(0.2)


@dataclass
class TracedCheckout:
    collector: Collector
    order_id: str

    def traces_of(self, operation: str) -> list[Trace]:
        """The traces of the router requests named ``operation``, oldest first."""
        roots = [
            s
            for s in self.collector.spans
            if s.service == ROUTER
            and s.kind == SERVER
            and s.attributes.get("graphql.operation.name") == operation
        ]
        return [self.collector.trace(root.trace_id) for root in roots]

    def place_trace(self) -> Trace:
        traces = self.traces_of("TracePlace")
        assert len(traces) == 1, f"{len(traces)} placeOrder traces"
        return traces[0]

    def pay_trace(self) -> Trace:
        """The payOrder attempt that paid (earlier ones may have met NOT_FOUND)."""
        paid = [
            trace
            for trace in self.traces_of("TracePay")
            if any(s.name == f"{PAYMENT_SUCCEEDED} publish" for s in trace.spans)
        ]
        assert len(paid) == 1, "\n\n".join(t.tree() for t in self.traces_of("TracePay"))
        return paid[0]


ORDER_CREATED = "polyshop.orders.order.created"
STOCK_RESERVED = "polyshop.inventory.stock.reserved"
AWAITING_PAYMENT = "polyshop.orders.order.awaiting_payment"
PAYMENT_SUCCEEDED = "polyshop.payments.payment.succeeded"


def _has(trace: Trace, service: str, kind: int, name: str) -> bool:
    return bool(trace.find(service, kind, name))


@pytest.fixture(scope="module")
def stack_dir() -> Iterator[Path]:
    """Outside pytest's temp root, as in tests/conftest.py (the server runs as another user)."""
    path = Path(tempfile.mkdtemp(prefix="polyshop-trace-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture(scope="module")
async def traced(stack_dir: Path) -> AsyncIterator[TracedCheckout]:
    """The stack exports to our receiver (the stack hands the endpoint to every process)."""
    async with collecting() as collector:
        with pytest.MonkeyPatch.context() as env:
            for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_PROPAGATORS"):
                env.delenv(name, raising=False)
            env.setenv("POLYSHOP_OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
            env.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
            env.setenv("POLYSHOP_DEMO_ORDERS", "false")
            async with (
                running_stack(stack_dir / "data") as stack,
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            ):
                checkout = TracedCheckout(collector, await checkout_once(session, stack.router_url))
                await settled(
                    lambda: any(
                        _has(t, "payments", CONSUMER, f"{AWAITING_PAYMENT} process")
                        for t in checkout.traces_of("TracePlace")
                    )
                )
                # every consumer the tests look for has ended (and so exported) its span:
                # inventory's may end after orders' (CI once saw its children, not it)
                await settled(
                    lambda: any(
                        all(
                            _has(t, consumer, CONSUMER, f"{PAYMENT_SUCCEEDED} process")
                            for consumer in ("orders", "inventory")
                        )
                        for t in checkout.traces_of("TracePay")
                    )
                )
                yield checkout


async def checkout_once(session: aiohttp.ClientSession, router_url: str) -> str:
    """Alice orders one unit of a stocked product and pays; the order's id."""
    client = Client(session, router_url)
    token = (await client.call(LOGIN, e=ALICE, p=DEMO_PASSWORD))["login"]["accessToken"]
    edges = (await client.call(PRODUCTS, token))["products"]["edges"]
    product = next(e["node"]["id"] for e in edges if e["node"]["stock"]["available"] >= 5)
    placed = await client.call(
        PLACE,
        token,
        input={"items": [{"productId": product, "quantity": 1}], "currency": "USD"},
        key=f"trace-{uuid.uuid4()}",
    )
    order_id: str = placed["placeOrder"]["id"]

    async def status_is(target: str) -> bool | None:
        status = (await client.call(STATUS, token, id=order_id))["order"]["status"]
        return True if status == target else None

    await eventually(
        lambda: status_is("PENDING_PAYMENT"), "the order to await payment", within=SETTLE_SECONDS
    )

    async def pay() -> bool | None:
        try:
            await client.call(PAY, token, orderId=order_id, card=SUCCESS_CARD, key=order_id)
        except GraphQLFailure as failure:
            if failure.codes == ["NOT_FOUND"]:  # payments has not heard of the order yet
                return None
            raise
        return True

    await eventually(pay, "payments to accept the order", within=SETTLE_SECONDS)
    await eventually(lambda: status_is("PAID"), "the order to be paid", within=SETTLE_SECONDS)
    return order_id


@asynccontextmanager
async def products_stand_in() -> AsyncIterator[tuple[str, list[Mapping[str, str]]]]:
    """A real HTTP server answering ``_entities`` like products; yields its URL and the
    headers of every request it got."""
    seen: list[Mapping[str, str]] = []

    async def entities(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        body = await request.json()
        reps = body["variables"]["representations"]
        return web.json_response(
            {
                "data": {
                    "_entities": [
                        {
                            "id": rep["id"],
                            "price": "9.99",
                            "currency": "usd",
                            "active": True,
                            "isDeleted": False,
                        }
                        for rep in reps
                    ]
                }
            }
        )

    app = web.Application()
    app.router.add_post("/graphql", entities)
    async with serving(app) as url:
        yield f"{url}/graphql", seen


def parent_in(headers: Mapping[str, str]) -> tuple[int, int]:
    """(trace id, parent span id) of a W3C ``traceparent`` header."""
    version, trace_id, span_id, _flags = headers["traceparent"].split("-")
    assert version == "00"
    return int(trace_id, 16), int(span_id, 16)


async def test_catalog_sends_the_trace_context_to_products() -> None:
    """Without a tracer the orders span that asks is the parent; with one, a CLIENT span of
    the catalogue is, itself a child of that span; with no span current nothing is sent."""
    exported = InMemorySpanExporter()
    tracing = Tracing.build(
        "orders-under-test", processor=SimpleSpanProcessor(exported), instrumentation="test"
    )
    tracer = tracing.tracer
    no_token = TokenSettings(client_id=None, client_secret=None)
    async with products_stand_in() as (url, seen):
        plain = ProductCatalog.from_settings(url, timeout_seconds=5, token_settings=no_token)
        spanning = ProductCatalog.from_settings(
            url, timeout_seconds=5, token_settings=no_token, tracer=tracer
        )
        try:
            quotes = await plain.quotes([7])
            assert quotes[7].currency == "USD"
            assert "traceparent" not in {k.lower() for k in seen[-1]}

            with tracer.start_as_current_span("POST /graphql", kind=SpanKind.SERVER) as server:
                await plain.quotes([7])
                asked = server.get_span_context()
                assert parent_in(seen[-1]) == (asked.trace_id, asked.span_id)

                await spanning.quotes([7, 8])
        finally:
            await plain.aclose()
            await spanning.aclose()
    tracing.shutdown()
    client = next(s for s in exported.get_finished_spans() if s.name == PRICES_SPAN)
    assert client.kind == SpanKind.CLIENT
    assert client.parent is not None
    assert client.parent.span_id == asked.span_id
    assert parent_in(seen[-1]) == (client.context.trace_id, client.context.span_id)
    assert client.attributes is not None
    assert client.attributes["http.response.status_code"] == 200


async def test_place_order_is_one_trace_router_orders_products_sql(
    traced: TracedCheckout,
) -> None:
    trace = traced.place_trace()
    edge = trace.one(ROUTER, SERVER, attributes={"graphql.operation.name": "TracePlace"})
    assert edge.parent_id is None, "the client sent no traceparent: the router starts the trace"
    fetch = trace.one(ROUTER, CLIENT, "subgraph_request", {"subgraph.name": "orders"})
    trace.below(fetch, edge)
    assert not trace.find(ROUTER, CLIENT, "subgraph_request", {"subgraph.name": "products"}), (
        "the operation selects only orders' fields: products is orders' call\n" + trace.tree()
    )
    orders = trace.one("orders", SERVER)
    trace.child_of(orders, fetch)

    products = trace.one("products", SERVER)
    trace.below(products, orders)
    caller = trace.by_id[products.parent_id or ""]
    assert caller.service == "orders", trace.tree()
    if caller.span_id != orders.span_id:  # the catalogue's own CLIENT span, when it has a tracer
        assert (caller.kind, caller.name) == (CLIENT, PRICES_SPAN), trace.tree()
        trace.child_of(caller, orders)

    writes = [
        s
        for s in trace.find("orders", CLIENT)
        if str(s.attributes.get("db.statement") or s.attributes.get("db.query.text") or "")
        .lstrip()
        .upper()
        .startswith("INSERT INTO ORDERS")
    ]
    assert len(writes) == 1, trace.tree()
    trace.below(writes[0], orders)
    reads = [s for s in trace.find("products", CLIENT) if s.attributes.get("db.system")]
    assert reads, "products read the prices with SQL below its span\n" + trace.tree()
    for read in reads:
        trace.below(read, products)


async def test_order_events_follow_in_the_same_trace(traced: TracedCheckout) -> None:
    """order.created (orders' relay) → inventory; stock.reserved (inventory's relay) → orders;
    order.awaiting_payment → payments: each consumer span is a child of the producer span
    (the kit continues the trace rather than linking to it)."""
    trace = traced.place_trace()
    orders = trace.one("orders", SERVER)

    created = trace.one("orders", PRODUCER, f"{ORDER_CREATED} publish")
    trace.below(created, orders)
    assert created.attributes["messaging.system"] == "nats"
    reserving = trace.one("inventory", CONSUMER, f"{ORDER_CREATED} process")
    trace.child_of(reserving, created)
    assert not reserving.links, "a child of the producer span, not a link to it"
    assert reserving.attributes["messaging.consumer.group.name"], reserving.attributes
    stock_writes = [
        s
        for s in trace.find("inventory", CLIENT)
        if "UPDATE" in str(s.attributes.get("db.statement") or s.attributes.get("db.query.text"))
    ]
    assert stock_writes, "inventory's reservation is SQL below its consumer span\n" + trace.tree()
    for write in stock_writes:
        trace.below(write, reserving)

    reserved = trace.one("inventory", PRODUCER, f"{STOCK_RESERVED} publish")
    trace.below(reserved, reserving)
    handled = trace.one("orders", CONSUMER, f"{STOCK_RESERVED} process")
    trace.child_of(handled, reserved)

    # orders moves the order to PENDING_PAYMENT and tells payments, which may now take it.
    awaiting = trace.one("orders", PRODUCER, f"{AWAITING_PAYMENT} publish")
    trace.below(awaiting, handled)
    payable = trace.one("payments", CONSUMER, f"{AWAITING_PAYMENT} process")
    trace.child_of(payable, awaiting)


async def test_payment_and_its_events_are_one_trace(traced: TracedCheckout) -> None:
    trace = traced.pay_trace()
    edge = trace.one(ROUTER, SERVER, attributes={"graphql.operation.name": "TracePay"})
    fetch = trace.one(ROUTER, CLIENT, "subgraph_request", {"subgraph.name": "payments"})
    trace.below(fetch, edge)
    payments = trace.one("payments", SERVER)
    trace.child_of(payments, fetch)
    succeeded = trace.one("payments", PRODUCER, f"{PAYMENT_SUCCEEDED} publish")
    trace.below(succeeded, payments)
    for consumer in ("orders", "inventory"):
        handled = trace.one(consumer, CONSUMER, f"{PAYMENT_SUCCEEDED} process")
        trace.child_of(handled, succeeded)
    assert traced.order_id
