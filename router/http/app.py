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
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import orjson
import structlog

from polyshop.runtime.shutdown import ShutdownSignal
from router.config import ConfigWatcher
from router.engine import Engine, GraphQLRequest, GraphQLResponse, RequestContext
from router.execution.executor import RESPONSE_SIZE_LIMIT_EXCEEDED
from router.execution.uploads import current_files, release_files
from router.hot_reload import EngineBuilder, EngineHolder, ServingEngine, SupergraphWatcher
from router.plugins import (
    OPERATION_NAME,
    LoadedPlugin,
    PluginPipeline,
    PluginRun,
    Response,
    RouterRequest,
    RouterResponse,
    SupergraphRequest,
    SupergraphResponse,
    load_plugins,
)
from router.plugins.builtin.headers import HeaderRules, HeaderRulesConfig
from router.policy.headers import RequestHeaders, merge_response_headers
from router.policy.rate_limit import RATE_LIMITED
from router.security import AuthenticationError, Principal, SecurityLayer, TokenRequestError
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
from .invalidation import serve_invalidation
from .negotiation import (
    APPLICATION_JSON,
    is_json_content_type,
    media_essence,
    response_media_type,
    wants_html,
)
from .runtime import Policies, PolicyState
from .streaming import Transport, accepts_incremental, single, stream, streaming_transport
from .uploads import is_multipart, read_multipart
from .websocket import GraphQLWebSocket

log = structlog.get_logger("router.http")

HEALTH_UP = orjson.dumps({"status": "UP"})
HEALTH_DOWN = orjson.dumps({"status": "DOWN"})
READY = orjson.dumps({"status": "READY"})
NOT_READY = orjson.dumps({"status": "NOT_READY"})
DRAINING = orjson.dumps({"status": "DRAINING"})
JSON = b"application/json"
ALLOWED_METHODS = "GET, POST"
RESPONSE_HOOKS = (
    "router_response",
    "supergraph_request",
    "supergraph_response",
    "execution_request",
    "execution_response",
)
"""Plugin stages that see the whole response: a `@defer` query runs inline under them."""
SUPERGRAPH_HOOKS = ("supergraph_request", "supergraph_response")
"""The supergraph stage's hooks: with either, each operation runs through `_operation`."""


class RouterApp:
    """ASGI app; the lifespan starts the security layer, loads the supergraph, starts the
    engine and the file watcher.

    ``security`` defaults to a layer built from ``settings.security_settings``; the app starts
    and closes it either way. A custom ``build_engine`` is responsible for authorization itself
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
        self.security = security or SecurityLayer(settings.security_settings)
        self._build_engine = build_engine
        self._custom_engine = build_engine is not None
        self.holder: EngineHolder | None = None
        self.watcher: SupergraphWatcher | None = None
        self.config_watcher: ConfigWatcher | None = None
        self._watch_tasks: list[asyncio.Task[None]] = []
        self._graphiql: GraphiQL | None = None
        self.open_subscriptions = 0
        """Subscriptions streaming to clients now, every transport together."""
        self._sockets: set[GraphQLWebSocket] = set()
        self.policy_state: PolicyState | None = None
        self.policies: Policies | None = None
        self.plugins: PluginPipeline | None = None
        """The plugins serving requests now (None: none configured); replaced on reload."""
        self._retiring: set[asyncio.Task[None]] = set()
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
            self.plugins = await self._load_plugins(settings)
        except BaseException:
            await self.policy_state.close()
            await self.security.aclose()
            raise
        try:
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
            if self.plugins is not None:
                await self.plugins.close()
                self.plugins = None
            await self.security.aclose()
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
            plugins=self.plugins.names if self.plugins is not None else [],
        )

    async def _load_plugins(self, settings: RouterSettings) -> PluginPipeline | None:
        """The started plugins of ``settings`` (None when there are none); raises
        `router.plugins.PluginLoadError` naming the plugin that failed and why."""
        header_rules = header_rules_plugin(settings)
        if not settings.plugins and settings.coprocessor is None and header_rules is None:
            return None
        loaded = await load_plugins(settings.plugins, settings.coprocessor)
        if header_rules is not None:  # first: later hooks see the propagated headers
            loaded.insert(0, header_rules)
        metrics = self.telemetry.metrics if self.telemetry is not None else None
        pipeline = PluginPipeline(loaded, metrics=metrics, dev_mode=settings.dev_mode)
        pipeline.applies_header_rules = header_rules is not None
        return pipeline

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
        plugins_changed = _plugin_settings(settings) != _plugin_settings(self.settings)
        # A plugin that fails to load raises here: the old plugins and engine keep serving.
        plugins = await self._load_plugins(settings) if plugins_changed else self.plugins
        try:
            engine = await build(holder.supergraph)
        except BaseException:
            if plugins_changed and plugins is not None:
                await plugins.close()
            raise
        holder.swap(engine, holder.supergraph)
        self._build_engine = build
        if self.watcher is not None:
            self.watcher.build = build
        if plugins_changed:
            old, self.plugins = self.plugins, plugins
            if old is not None:
                task = asyncio.create_task(old.retire(settings.drain_timeout))
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)
        self._use_settings(settings, policies)

    def _start_draining(self) -> None:
        """SIGTERM arrived: readiness off now, the listener closes after the delay; open
        WebSocket connections are closed 1001 (going away) when it does."""
        self.draining = True
        log.info("router.draining", shutdown_delay=self.settings.shutdown_delay)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: nothing is being served
            return
        loop.call_later(
            self.settings.shutdown_delay, lambda: loop.create_task(self._close_sockets())
        )

    async def _close_sockets(self) -> None:
        for socket in list(self._sockets):
            await socket.close_going_away("The router is shutting down")

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
        await asyncio.gather(*self._retiring, return_exceptions=True)
        if self.plugins is not None:
            await self.plugins.close()
            self.plugins = None
        await self.security.aclose()
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
                    log.exception("router.startup_failed", error=str(error))
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
                handler = self._graphql
                if observer is None:
                    await handler(scope, receive, send)
                else:
                    await observer.observe(scope, receive, send, handler)
            elif path == self.settings.health_path:
                await self._health(scope, send)
            elif path == self.settings.ready_path:
                await self._ready(scope, send)
            elif (
                path == self.settings.telemetry.metrics_path
                and self.settings.telemetry.metrics_enabled
            ):
                await self._metrics(scope, send)
            elif self._invalidates(path):
                await self._invalidation(scope, receive, send)
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
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

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

    def _invalidates(self, path: str) -> bool:
        cache = self.settings.entity_cache
        return cache.enabled and cache.invalidation.enabled and path == cache.invalidation.path

    async def _invalidation(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.policy_state
        if state is None:
            await respond(send, 503, NOT_READY, JSON)
            return
        await serve_invalidation(
            scope,
            receive,
            send,
            self.settings.entity_cache.invalidation,
            state.entity_cache,
            self.settings.limits.http_max_request_bytes,
        )

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
        """``/graphql``. With plugins, the request's `PluginRun` holds the pipeline until the
        answer is sent (a reload retires it after its requests); in this one coroutine, not a
        wrapper: each coroutine level costs on every suspension of the request."""
        plugins = self.plugins
        run: PluginRun | None = None
        if plugins is not None:
            holder = self.holder
            run = plugins.begin(sdl=holder.supergraph.sdl if holder is not None else "")
        try:
            headers = decode_headers(scope["headers"])
            method: str = scope["method"]
            raw_send = send  # streams go out uncompressed, each part as it comes
            send = compressing(headers, send, self.settings.compression)
            correlation = correlation_id(headers, self._correlation_header)
            structlog.contextvars.bind_contextvars(correlation_id=correlation)
            echo = [(self._correlation_header_bytes, correlation.encode("latin-1"))]
            try:
                if (
                    method == "GET"
                    and self._graphiql is not None
                    and wants_html(headers.get("accept"))
                ):
                    await respond(
                        send,
                        200,
                        self._graphiql.page,
                        b"text/html; charset=utf-8",
                        [*echo, (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())],
                    )
                    return
                transport = (
                    streaming_transport(headers.get("accept"))
                    if self.settings.subscription.enabled
                    else None
                )
                if transport is not None:
                    await self._stream(
                        scope, receive, raw_send, headers, method, correlation, transport, run
                    )
                    return
                incremental = accepts_incremental(headers.get("accept"))
                status, body, media = await self._execute(
                    scope, receive, headers, method, correlation, run, incremental, echo
                )
                if not isinstance(body, bytes):
                    # `@defer` for a client that reads multipart: the payloads as they come.
                    await stream(
                        Transport.DEFER, raw_send, receive, body, heartbeat=None, headers=echo
                    )
                    return
            except (HttpError, AuthenticationError) as error:
                observation = current_request.get()
                if observation is not None:
                    observation.error_codes.append(error.code)
                extra = [*echo, *((k.encode(), v.encode()) for k, v in error.headers.items())]
                if run is None:
                    await respond_json(send, error.status, error.body(), JSON, extra)
                    return
                status, body, media = error.status, orjson.dumps(error.body()), APPLICATION_JSON
                echo = extra
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
            if run is not None and run.context.appended_headers:
                # Added with `Context.add_response_header` (subgraph response headers the header
                # rules pass on): every set-cookie kept, other names last-wins.
                echo.extend(
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in merge_response_headers(run.context.appended_headers)
                )
            if run is not None and ("router_response" in run.active or run.response_headers):
                # The stage's coroutine is awaited only if a hook suspended (`PluginPipeline.call`).
                stage = RouterResponse(run.context, status, None, body, wire=echo, media=media)
                if "router_response" in run.active and not run.answered_at_router:
                    outcome = run.call("router_response", stage)
                    if outcome is not None and not isinstance(outcome, Response):
                        await outcome
                    status, body = stage.status, stage.body
                if run.response_headers or stage.headers_read:
                    media = self._router_response(stage, media, echo)
            await respond(send, status, body, media.encode(), echo)
        finally:
            if plugins is not None:
                plugins.release()

    @staticmethod
    def _router_response(stage: RouterResponse, media: str, echo: list[tuple[bytes, bytes]]) -> str:
        """The router response stage's outcome into ``echo`` (in place); the media type."""
        if stage.headers_read:
            headers = stage.headers
            media = headers.pop("content-type", media)
            echo.clear()
            added: Mapping[str, str] = headers
        else:
            added = stage.context.response_headers
        for name, value in added.items():
            if name not in ("content-type", "content-length"):
                echo.append((name.encode("latin-1"), value.encode("latin-1")))
        return media

    async def _execute(
        self,
        scope: Scope,
        receive: Receive,
        headers: dict[str, str],
        method: str,
        correlation: str,
        run: PluginRun | None = None,
        incremental: bool = False,
        response_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> tuple[int, bytes | AsyncIterator[dict[str, Any]], str]:
        """Check, parse and run the request; (status, JSON body, media type). With
        ``incremental`` (the client reads `@defer`'s multipart), a query with deferred
        fragments gives its payloads as an async iterator instead of a body, unless plugins
        hook into the responses (they see one body: inline). The entity cache's
        ``Cache-Control`` for the client joins ``response_headers``."""
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
        if media is None and incremental:
            media = APPLICATION_JSON  # what a part is; an operation without @defer too
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
        parsed: list[GraphQLRequest] | GraphQLRequest | None = None
        body = b""
        query_string: bytes = scope["query_string"]
        if method == "POST":
            content_type = media_essence(headers.get("content-type"))
            if is_multipart(content_type) and settings.file_uploads.enabled:
                if self.holder is None:
                    raise HttpError(503, SERVICE_UNAVAILABLE, "The router is starting")
                parsed, files = await read_multipart(
                    receive,
                    headers,
                    settings.file_uploads,
                    settings.limits.http_max_request_bytes,
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
                limit = settings.limits.http_max_request_bytes
                declared = headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise payload_too_large(limit)
                body = await read_request_body(receive, headers, limit, settings.compression)
        else:
            content_type = media_essence(headers.get("content-type"))
            if content_type is not None and content_type != APPLICATION_JSON:
                raise HttpError(
                    415,
                    "INVALID_CONTENT_TYPE_HEADER",
                    "GET request 'content-type' header may only contain: \"application/json\"",
                )
            limit = settings.limits.http_max_request_bytes
            if len(query_string) > limit:
                raise HttpError(
                    414,
                    "URI_TOO_LONG",
                    "Request URI too long",
                    f"the query string exceeds the limit of {limit} bytes; "
                    "send the operation with POST",
                )
        if run is not None:
            if principal is not None:
                run.context.set_principal(principal)
            if "router_request" in run.active:
                incoming = RouterRequest(
                    run.context, method, scope["path"], headers, body, query_string
                )
                short = run.call("router_request", incoming)
                if short is not None and not isinstance(short, Response):
                    short = await short
                if short is not None:
                    run.answered_at_router = True
                    payload = short.body
                    encoded = payload if isinstance(payload, bytes) else orjson.dumps(payload)
                    return short.status, encoded, media
                headers, body, query_string = incoming.headers, incoming.body, incoming.query_string
        if parsed is not None:  # a multipart upload, parsed while it was read
            pass
        elif method == "POST":
            parsed = requests.from_body(
                body, batching=settings.batching, max_batch_size=settings.max_batch_size
            )
        else:
            parsed = requests.from_query_string(query_string)
        holder = self.holder
        if holder is None:
            raise HttpError(503, SERVICE_UNAVAILABLE, "The router is starting")
        context = await self._request_context(
            policies, headers, correlation, principal, chain, method, run
        )
        observation = current_request.get()
        with holder.lease() as engine:
            supergraph_stage = run is not None and not run.active.isdisjoint(SUPERGRAPH_HOOKS)
            if isinstance(parsed, list):
                execute: Callable[[GraphQLRequest, RequestContext], Awaitable[GraphQLResponse]]
                execute = engine.execute
                if supergraph_stage:
                    assert run is not None
                    execute = functools.partial(self._operation, engine, run, headers, correlation)
                responses = await asyncio.gather(*(execute(one, context) for one in parsed))
                if observation is not None:
                    observation.operation_type = "batch"
                    for one in responses:
                        observation.add_response(one.body)
                return 200, self._capped(orjson.dumps([r.body for r in responses])), media
            if observation is not None:
                observation.operation_name = parsed.operation_name
            if supergraph_stage:
                # Called directly (no partial): a single operation is the common case.
                assert run is not None
                response = await self._operation(engine, run, headers, correlation, parsed, context)
            elif (
                incremental
                and isinstance(engine, Engine)
                and (run is None or run.active.isdisjoint(RESPONSE_HOOKS))
            ):
                outcome = await engine.execute_incremental(parsed, context)
                if not isinstance(outcome, GraphQLResponse):
                    return 200, outcome, media
                response = outcome
            else:
                response = await engine.execute(parsed, context)
        if observation is not None:
            observation.add_response(response.body)
        if response.cache_control is not None and response_headers is not None:
            response_headers.append((b"cache-control", response.cache_control.encode("latin-1")))
        return (
            self._status(response, media),
            self._capped(orjson.dumps(response.body)),
            media,
        )

    async def _streaming_context(
        self,
        scope: Scope,
        headers: Mapping[str, str],
        correlation: str,
        principal: Principal | None,
        method: str,
    ) -> RequestContext:
        """The engine's request context for a subscription (multipart, SSE, WebSocket): the
        same subgraph headers as any request (header rules, the router's own
        ``X-Forwarded-For``, identity); plugins do not run on streams."""
        policies = self.policies
        if policies is None:
            raise HttpError(503, SERVICE_UNAVAILABLE, "The router is starting")
        peer = scope.get("client")
        chain = forwarded_for(
            peer[0] if peer else None, headers.get(FORWARDED_FOR), self._trusted_proxies
        )
        return await self._request_context(
            policies, dict(headers), correlation, principal, chain, method, None
        )

    # ------------------------------------------------------------------ subscriptions

    def _streaming_engine(self) -> Engine:
        holder = self.holder
        if holder is None:
            raise HttpError(503, SERVICE_UNAVAILABLE, "The router is starting")
        engine = holder.engine
        if not isinstance(engine, Engine):
            raise HttpError(
                406, "SUBSCRIPTION_NOT_SUPPORTED", "This engine does not serve subscriptions"
            )
        return engine

    def admit_subscription(self) -> contextlib.AbstractContextManager[None]:
        """Counts one open subscription; raises `HttpError` ``SUBSCRIPTION_LIMIT`` past
        ``subscription.max_opened_subscriptions``."""
        limit = self.settings.subscription.max_opened_subscriptions
        if limit is not None and self.open_subscriptions >= limit:
            raise HttpError(
                503,
                "SUBSCRIPTION_LIMIT",
                f"The router serves at most {limit} subscriptions at once; try again later",
            )
        return self._counted()

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        self.open_subscriptions += 1
        try:
            yield
        finally:
            self.open_subscriptions -= 1

    async def _stream(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        method: str,
        correlation: str,
        transport: Transport,
        run: PluginRun | None = None,
    ) -> None:
        """A subscription (or any operation) over multipart HTTP or SSE; see `streaming`.
        Plugins run at the router stage (on the request) and the supergraph stage (on the
        operation, and on each event's response): `_subscription`."""
        settings = self.settings
        if method not in ("GET", "POST"):
            raise HttpError(
                405,
                "METHOD_NOT_ALLOWED",
                f"The {method} method is not supported; use GET or POST",
                headers={"allow": ALLOWED_METHODS},
            )
        if settings.csrf_prevention and not is_preflighted(headers, settings.csrf_required_headers):
            raise csrf_error(settings.csrf_required_headers)
        principal = await self.security.authenticate(headers)
        if method == "POST":
            if not is_json_content_type(headers.get("content-type")):
                raise HttpError(
                    415,
                    "INVALID_CONTENT_TYPE_HEADER",
                    "'content-type' header must be one of: \"application/json\" or "
                    '"application/graphql-response+json"',
                )
            body = await read_request_body(
                receive, headers, settings.limits.http_max_request_bytes, settings.compression
            )
        else:
            body = b""
        query_string: bytes = scope["query_string"]
        echo = [(self._correlation_header_bytes, correlation.encode("latin-1"))]
        if run is not None:
            run.context.set_principal(principal)
            if run.wants("router_request"):
                incoming = RouterRequest(
                    run.context, method, scope["path"], headers, body, query_string
                )
                short = await run.run("router_request", incoming)
                if short is not None:
                    payload = short.body
                    encoded = payload if isinstance(payload, bytes) else orjson.dumps(payload)
                    await respond(send, short.status, encoded, JSON, echo)
                    return
                headers, body, query_string = incoming.headers, incoming.body, incoming.query_string
        if method == "POST":
            parsed = requests.from_body(body, batching=False, max_batch_size=1)
        else:
            parsed = requests.from_query_string(query_string)
        if isinstance(parsed, list):
            raise HttpError(400, "BATCHING_NOT_SUPPORTED", "Subscriptions cannot be batched")
        engine = self._streaming_engine()
        # SSE clients may send a subscription with GET (an EventSource can only GET).
        operation_method = "POST" if transport is Transport.SSE else method
        context = await self._streaming_context(
            scope, headers, correlation, principal, operation_method
        )
        with self.admit_subscription():
            outcome = await self._subscription(
                engine, parsed, context, run, scope, headers, correlation
            )
            if isinstance(outcome, GraphQLResponse):
                if outcome.status != 200:
                    await respond_json(send, outcome.status, outcome.body, JSON, echo)
                else:
                    await single(transport, send, receive, outcome.body, echo)
                return
            expiry = principal.claims.get("exp") if principal is not None else None
            await stream(
                transport,
                send,
                receive,
                outcome,
                heartbeat=settings.subscription.heartbeat_interval,
                headers=echo,
                expires_at=float(expiry) if isinstance(expiry, int | float) else None,
                send_timeout=settings.subscription.send_timeout,
            )

    async def _subscription(
        self,
        engine: Engine,
        request: GraphQLRequest,
        context: RequestContext,
        run: PluginRun | None,
        scope: Scope,
        headers: Mapping[str, str],
        correlation: str,
    ) -> GraphQLResponse | AsyncIterator[dict[str, Any]]:
        """`Engine.subscribe` through the supergraph stage of the request's plugins: its
        request hooks may change the operation and the headers (propagation to subgraphs
        runs after them) or answer in its place; its response hooks see each event's
        response (or the one response of a query), as Apollo Router's do for a stream."""
        if run is None:
            return await engine.subscribe(request, context)
        run.context.entries[OPERATION_NAME] = request.operation_name
        if run.wants("supergraph_request"):
            stage = SupergraphRequest(
                run.context,
                dict(headers),
                request.query,
                request.operation_name,
                dict(request.variables or {}),
                dict(request.extensions or {}),
                context.method,
            )
            short = await run.run("supergraph_request", stage)
            if short is not None:
                return GraphQLResponse(short.graphql_body(), short.status)
            request = GraphQLRequest(
                stage.query, stage.operation_name, stage.variables, stage.extensions
            )
            if stage.headers != headers:
                context = await self._streaming_context(
                    scope, stage.headers, correlation, context.principal, context.method
                )
        outcome = await engine.subscribe(request, context)
        if not run.wants("supergraph_response"):
            return outcome
        if isinstance(outcome, GraphQLResponse):
            answer = SupergraphResponse(
                run.context, outcome.status, run.response_headers, outcome.body
            )
            await run.run("supergraph_response", answer)
            return GraphQLResponse(answer.body, answer.status)
        return self._each_event(run, outcome)

    @staticmethod
    async def _each_event(
        run: PluginRun, events: AsyncIterator[dict[str, Any]]
    ) -> AsyncIterator[dict[str, Any]]:
        """Each event's response through the supergraph response hooks."""
        try:
            async for body in events:
                answer = SupergraphResponse(run.context, 200, run.response_headers, body)
                await run.run("supergraph_response", answer)
                yield answer.body
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    async def _websocket_operation(
        self,
        scope: Scope,
        engine: Engine,
        request: GraphQLRequest,
        context: RequestContext,
        headers: Mapping[str, str],
        correlation: str,
    ) -> GraphQLResponse | AsyncIterator[dict[str, Any]]:
        """One WebSocket operation through the plugins, as one HTTP request would be: the
        router stage sees the upgrade's method and path, the connection's headers and the
        ``subscribe`` payload as the body; then `_subscription`. The plugin pipeline is held
        until the operation ends."""
        plugins = self.plugins
        if plugins is None:
            return await engine.subscribe(request, context)
        holder = self.holder
        run = plugins.begin(
            context.principal, sdl=holder.supergraph.sdl if holder is not None else ""
        )
        try:
            headers = dict(headers)
            if run.wants("router_request"):
                body = orjson.dumps(
                    {
                        "query": request.query,
                        "operationName": request.operation_name,
                        "variables": request.variables,
                        "extensions": request.extensions,
                    }
                )
                incoming = RouterRequest(run.context, "GET", scope["path"], dict(headers), body)
                short = await run.run("router_request", incoming)
                if short is not None:
                    payload = short.body
                    answer = payload if isinstance(payload, dict) else orjson.loads(payload)
                    plugins.release()
                    return GraphQLResponse(answer, short.status)
                if incoming.body != body:
                    replaced = requests.from_body(incoming.body, batching=False, max_batch_size=1)
                    if isinstance(replaced, GraphQLRequest):
                        request = replaced
                if incoming.headers != headers:
                    headers = incoming.headers
                    context = await self._streaming_context(
                        scope, headers, correlation, context.principal, context.method
                    )
            outcome = await self._subscription(
                engine, request, context, run, scope, headers, correlation
            )
        except BaseException:
            plugins.release()
            raise
        if isinstance(outcome, GraphQLResponse):
            plugins.release()
            return outcome
        return _Released(outcome, plugins.release)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self.settings.subscription
        if scope["path"] != self.settings.graphql_path or not config.enabled:
            await websocket.refuse(scope, receive, send)
            return
        headers = decode_headers(scope["headers"])
        correlation = correlation_id(headers, self._correlation_header)

        def engine() -> Engine | None:
            holder = self.holder
            found = holder.engine if holder is not None else None
            return found if isinstance(found, Engine) else None

        async def make_context(
            init_headers: Mapping[str, str], principal: Principal | None
        ) -> RequestContext:
            return await self._streaming_context(
                scope, init_headers, correlation, principal, "POST"
            )

        async def subscribe(
            engine: Engine,
            request: GraphQLRequest,
            context: RequestContext,
            init_headers: Mapping[str, str],
        ) -> GraphQLResponse | AsyncIterator[dict[str, Any]]:
            return await self._websocket_operation(
                scope, engine, request, context, init_headers, correlation
            )

        socket = GraphQLWebSocket(
            scope,
            receive,
            send,
            engine=engine,
            authenticate=self.security.authenticate,
            make_context=make_context,
            admit=self.admit_subscription,
            subscribe=subscribe,
            init_timeout=config.connection_init_timeout,
            max_per_connection=config.max_subscriptions_per_connection,
            max_message_bytes=config.max_message_bytes,
            ping_interval=config.heartbeat_interval,
            send_timeout=config.send_timeout,
        )
        self._sockets.add(socket)
        try:
            await socket.serve()
        finally:
            self._sockets.discard(socket)

    def _capped(self, body: bytes) -> bytes:
        """The answer, or a ``RESPONSE_SIZE_LIMIT_EXCEEDED`` error in its place when it is
        larger than ``MAX_RESPONSE_BYTES`` (the engine stops fetching past the limit; this
        catches what projection multiplies, e.g. one entity shown at many positions)."""
        limit = self.settings.limits.max_response_bytes
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

    async def _operation(
        self,
        engine: ServingEngine,
        run: PluginRun,
        headers: dict[str, str],
        correlation: str,
        request: GraphQLRequest,
        context: RequestContext,
    ) -> GraphQLResponse:
        """One operation through the supergraph stage: its request hooks may change the
        operation and the client's headers (propagation to subgraphs runs after them) or
        answer in its place; its response hooks see and may change the answer."""
        run.context.entries[OPERATION_NAME] = request.operation_name
        if "supergraph_request" in run.active:
            stage = SupergraphRequest(
                run.context,
                headers,
                request.query,
                request.operation_name,
                _own(request.variables),
                _own(request.extensions),
                context.method,
            )
            short = run.call("supergraph_request", stage)
            if short is not None and not isinstance(short, Response):
                short = await short
            if short is not None:  # answered at this stage: its response hooks do not run
                return GraphQLResponse(short.graphql_body(), short.status)
            if (
                stage.query is not request.query
                or stage.operation_name is not request.operation_name
                or (
                    stage.variables is not request.variables
                    and (stage.variables or request.variables)
                )
                or (
                    stage.extensions is not request.extensions
                    and (stage.extensions or request.extensions)
                )
            ):  # A part was replaced or copied (changes made in place to the request's own
                # dicts are in the request already; an empty map stands for a missing one).
                request = GraphQLRequest(
                    stage.query, stage.operation_name, stage.variables, stage.extensions
                )
                run.context.entries[OPERATION_NAME] = stage.operation_name
            policies = self.policies
            changed = stage.changed_headers()
            if changed is not None and policies is not None:
                context = await self._request_context(
                    policies,
                    changed,
                    correlation,
                    context.principal,
                    context.headers.get(FORWARDED_FOR, ""),
                    context.method,
                    run,
                )
        response = await engine.execute(request, context)
        if "supergraph_response" in run.active:
            stage_out = SupergraphResponse(
                run.context, response.status, run.response_headers, response.body
            )
            outcome = run.call("supergraph_response", stage_out)
            if outcome is not None and not isinstance(outcome, Response):
                await outcome
            if stage_out.body is not response.body or stage_out.status != response.status:
                response = GraphQLResponse(stage_out.body, stage_out.status)
        return response

    async def _request_context(
        self,
        policies: Policies,
        headers: dict[str, str],
        correlation: str,
        principal: Principal | None,
        chain: str,
        method: str,
        run: PluginRun | None,
    ) -> RequestContext:
        """The subgraph headers of a request (header rules, then the router's own
        ``X-Forwarded-For``, then identity) in the engine's request context."""
        if run is not None and run.pipeline.applies_header_rules:
            # The built-in headers plugin runs the rules at the subgraph stage: the
            # router sends its own headers only (and identity, below).
            forwarded = RequestHeaders({self._correlation_header: correlation}, {})
        else:
            forwarded = policies.headers.request_headers(headers, correlation, principal)
        forwarded.default[FORWARDED_FOR] = chain
        for own in forwarded.by_subgraph.values():
            own[FORWARDED_FOR] = chain
        return RequestContext(
            headers=await self._subgraph_headers(forwarded.default, principal),
            method=method,
            principal=principal,
            subgraph_headers={
                name: await self._subgraph_headers(own, principal)
                for name, own in forwarded.by_subgraph.items()
            }
            or None,
            plugins=run,
            client_headers=headers,
        )

    async def _subgraph_headers(
        self, forwarded: dict[str, str], principal: Principal | None
    ) -> dict[str, str]:
        """The router's service token and the user's identity headers (503 without a token:
        every subgraph would refuse the call)."""
        try:
            return await self.security.subgraph_headers(forwarded, principal)
        except TokenRequestError as error:
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


def _plugin_settings(settings: RouterSettings) -> tuple[Any, ...]:
    """What the plugin pipeline is built from: a change means new plugins on reload."""
    return (
        settings.plugins,
        settings.coprocessor,
        settings.headers,
        settings.propagate_headers,
        settings.propagate_headers_extra,
        settings.correlation_header,
    )


def header_rules_plugin(settings: RouterSettings) -> LoadedPlugin | None:
    """The built-in ``headers`` plugin when the ``headers`` section has rules (None: the
    HTTP layer forwards the plain ``propagate_headers`` allowlist itself)."""
    if settings.headers.is_empty:
        return None
    plugin = HeaderRules(
        HeaderRulesConfig(
            rules=settings.headers,
            propagate=(*settings.propagate_headers, *settings.propagate_headers_extra),
            correlation_header=settings.correlation_header,
        )
    )
    # Never suspends (no timer needed); a failure fails the request like any plugin's.
    return LoadedPlugin(plugin, "headers", False, None)


def _own(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """A request's own map for a stage object: the parsed JSON dict itself (nothing else
    holds it; the request is rebuilt from the stage), else a fresh dict."""
    return values if type(values) is dict else dict(values or {})


def create_app(settings: RouterSettings | None = None, **kwargs: Any) -> RouterApp:
    """The ASGI app for ``settings`` (read from the environment when omitted)."""
    return RouterApp(settings or RouterSettings(), **kwargs)


class _Released:
    """``events``, then ``release()`` once the stream is over, however it ends (also when
    closed before its first event, where an async generator's ``finally`` would not run)."""

    def __init__(self, events: AsyncIterator[dict[str, Any]], release: Callable[[], None]) -> None:
        self._events = events
        self._release: Callable[[], None] | None = release

    def __aiter__(self) -> _Released:
        return self

    async def __anext__(self) -> dict[str, Any]:
        try:
            return await anext(self._events)
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        release, self._release = self._release, None
        if release is None:
            return
        try:
            close = getattr(self._events, "aclose", None)
            if close is not None:
                await close()
        finally:
            release()
