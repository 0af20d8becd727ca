"""The router's ASGI application: `/graphql` (GET, POST, GraphiQL), `/health`, `/ready`,
`/metrics`, GraphiQL assets.

Hand-routed rather than built on a framework: a gateway answers a handful of paths, and every
layer between the socket and the engine costs latency (see docs/decisions/0002).

Security, in request order: the bearer token is verified before the body is read (an invalid
one is answered 401 ``UNAUTHENTICATED`` and never reaches the engine); the engine enforces the
authorization directives for the verified principal; subgraph calls carry the router's own
client-credentials token and the user's identity headers, never a client's ``X-PolyShop-*``.

Operations: ``/health`` says the process lives; ``/ready`` that it serves (503 while starting
and from the moment SIGTERM arrives, see `shutdown`); ``/metrics`` is Prometheus' text format.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
import structlog

from router.config import ConfigWatcher
from router.engine import GraphQLRequest, GraphQLResponse, RequestContext
from router.execution.executor import RESPONSE_SIZE_LIMIT_EXCEEDED
from router.execution.uploads import current_files, release_files
from router.hot_reload import EngineBuilder, EngineHolder, SupergraphWatcher
from router.policy.headers import merge_response_headers
from router.policy.rate_limit import RATE_LIMITED
from router.security import AuthenticationError, Principal, SecurityLayer, ServiceTokenError
from router.security.errors import SERVICE_UNAVAILABLE
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from router.telemetry import RequestTelemetry, RouterTelemetry, current_request
from router.telemetry.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE

from . import requests, websocket
from .asgi import (
    ClientDisconnected,
    Receive,
    Scope,
    Send,
    payload_too_large,
    respond,
    respond_json,
)
from .compression import compressing, read_request_body
from .cors import Cors, is_preflight, origin_of
from .csrf import csrf_error, is_preflighted
from .errors import HttpError, internal_error
from .gc_tuning import tune_garbage_collector
from .graphiql import ASSET_ROUTE, CONTENT_SECURITY_POLICY, GraphiQL
from .headers import (
    FORWARDED_FOR,
    correlation_id,
    decode_headers,
    forwarded_for,
    parse_networks,
)
from .negotiation import (
    APPLICATION_JSON,
    is_json_content_type,
    media_essence,
    response_media_type,
    wants_html,
)
from .runtime import Policies, PolicyState
from .shutdown import ShutdownSignal
from .uploads import is_multipart, read_multipart

log = structlog.get_logger("router.http")

HEALTH_UP = orjson.dumps({"status": "UP"})
HEALTH_DOWN = orjson.dumps({"status": "DOWN"})
READY = orjson.dumps({"status": "READY"})
NOT_READY = orjson.dumps({"status": "NOT_READY"})
DRAINING = orjson.dumps({"status": "DRAINING"})
JSON = b"application/json"
ALLOWED_METHODS = "GET, POST"


class RouterApp:
    """ASGI app; the lifespan starts the security layer, loads the supergraph, starts the
    engine and the file watcher.

    ``security`` defaults to a layer built from ``settings.security``; the app starts and
    closes it either way. A custom ``build_engine`` is responsible for authorization itself
    (and for engine telemetry). ``telemetry`` defaults to one built from the settings, which
    the app then shuts down with itself.
    """

    def __init__(
        self,
        settings: RouterSettings,
        *,
        build_engine: EngineBuilder | None = None,
        security: SecurityLayer | None = None,
        telemetry: RouterTelemetry | None = None,
    ) -> None:
        self.settings = settings
        self.telemetry = telemetry
        self._owns_telemetry = telemetry is None
        self._request_telemetry: RequestTelemetry | None = None
        self.draining = False
        self._shutdown_signal = ShutdownSignal(
            delay=settings.shutdown_delay,
            drain_timeout=settings.drain_timeout,
            on_draining=self._start_draining,
        )
        self.security = security or SecurityLayer(settings.security)
        self._build_engine = build_engine
        self._custom_engine = build_engine is not None
        self.holder: EngineHolder | None = None
        self.watcher: SupergraphWatcher | None = None
        self.config_watcher: ConfigWatcher | None = None
        self._watch_tasks: list[asyncio.Task[None]] = []
        self._graphiql: GraphiQL | None = None
        self.policy_state: PolicyState | None = None
        self.policies: Policies | None = None
        self._use_settings(settings)

    def _use_settings(self, settings: RouterSettings, policies: Policies | None = None) -> None:
        """Make ``settings`` (and their policies) the ones requests see from now on (at start
        and on reload)."""
        self.settings = settings
        if policies is not None:
            self.policies = policies
        self._correlation_header = settings.correlation_header
        self._correlation_header_bytes = settings.correlation_header.encode("latin-1")
        self._trusted_proxies = parse_networks(settings.trusted_proxies)
        self._cors = Cors(settings.cors)

    # ------------------------------------------------------------------ lifecycle

    async def startup(self) -> None:
        """Load the supergraph and start the engine; raises if the supergraph is unusable."""
        settings = self.settings
        if self.telemetry is None:
            from .runtime import telemetry_from_settings

            self.telemetry = telemetry_from_settings(settings)
        if self.telemetry.active:
            self._request_telemetry = self.telemetry.request_telemetry()
        await self.security.start()
        self.policy_state = PolicyState(settings, self.telemetry.metrics)
        try:
            self.policies = await self.policy_state.configure(settings)
            build = self._build_engine
            if build is None:
                from .runtime import engine_builder

                build = self._build_engine = engine_builder(
                    settings, self.security, self.telemetry, self.policies
                )
            supergraph = await load_supergraph(settings.supergraph)
            engine = await build(supergraph)
        except BaseException:
            await self.policy_state.close()
            await self.security.close()
            raise
        self.holder = EngineHolder(engine, supergraph, drain_timeout=settings.drain_timeout)
        tune_garbage_collector(settings.gc_threshold, freeze=settings.gc_freeze)
        if settings.graphiql:
            self._graphiql = await GraphiQL.load(settings.graphql_path)
        if settings.hot_reload:
            self.watcher = SupergraphWatcher(
                settings.supergraph, self.holder, build, interval=settings.reload_interval
            )
            self._watch_tasks.append(asyncio.create_task(self.watcher.run()))
            if settings.config is not None:
                self.config_watcher = ConfigWatcher(
                    settings, self._apply_settings, interval=settings.reload_interval
                )
                self._watch_tasks.append(asyncio.create_task(self.config_watcher.run()))
        self.draining = False
        self._shutdown_signal.install()
        log.info(
            "router.started",
            supergraph=settings.supergraph,
            schema_hash=supergraph.schema_hash,
            subgraphs=sorted(s.name for s in supergraph.subgraphs.values()),
            hot_reload=self.watcher is not None,
            config=settings.config,
            tracing=self.telemetry.tracing is not None,
            metrics=self.telemetry.metrics is not None,
        )

    async def _apply_settings(self, settings: RouterSettings) -> None:
        """Reloaded ``router.yaml``: an engine built with the new settings serves the next
        requests (those in flight finish on the old one), then the HTTP layer switches."""
        holder = self.holder
        if holder is None:
            raise RuntimeError("the router has not started")
        assert self.policy_state is not None
        policies = await self.policy_state.configure(settings)
        build = self._build_engine
        if build is None or not self._custom_engine:
            from .runtime import engine_builder

            build = engine_builder(settings, self.security, self.telemetry, policies)
        engine = await build(holder.supergraph)
        holder.swap(engine, holder.supergraph)
        self._build_engine = build
        if self.watcher is not None:
            self.watcher.build = build
        self._use_settings(settings, policies)

    def _start_draining(self) -> None:
        """SIGTERM arrived: readiness off now, the listener closes after the delay."""
        self.draining = True
        log.info("router.draining", shutdown_delay=self.settings.shutdown_delay)

    async def shutdown(self) -> None:
        self.draining = True
        self._shutdown_signal.uninstall()
        for task in self._watch_tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._watch_tasks.clear()
        if self.holder is not None:
            await self.holder.close()
        await self.security.close()
        if self.policy_state is not None:
            await self.policy_state.close()
        if self._owns_telemetry and self.telemetry is not None:
            await asyncio.to_thread(self.telemetry.shutdown)
            self.telemetry = None
        self._request_telemetry = None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as error:
                    log.exception("router.startup_failed")
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ------------------------------------------------------------------ routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            origin = origin_of(scope)
            if origin is not None:
                cors = self._cors
                if scope["method"] == "OPTIONS":
                    headers = decode_headers(scope["headers"])
                    if is_preflight(scope, headers):
                        await cors.preflight(headers, send)
                        return
                send = cors.wrap(origin, send)
            path: str = scope["path"]
            if path == self.settings.graphql_path:
                observer = self._request_telemetry
                if observer is None:
                    await self._graphql(scope, receive, send)
                else:
                    await observer.observe(scope, receive, send, self._graphql)
            elif path == self.settings.health_path:
                await self._health(scope, send)
            elif path == self.settings.ready_path:
                await self._ready(scope, send)
            elif path == self.settings.metrics_path and self.settings.metrics:
                await self._metrics(scope, send)
            elif path.startswith(ASSET_ROUTE):
                await self._asset(scope, send)
            elif path == "/" and self._graphiql is not None and scope["method"] == "GET":
                await respond(
                    send,
                    302,
                    b"",
                    b"text/plain",
                    [(b"location", self.settings.graphql_path.encode())],
                )
            else:
                await respond_json(send, 404, {"errors": [{"message": "Not found"}]})
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await websocket.refuse(scope, receive, send)

    async def _health(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await respond(send, 405, b"", b"text/plain", [(b"allow", b"GET, HEAD")])
        elif self.holder is None:
            await respond(send, 503, HEALTH_DOWN, JSON)
        else:
            await respond(send, 200, HEALTH_UP, JSON)

    async def _ready(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await respond(send, 405, b"", b"text/plain", [(b"allow", b"GET, HEAD")])
        elif self.draining:
            await respond(send, 503, DRAINING, JSON)
        elif self.holder is None:
            await respond(send, 503, NOT_READY, JSON)
        else:
            await respond(send, 200, READY, JSON)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        telemetry = self.telemetry
        if scope["method"] not in ("GET", "HEAD"):
            await respond(send, 405, b"", b"text/plain", [(b"allow", b"GET, HEAD")])
        elif telemetry is None or telemetry.metrics is None:
            await respond(send, 503, b"metrics are not available yet\n", b"text/plain")
        else:
            body = telemetry.metrics.render()
            await respond(send, 200, body, METRICS_CONTENT_TYPE.encode())

    async def _asset(self, scope: Scope, send: Send) -> None:
        asset = self._graphiql.asset_for(scope["path"]) if self._graphiql is not None else None
        if asset is None or scope["method"] not in ("GET", "HEAD"):
            await respond(send, 404, b"Not found", b"text/plain")
            return
        headers = decode_headers(scope["headers"])
        extra = [
            (b"cache-control", b"public, max-age=31536000, immutable"),
            (b"vary", b"accept-encoding"),
        ]
        body = asset.body
        if "gzip" in headers.get("accept-encoding", ""):
            body = await asset.gzipped()
            extra.append((b"content-encoding", b"gzip"))
        await respond(send, 200, body, asset.content_type.encode(), extra)

    # ------------------------------------------------------------------ /graphql

    async def _graphql(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = decode_headers(scope["headers"])
        method: str = scope["method"]
        send = compressing(headers, send, self.settings.compression)
        correlation = correlation_id(headers, self._correlation_header)
        structlog.contextvars.bind_contextvars(correlation_id=correlation)
        echo = [(self._correlation_header_bytes, correlation.encode("latin-1"))]
        try:
            if method == "GET" and self._graphiql is not None and wants_html(headers.get("accept")):
                await respond(
                    send,
                    200,
                    self._graphiql.page,
                    b"text/html; charset=utf-8",
                    [*echo, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())],
                )
                return
            status, body, media, passed_on = await self._execute(
                scope, receive, headers, method, correlation
            )
        except (HttpError, AuthenticationError) as error:
            observation = current_request.get()
            if observation is not None:
                observation.error_codes.append(error.code)
            extra = [*echo, *((k.encode(), v.encode()) for k, v in error.headers.items())]
            await respond_json(send, error.status, error.body(), JSON, extra)
            return
        except ClientDisconnected:
            return
        except Exception as error:
            observation = current_request.get()
            if observation is not None:
                observation.error_codes.append("INTERNAL_SERVER_ERROR")
            log.exception("router.request_failed")
            body_500 = internal_error(error, dev_mode=self.settings.dev_mode)
            await respond_json(send, 500, body_500, JSON, echo)
            return
        finally:
            await release_files()
        if status == 405:
            echo.append((b"allow", b"POST"))
        if passed_on:
            echo.extend(
                (name.encode("latin-1"), value.encode("latin-1")) for name, value in passed_on
            )
        await respond(send, status, body, media.encode(), echo)

    async def _execute(
        self,
        scope: Scope,
        receive: Receive,
        headers: dict[str, str],
        method: str,
        correlation: str,
    ) -> tuple[int, bytes, str, list[tuple[str, str]]]:
        """Check, parse and run the request; (status, JSON body, media type, headers from
        subgraph responses)."""
        settings = self.settings
        policies = self.policies
        if method not in ("GET", "POST"):
            raise HttpError(
                405,
                "METHOD_NOT_ALLOWED",
                f"The {method} method is not supported; use GET or POST",
                headers={"allow": ALLOWED_METHODS},
            )
        if settings.csrf_prevention and not is_preflighted(headers, settings.csrf_required_headers):
            raise csrf_error(settings.csrf_required_headers)
        media = response_media_type(headers.get("accept"))
        if media is None:
            raise HttpError(
                406,
                "INVALID_ACCEPT_HEADER",
                '\'accept\' header must be one of: "*/*", "application/json" or '
                '"application/graphql-response+json"',
            )
        principal = await self.security.authenticate(headers)
        if policies is None:
            raise HttpError(503, SERVICE_UNAVAILABLE, "The router is starting")
        peer = scope.get("client")
        chain = forwarded_for(
            peer[0] if peer else None, headers.get(FORWARDED_FOR), self._trusted_proxies
        )
        limiter = policies.rate_limiter
        if limiter is not None and limiter.checks_requests:
            # the client address as resolved through the trusted proxies
            client_address = chain.split(",", 1)[0].strip()
            decision = await limiter.check_request(client_address, principal, headers)
            if not decision.allowed:
                raise HttpError(
                    429,
                    RATE_LIMITED,
                    "Your request has been rate limited",
                    headers={"retry-after": decision.retry_after_header},
                )
        parsed: list[GraphQLRequest] | GraphQLRequest
        if method == "POST":
            content_type = media_essence(headers.get("content-type"))
            if is_multipart(content_type) and settings.file_uploads.enabled:
                if self.holder is None:
                    raise HttpError(503, SERVICE_UNAVAILABLE, "The router is starting")
                parsed, files = await read_multipart(
                    receive,
                    headers,
                    settings.file_uploads,
                    settings.max_request_bytes,
                    self.holder.supergraph.api_schema,
                )
                current_files.set(files)  # released by `_graphql` when the request ends
            elif not is_json_content_type(content_type):
                raise HttpError(
                    415,
                    "INVALID_CONTENT_TYPE_HEADER",
                    "'content-type' header must be one of: \"application/json\" or "
                    '"application/graphql-response+json"',
                )
            else:
                limit = settings.max_request_bytes
                declared = headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise payload_too_large(limit)
                body = await read_request_body(receive, headers, limit, settings.compression)
                parsed = requests.from_body(
                    body, batching=settings.batching, max_batch_size=settings.max_batch_size
                )
        else:
            content_type = media_essence(headers.get("content-type"))
            if content_type is not None and content_type != APPLICATION_JSON:
                raise HttpError(
                    415,
                    "INVALID_CONTENT_TYPE_HEADER",
                    "GET request 'content-type' header may only contain: \"application/json\"",
                )
            query_string: bytes = scope["query_string"]
            if len(query_string) > settings.max_request_bytes:
                raise HttpError(
                    414,
                    "URI_TOO_LONG",
                    "Request URI too long",
                    f"the query string exceeds the limit of {settings.max_request_bytes} bytes; "
                    "send the operation with POST",
                )
            parsed = requests.from_query_string(query_string)
        forwarded = policies.headers.request_headers(headers, correlation, principal)
        # the router's own X-Forwarded-For, whatever the rules and the client say
        forwarded.default[FORWARDED_FOR] = chain
        for own in forwarded.by_subgraph.values():
            own[FORWARDED_FOR] = chain
        holder = self.holder
        if holder is None:
            raise HttpError(503, SERVICE_UNAVAILABLE, "The router is starting")
        context = RequestContext(
            headers=await self._subgraph_headers(forwarded.default, principal),
            method=method,
            principal=principal,
            subgraph_headers={
                name: await self._subgraph_headers(own, principal)
                for name, own in forwarded.by_subgraph.items()
            }
            or None,
        )
        observation = current_request.get()
        with holder.lease() as engine:
            if isinstance(parsed, list):
                responses = await asyncio.gather(*(engine.execute(one, context) for one in parsed))
                if observation is not None:
                    observation.operation_type = "batch"
                    for one in responses:
                        observation.add_response(one.body)
                extra = merge_response_headers(h for r in responses for h in r.headers)
                return 200, self._capped(orjson.dumps([r.body for r in responses])), media, extra
            if observation is not None:
                observation.operation_name = parsed.operation_name
            response = await engine.execute(parsed, context)
        if observation is not None:
            observation.add_response(response.body)
        extra = merge_response_headers(response.headers) if response.headers else []
        return (
            self._status(response, media),
            self._capped(orjson.dumps(response.body)),
            media,
            extra,
        )

    def _capped(self, body: bytes) -> bytes:
        """The answer, or a ``RESPONSE_SIZE_LIMIT_EXCEEDED`` error in its place when it is
        larger than ``MAX_RESPONSE_BYTES`` (the engine stops fetching past the limit; this
        catches what projection multiplies, e.g. one entity shown at many positions)."""
        limit = self.settings.max_response_bytes
        if limit is None or len(body) <= limit:
            return body
        log.warning("router.response_size_limit_exceeded", size=len(body), limit=limit)
        return orjson.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"The response exceeds the limit of {limit} bytes: select "
                        "fewer fields or page through lists",
                        "extensions": {"code": RESPONSE_SIZE_LIMIT_EXCEEDED},
                    }
                ],
            }
        )

    async def _subgraph_headers(
        self, forwarded: dict[str, str], principal: Principal | None
    ) -> dict[str, str]:
        """The router's service token and the user's identity headers (503 without a token:
        every subgraph would refuse the call)."""
        try:
            return await self.security.subgraph_headers(forwarded, principal)
        except ServiceTokenError as error:
            log.error("router.service_token_unavailable", error=str(error))
            raise HttpError(
                503,
                SERVICE_UNAVAILABLE,
                "The router could not obtain its token for subgraph calls",
                str(error) if self.settings.dev_mode else None,
            ) from error

    def _status(self, response: GraphQLResponse, media: str) -> int:
        """The engine's status (Apollo Router's), or 200 for JSON when the spec mode is on."""
        if self.settings.spec_json_status and media == APPLICATION_JSON and response.status == 400:
            return 200
        return response.status


def create_app(settings: RouterSettings | None = None, **kwargs: Any) -> RouterApp:
    """The ASGI app for ``settings`` (read from the environment when omitted)."""
    return RouterApp(settings or RouterSettings(), **kwargs)
