"""The router's engine: one client operation in, one GraphQL response out.

Pipeline: (APQ / trusted documents, `router.persisted`) → parse → validate → select
operation → limits (cached per document and operation name) → coerce variables → estimate cost
(cached when no variable takes part) → authorize (cached per document and reduced access) →
plan (cached per active override labels and condition values) → execute → project →
response. On a plan-cache hit only variable coercion, execution and projection run.

Demand control (``demand_control``, `router.demand_control`) estimates the operation's cost
right after variable coercion, before authorization and planning: a refused operation is
never planned nor sent to a subgraph. Its actual cost is computed from the projected data.

Bounded work per request (production defaults from Apollo Router's recommended ``limits``):
the parser stops at ``parser_max_tokens``; fragments are inlined once each and the limits
(depth, height, aliases, root fields) are measured on that shared form, every selection visited
paid from a budget of ``max_selections`` (`normalize.limits`), so no document makes the router
walk an exponential tree. Planning a new operation runs on a worker thread, off the event loop,
and a client waits at most ``planning_timeout`` for it (``QUERY_PLANNING_TIMEOUT``, 503; the plan
is still cached when it completes). Execution stops past ``max_response_bytes`` of subgraph
data (``RESPONSE_SIZE_LIMIT_EXCEEDED``). `WorkStats` counts the selections visited: the work
instrument the amplification tests read.

Authorization (``@authenticated``/``@requiresScopes``/``@policy``) runs before planning, as in
Apollo Router: the engine plans the *filtered* document, projects removed fields as ``null``
(with null propagation but no second error) and adds one ``UNAUTHORIZED_FIELD_OR_TYPE`` error
per removed position. Variables are always coerced against the client's original operation.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import importlib.metadata
import random
import re
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import structlog
from graphql import DocumentNode, GraphQLSchema, type_from_ast, value_from_ast

from polyshop.runtime.principal import Principal

from .config.demand_control import DemandControlConfig
from .config.persisted import ApqConfig
from .config.traffic_shaping import TrafficShapingConfig
from .demand_control import DemandControl, OperationCost
from .execution.entity_cache import NO_STORE, EntityCache
from .execution.executor import (
    RESPONSE_SIZE_LIMIT_EXCEEDED,
    ExecutionState,
    Executor,
    OperationLabel,
)
from .execution.fetcher import FetcherConfig, SubgraphFetcher
from .execution.incremental import (
    DeferredPart,
    IncrementalPlan,
    incremental_items,
    incremental_plan,
)
from .execution.introspection import introspection_document, run_introspection
from .execution.projection import ObjectPlan, Projector, compile_selection
from .execution.subscriptions import (
    SlowSubscriber,
    SubscriptionEnded,
    SubscriptionHub,
    split_plan,
)
from .operation.errors import RequestError, error_dict
from .operation.normalize import (
    NormalizedOperation,
    OperationLimits,
    SelectionSet,
    WorkBudget,
    coerce_variables,
    measure,
    prepare,
)
from .operation.normalize.parse import parse_operation_text
from .persisted.apq import ApqStore
from .persisted.documents import OperationDocuments
from .planning.cache import LRU, PlanCache, PlanKey
from .planning.nodes import DeferNode, FetchNode, QueryPlan
from .planning.planner import Planner, PlanningError, response_aliases
from .planning.serialize import FORMAT, PlanDecodeError, decode_plan, encode_plan
from .plugins.api import (
    OPERATION_KIND,
    OPERATION_NAME,
    ExecutionRequest,
    ExecutionResponse,
    Response,
)
from .policy.rate_limit import RateLimiter
from .security.authorization import AuthorizationResult, Authorizer
from .security.nulls import add_null_fields
from .security.rules import Access
from .shared import SharedState
from .shared.plans import SharedPlans, plan_key
from .supergraph.model import Supergraph

if TYPE_CHECKING:
    from .plugins.pipeline import PluginRun

log = structlog.get_logger("router.engine")

try:
    ROUTER_VERSION = importlib.metadata.version("polyshop-federation")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
    ROUTER_VERSION = "source"
"""Part of a shared plan's key: replicas of another release never take each other's plans."""
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_PERCENT = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """One client operation."""

    query: str | None
    operation_name: str | None = None
    variables: Mapping[str, Any] | None = None
    extensions: Mapping[str, Any] | None = None


@dataclass(slots=True)
class RequestContext:
    """Per-request facts from the HTTP layer."""

    headers: Mapping[str, str]
    """Headers to propagate to subgraphs (already filtered by the HTTP layer)."""
    method: str = "POST"
    """``"GET"`` may only run queries."""
    principal: Principal | None = None
    """The verified caller (None: no token); authorization directives are decided on it."""
    subgraph_headers: Mapping[str, Mapping[str, str]] | None = None
    """Headers of the subgraphs that have header rules of their own (else ``headers``)."""
    plugins: PluginRun | None = None
    """The request's plugins (None: no plugin configured): the execution and subgraph hooks
    run here, the router and supergraph ones in the HTTP layer."""
    client_headers: Mapping[str, str] | None = None
    """The client's request headers (after the supergraph stage): what subgraph-stage hooks
    (the header rules among them) propagate from."""


SUPERGRAPH_CHANGED = "The supergraph changed and this subscription's plan with it; subscribe again"


@dataclass(eq=False, slots=True)
class _LiveSubscription:
    """One client subscription running on an engine (what a reload re-plans)."""

    engine: Engine
    request: GraphQLRequest
    context: RequestContext
    plan: QueryPlan
    root: FetchNode


@dataclass(frozen=True, slots=True)
class EngineConfig:
    subgraph_urls: Mapping[str, str] = field(default_factory=dict)
    """Subgraph name → URL, overriding ``join__Graph(url:)``."""
    subgraph_timeout: float = 30.0
    """Default timeout of subgraph requests (``traffic_shaping`` may override it)."""
    traffic_shaping: TrafficShapingConfig = field(default_factory=TrafficShapingConfig)
    """Per-subgraph timeouts, pools, retries and circuit breakers."""
    demand_control: DemandControlConfig = field(default_factory=DemandControlConfig)
    """Operation cost estimation and limits."""
    deduplicate_requests: bool = False
    """Share identical in-flight subgraph queries."""
    dedup_ignored_headers: frozenset[str] = frozenset()
    """Headers left out of the deduplication key (per-request ids)."""
    introspection: bool = True
    max_depth: int | None = 100
    max_height: int | None = 200
    max_root_fields: int | None = 20
    max_aliases: int | None = 30
    """Operation limits; the defaults are Apollo Router's recommended values (None: off)."""
    parser_max_tokens: int | None = 15_000
    parser_max_recursion: int = 200
    """Nesting of a document (graphql-core's cap is 200; lower values are checked after)."""
    max_selections: int | None = 100_000
    """Selections visited to measure or expand one operation (the work budget)."""
    planning_timeout: float = 5.0
    """Seconds a client waits for a new operation's plan."""
    max_response_bytes: int | None = 20 * 1024 * 1024
    """Subgraph response bytes one request may receive in total."""
    subgraph_max_response_bytes: int | None = 10 * 1024 * 1024
    """Largest single subgraph response body."""
    subgraph_max_concurrency_per_request: int | None = 8
    """Fetches one client request has in flight to one subgraph."""
    batch_entity_fetches: bool = True
    """Entity fetches to one subgraph due at the same plan stage go out as one request."""
    plan_cache_size: int = 1024
    """Validated operations kept, and plan variants kept (`PlanCache`), each at most this many."""
    override_labels: frozenset[str] = frozenset()
    """Progressive-override labels enabled for every request."""
    persisted_queries: bool = True
    """Automatic persisted queries (``extensions.persistedQuery``) in a registry of the
    engine's own, when no `OperationDocuments` is given to the engine."""
    subgraph_tls_ca: str | None = None
    """CA bundle trusted for ``https`` subgraphs (else the system's roots)."""
    subgraph_tls_certfile: str | None = None
    """Client certificate chain presented to subgraphs (mTLS without a mesh)."""
    subgraph_tls_keyfile: str | None = None
    """Its private key, unless the chain file holds it."""


@dataclass(slots=True)
class WorkStats:
    """Selections visited by normalization, since the engine started (the work instrument).

    Two counters, one writer each: ``measured`` on the event loop, ``expanded`` on the planning
    thread."""

    measured: int = 0
    expanded: int = 0

    @property
    def total(self) -> int:
        return self.measured + self.expanded


@dataclass(slots=True)
class PlanStats:
    """Plans this engine made (``built``) and took from the shared cache (``shared``): the
    instrument that shows replicas sharing plans. Written on the planning thread only."""

    built: int = 0
    shared: int = 0


@dataclass(slots=True)
class GraphQLResponse:
    body: dict[str, Any]
    """``{"data": ..., "errors": [...], "extensions": ...}``."""
    status: int = 200
    cache_control: str | None = None
    """The client's ``Cache-Control``, computed from the answer's parts by the entity cache
    (None: the cache is off, no header)."""


@dataclass(frozen=True, slots=True)
class _CachedPlan:
    plan: QueryPlan
    projection: ObjectPlan
    introspection: DocumentNode | None
    selection: SelectionSet
    """The projected selection (actual cost walks the data with it)."""
    incremental: IncrementalPlan | None = None
    """With `@defer`: the primary and deferred selections, for incremental delivery."""


_Resolved = tuple[
    "_CachedPlan",
    Mapping[str, Any],
    AuthorizationResult | None,
    NormalizedOperation,
    OperationLabel,
    "OperationCost | None",
    str,
]
"""A planned request: plan, coerced variables, authorization outcome, operation, its label,
its estimated cost (with demand control), and the operation's text (a persisted query's
resolved)."""


class _Prepared:
    """A validated operation (its plans are in the engine's `PlanCache`)."""

    __slots__ = ("cost", "digest", "error", "name", "operation")

    def __init__(
        self,
        digest: str,
        name: str | None,
        operation: NormalizedOperation | None,
        error: RequestError | None = None,
    ) -> None:
        self.digest = digest
        """sha256 of the operation text (`operation_hash`)."""
        self.name = name
        """The requested operation name."""
        self.operation = operation
        self.error = error
        self.cost: float | None = None
        """The estimated cost, once known to hold for any variable values."""


class Engine:
    """Plans and executes client operations against one supergraph.

    ``authorizer`` enforces the supergraph's authorization directives (none: not enforced);
    ``documents`` resolves APQ hashes and trusted-document ids (none: an APQ registry of the
    engine's own, per ``config.persisted_queries``); ``rate_limiter`` limits subgraph fetches;
    ``plans`` shares query plans with other replicas (`router.shared.plans`).
    """

    def __init__(
        self,
        supergraph: Supergraph,
        config: EngineConfig | None = None,
        *,
        authorizer: Authorizer | None = None,
        documents: OperationDocuments | None = None,
        rate_limiter: RateLimiter | None = None,
        entity_cache: EntityCache | None = None,
        plans: SharedPlans | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.plans = plans
        """Plans shared with other replicas (Redis), behind this engine's own cache."""
        self.plan_stats = PlanStats()
        self.config = config or EngineConfig()
        self.authorizer = authorizer if authorizer is not None and authorizer.active else None
        urls = {
            sub.name: self.config.subgraph_urls.get(sub.name, sub.url)
            for sub in supergraph.subgraphs.values()
        }
        self.fetcher = SubgraphFetcher(
            FetcherConfig(
                urls=urls,
                timeout=self.config.subgraph_timeout,
                policies={
                    name: self.config.traffic_shaping.policy(name, self.config.subgraph_timeout)
                    for name in urls
                },
                deduplicate=self.config.deduplicate_requests,
                dedup_ignored_headers=self.config.dedup_ignored_headers,
                max_response_bytes=self.config.subgraph_max_response_bytes,
                tls_ca=self.config.subgraph_tls_ca,
                tls_certfile=self.config.subgraph_tls_certfile,
                tls_keyfile=self.config.subgraph_tls_keyfile,
            )
        )
        self.executor = Executor(
            self.fetcher,
            self.config.max_response_bytes,
            self.config.subgraph_max_concurrency_per_request,
            limiter=rate_limiter
            if rate_limiter is not None and rate_limiter.checks_subgraphs
            else None,
            entity_cache=entity_cache
            if entity_cache is not None and entity_cache.config.enabled
            else None,
        )
        self.subscriptions = SubscriptionHub(urls)
        self._live: set[_LiveSubscription] = set()
        self._no_live = asyncio.Event()
        self._no_live.set()
        self.work = WorkStats()
        self._limits = OperationLimits(
            self.config.max_depth,
            self.config.max_height,
            self.config.max_root_fields,
            self.config.max_aliases,
        )
        self._planning = ThreadPoolExecutor(max_workers=1, thread_name_prefix="router-planner")
        self.demand = (
            DemandControl(supergraph, self.config.demand_control)
            if self.config.demand_control.enabled
            else None
        )
        self._prepared: LRU[tuple[str, str | None], _Prepared] = LRU(self.config.plan_cache_size)
        self._filtered: LRU[tuple[str, str | None, Access | None], _Prepared] = LRU(
            self.config.plan_cache_size
        )
        self.documents = documents or OperationDocuments(
            ApqConfig(enabled=self.config.persisted_queries),
            ApqStore(SharedState(None), self.config.plan_cache_size),
        )
        self.plan_cache: PlanCache[_CachedPlan] = PlanCache(self.config.plan_cache_size)
        """Every plan variant of every operation (see `router/planning/cache.py`); in front
        of the shared ``plans``."""
        self._planners: dict[frozenset[str], Planner] = {}
        self._labels = _override_labels(supergraph)
        self._random = random.Random()

    async def start(self) -> None:
        await self.fetcher.start()

    async def hand_over(self, successor: object) -> int:
        """A reload made ``successor`` current: the subscriptions running here whose plan
        differs there (a field changed or gone, a different root fetch or subgraph URL, or
        the operation no longer valid) end now with ``SUBSCRIPTION_ENDED`` saying so; the
        others go on running on this engine, which closes once they have ended (see
        `subscriptions_ended`). Returns how many were ended."""
        ended = 0
        for live in list(self._live):
            if isinstance(successor, Engine) and await successor._plans_alike(live):
                continue
            if self.subscriptions.end(live, SUPERGRAPH_CHANGED):
                ended += 1
        return ended

    async def _plans_alike(self, live: _LiveSubscription) -> bool:
        """Whether ``live`` (running on another engine) would run the same here."""
        resolved = await self._resolve(live.request, live.context, streaming=True)
        if isinstance(resolved, GraphQLResponse):
            return False
        plan = resolved[0].plan
        root = live.root
        return plan == live.plan and self.subscriptions.urls.get(
            root.service
        ) == live.engine.subscriptions.urls.get(root.service)

    async def subscriptions_ended(self) -> None:
        """Returns once no client subscription runs on this engine."""
        await self._no_live.wait()

    async def end_subscriptions(self, reason: str) -> None:
        """Ends every subscription running here with ``SUBSCRIPTION_ENDED`` (``reason``)."""
        await self.subscriptions.close(reason)

    async def close(self) -> None:
        await self.subscriptions.close("The router's supergraph or configuration changed")
        await self.fetcher.close()
        self._planning.shutdown(wait=False, cancel_futures=True)

    # -- public -------------------------------------------------------------------------

    async def execute(self, request: GraphQLRequest, context: RequestContext) -> GraphQLResponse:
        resolved = await self._resolve(request, context)
        if isinstance(resolved, GraphQLResponse):
            return resolved
        return await self._run_once(resolved, request, context)

    async def subscribe(
        self, request: GraphQLRequest, context: RequestContext
    ) -> GraphQLResponse | AsyncIterator[dict[str, Any]]:
        """A subscription: the response bodies, one per event, as an async iterator.

        A request error (or a query or mutation, which streaming transports also carry) is
        one `GraphQLResponse`. The stream ends when the subgraph completes it; an upstream
        failure, a client too slow for the events or the engine closing (a supergraph
        reload, shutdown) end it with a last body carrying the error."""
        resolved = await self._resolve(request, context, streaming=True)
        if isinstance(resolved, GraphQLResponse):
            return resolved
        if resolved[3].kind != "subscription":
            return await self._run_once(resolved, request, context)
        return self._stream(resolved, request, context)

    async def execute_incremental(
        self, request: GraphQLRequest, context: RequestContext
    ) -> GraphQLResponse | AsyncIterator[dict[str, Any]]:
        """A query with `@defer` for a client that accepts incremental delivery: the
        payloads as an async iterator (``{data, errors?, hasNext: true}``, then one
        ``{incremental: [...], hasNext}`` per deferred fragment as its fetches complete).

        Any other operation (no deferred fragment, ``@defer(if: false)``, a request error)
        is one `GraphQLResponse`, as `execute` answers it. Execution plugins' hooks do not
        run on incremental responses (their subgraph hooks do)."""
        resolved = await self._resolve(request, context)
        if isinstance(resolved, GraphQLResponse):
            return resolved
        if resolved[0].incremental is None:
            return await self._run_once(resolved, request, context)
        return self._incremental(resolved, request, context)

    async def _incremental(
        self, resolved: _Resolved, request: GraphQLRequest, context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        """The primary part first; each deferred fragment starts once the primary part (and
        the fragment it is nested in) is sent, and is sent as soon as it is done."""
        cached, coerced, authorization, _, label, cost, _ = resolved
        incremental = cached.incremental
        plan = cached.plan.node
        assert incremental is not None
        assert isinstance(plan, DeferNode)
        state = self.executor.new_state(
            request.variables or _EMPTY,
            context.headers,
            label,
            plugins=context.plugins,
            by_subgraph=context.subgraph_headers,
            claims=context.principal.claims if context.principal is not None else None,
            client_headers=context.client_headers,
        )
        await self.executor.run(plan.primary, state)
        body = self._body(cached, state, coerced, authorization, cost, incremental.primary).body
        body["hasNext"] = True
        yield body
        explains = authorization.explains if authorization is not None else None
        pending: set[asyncio.Task[tuple[DeferredPart, list[dict[str, Any]]]]] = set()

        async def deliver(part: DeferredPart) -> tuple[DeferredPart, list[dict[str, Any]]]:
            branch = state.branch()
            await self.executor.run(part.node.node, branch)
            projector = Projector(
                branch.explained, None, explains, self.supergraph.api_schema.type_map
            )
            return part, incremental_items(part, projector, state.data, branch.errors)

        def start(parent: int | None) -> None:
            for part in incremental.parts:
                if part.node.parent == parent:
                    pending.add(asyncio.ensure_future(deliver(part)))

        start(None)
        try:
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                finished = sorted(done, key=lambda t: t.result()[0].node.id)
                pending -= done
                for task in finished:
                    start(task.result()[0].node.id)
                for position, task in enumerate(finished):
                    entries = task.result()[1]
                    has_next = bool(pending) or position < len(finished) - 1
                    if entries:
                        yield {"hasNext": has_next, "incremental": entries}
                    elif not has_next:
                        yield {"hasNext": False}
        finally:
            for task in pending:
                task.cancel()

    async def _stream(
        self, resolved: _Resolved, request: GraphQLRequest, context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        cached, coerced, authorization, _, _, cost, _ = resolved
        root, rest = split_plan(cached.plan)
        variables = request.variables or _EMPTY
        # The header rules' outcome, as for any fetch: the owning subgraph's own headers for
        # the upstream subscription, each subgraph's for the per-event entity fetches.
        by_subgraph = context.subgraph_headers
        root_headers = (by_subgraph or _EMPTY).get(root.service, context.headers)
        live = _LiveSubscription(self, request, context, cached.plan, root)
        self._live.add(live)
        self._no_live.clear()
        try:
            async for event in self.subscriptions.events(root, variables, root_headers, tag=live):
                state = await self.executor.execute_event(
                    root, event, rest, variables, context.headers, by_subgraph=by_subgraph
                )
                yield self._body(cached, state, coerced, authorization, cost).body
        except SubscriptionEnded as error:
            yield {"errors": [error_dict(str(error), "SUBSCRIPTION_ENDED")]}
        except SlowSubscriber as error:
            yield {"errors": [error_dict(str(error), "SUBSCRIPTION_SLOW_CONSUMER")]}
        finally:
            self._live.discard(live)
            if not self._live:
                self._no_live.set()

    async def _resolve(
        self, request: GraphQLRequest, context: RequestContext, *, streaming: bool = False
    ) -> _Resolved | GraphQLResponse:
        """Parse, validate, authorize and plan; a `GraphQLResponse` when that fails."""
        try:
            query = await self.documents.resolve(request.query, request.extensions)
            prepared = self._prepare(query, request.operation_name)
            operation = prepared.operation
            assert operation is not None
            self._check_method(operation, context.method, streaming)
            coerced = coerce_variables(
                self.supergraph.api_schema, operation.variable_definitions, request.variables
            )
            cost: OperationCost | None = None
            demand = self.demand
            if demand is not None:
                cost, cacheable = demand.estimate(operation, coerced, prepared.cost)
                if cacheable:
                    prepared.cost = cost.estimated
                if cost.refusal is not None:
                    refused: dict[str, Any] = {"errors": [cost.refusal]}
                    if demand.config.expose_cost:
                        refused["extensions"] = {"cost": cost.extension()}
                    return GraphQLResponse(refused, 400)
            authorization: AuthorizationResult | None = None
            if self.authorizer is not None:
                authorization = await self.authorizer.authorize(
                    operation.document, request.operation_name, context.principal, cache_key=query
                )
                if authorization.filtered:
                    early = authorization.early_response(coerced)
                    if early is not None:
                        return GraphQLResponse(*early)
                    prepared = self._prepare_filtered(query, request.operation_name, authorization)
                else:
                    authorization = None
            cached = await self._planned(
                prepared,
                coerced,
                self._active_labels(),
                authorization,
                operation,
                (query, request.operation_name),
            )
        except RequestError as error:
            return GraphQLResponse({"errors": error.errors}, error.status)
        except PlanningError as error:
            log.warning(
                "router.planning_failed",
                operation_name=request.operation_name,
                operation_hash=operation_hash(query),
                error=str(error),
            )
            # The whole operation fails before any fetch: `data: null`, one error naming the
            # field no subgraph can resolve (never a dropped selection and a later null).
            return GraphQLResponse(
                {"data": None, "errors": [error_dict(str(error), "QUERY_PLANNING_FAILED")]}, 500
            )
        label = OperationLabel(request.operation_name or operation.name, operation_hash(query))
        return cached, coerced, authorization, operation, label, cost, query

    async def _run_once(
        self, resolved: _Resolved, request: GraphQLRequest, context: RequestContext
    ) -> GraphQLResponse:
        cached, coerced, authorization, operation, label, cost, query = resolved
        variables: Mapping[str, Any] = request.variables or _EMPTY
        headers = context.headers
        run = context.plugins
        if run is not None:
            entries = run.context.entries
            name = request.operation_name or operation.name
            entries[OPERATION_KIND] = operation.kind
            entries[OPERATION_NAME] = name
            if "execution_request" in run.active:
                stage = ExecutionRequest(
                    run.context,
                    cached.plan,
                    operation.kind,
                    name,
                    variables,
                    headers,
                    query,
                )
                short = run.call("execution_request", stage)
                if short is not None and not isinstance(short, Response):
                    short = await short
                if short is not None:
                    return GraphQLResponse(short.graphql_body(), short.status)
                variables, headers = stage.sent_variables(), stage.sent_headers()
        state = await self.executor.execute(
            cached.plan,
            variables,
            headers,
            label,
            plugins=run,
            by_subgraph=context.subgraph_headers,
            claims=context.principal.claims if context.principal is not None else None,
            client_headers=context.client_headers,
        )
        response = self._body(cached, state, coerced, authorization, cost)
        if state.cache_policy is not None:  # the entity cache: the client's Cache-Control
            policy = NO_STORE if response.body.get("errors") else state.cache_policy
            response.cache_control = policy.header()
        if run is not None and not state.too_large and "execution_response" in run.active:
            done = ExecutionResponse(run.context, 200, response.body)
            outcome = run.call("execution_response", done)
            if outcome is not None and not isinstance(outcome, Response):
                await outcome
            if done.body is not response.body or done.status != response.status:
                return GraphQLResponse(done.body, done.status)
        return response

    def _body(
        self,
        cached: _CachedPlan,
        state: ExecutionState,
        coerced: Mapping[str, Any],
        authorization: AuthorizationResult | None,
        cost: OperationCost | None = None,
        projection: ObjectPlan | None = None,
    ) -> GraphQLResponse:
        """The response of an executed plan: projected data, errors in order (and the
        operation's actual cost, with demand control), with the subgraph response headers
        that header rules send to the client. ``projection``: the primary part's (the
        actual cost is then left out: the deferred data is not in yet)."""
        if state.too_large:
            limit = self.config.max_response_bytes
            return GraphQLResponse(
                {
                    "data": None,
                    "errors": [
                        error_dict(
                            f"The response exceeds the limit of {limit} bytes: select fewer "
                            "fields or page through lists",
                            RESPONSE_SIZE_LIMIT_EXCEEDED,
                        )
                    ],
                }
            )
        preset: dict[str, Any] | None = None
        errors = state.errors
        explains = None
        if authorization is not None:
            errors[:0] = authorization.errors(coerced)
            explains = authorization.explains
        if cached.introspection is not None:
            preset, introspection_errors = run_introspection(
                self.supergraph.api_schema, cached.introspection, coerced
            )
            errors.extend(introspection_errors)
        projector = Projector(
            state.explained, preset, explains, self.supergraph.api_schema.type_map
        )
        data = projector.project_root(state.data, projection or cached.projection)
        errors.extend(projector.errors)
        body: dict[str, Any] = {"data": data}
        if errors:
            body["errors"] = errors
        if cost is not None and self.demand is not None:
            if projection is None:
                self.demand.actual(cost, cached.selection, data, coerced)
            if self.demand.config.expose_cost:
                body["extensions"] = {"cost": cost.extension()}
        return GraphQLResponse(body)

    def plan(
        self,
        query: str,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> QueryPlan:
        """The plan for an operation (raises `RequestError`).

        Only explicitly enabled override labels (and ``percent(100)``) count; without
        ``variables``, conditions use the declared defaults (false when there is none)."""
        prepared = self._prepare(query, operation_name)
        operation = prepared.operation
        assert operation is not None
        if variables is None:
            coerced = _defaults(self.supergraph.api_schema, operation)
        else:
            coerced = coerce_variables(
                self.supergraph.api_schema, operation.variable_definitions, variables
            )
        labels = frozenset(self.config.override_labels) | frozenset(
            label
            for label, percent in self._labels.items()
            if percent is not None and percent >= 100
        )
        return self._plan_for(prepared, coerced, labels & frozenset(self._labels)).plan

    # -- stages -------------------------------------------------------------------------

    def _prepare(self, query: str, operation_name: str | None) -> _Prepared:
        key = (query, operation_name)
        prepared = self._prepared.get(key)
        if prepared is None:
            budget = WorkBudget(self.config.max_selections)
            try:
                document = parse_operation_text(
                    query, self.config.parser_max_tokens, self.config.parser_max_recursion
                )
                operation = prepare(self.supergraph.api_schema, document, operation_name)
                if not self.config.introspection:
                    _refuse_introspection(operation)
                measure(operation.selections, budget, self._limits)
                prepared = _Prepared(operation_hash(query), operation_name, operation)
            except RequestError as error:
                prepared = _Prepared(operation_hash(query), operation_name, None, error)
            finally:
                self.work.measured += budget.visited
            self._prepared.put(key, prepared)
        if prepared.error is not None:
            raise prepared.error
        return prepared

    def _prepare_filtered(
        self, query: str, operation_name: str | None, authorization: AuthorizationResult
    ) -> _Prepared:
        """The filtered document of one (document, operation, access), prepared once."""
        key = (query, operation_name, authorization.access)
        prepared = self._filtered.get(key)
        if prepared is None:
            document = authorization.document
            assert document is not None  # an empty result is answered early
            digest = operation_hash(query)
            try:
                prepared = _Prepared(
                    digest,
                    operation_name,
                    prepare(self.supergraph.api_schema, document, operation_name),
                )
            except RequestError as error:
                prepared = _Prepared(digest, operation_name, None, error)
            self._filtered.put(key, prepared)
        if prepared.error is not None:
            raise prepared.error
        return prepared

    @staticmethod
    def _check_method(operation: NormalizedOperation, method: str, streaming: bool) -> None:
        if operation.kind == "subscription" and not streaming:
            raise RequestError.single(
                "A subscription needs a streaming transport: a WebSocket "
                "(graphql-transport-ws), 'accept: multipart/mixed;subscriptionSpec=1.0' or "
                "'accept: text/event-stream'",
                "SUBSCRIPTION_NOT_SUPPORTED",
                status=406,
            )
        if method.upper() == "GET" and operation.kind != "query":
            raise RequestError.single(
                f"Cannot execute a {operation.kind} over HTTP GET: use POST",
                "MUTATION_FORBIDDEN",
                status=405,
            )

    def _active_labels(self) -> frozenset[str]:
        if not self._labels:
            return frozenset()
        active = set(self.config.override_labels & self._labels.keys())
        for label, percent in self._labels.items():
            if (
                percent is not None
                and label not in active
                and self._random.random() * 100 < percent
            ):
                active.add(label)
        return frozenset(active)

    async def _planned(
        self,
        prepared: _Prepared,
        coerced: Mapping[str, Any],
        labels: frozenset[str],
        authorization: AuthorizationResult | None,
        original: NormalizedOperation,
        document: tuple[str, str | None],
    ) -> _CachedPlan:
        """A cached plan at once; else the shared plan (Redis), or a new one, made ready on
        the planning thread within the timeout (a new one is then shared)."""
        operation = prepared.operation
        assert operation is not None
        conditions = original.condition_key(coerced)
        if self.plan_key(prepared, coerced, labels, authorization, original) in self.plan_cache:
            return self._plan_for(prepared, coerced, labels, authorization, original)
        key = shared = None
        sink: list[bytes] | None = None
        if self.plans is not None and authorization is None:
            key = self._shared_key(document, labels, conditions)
            shared = await self.plans.get(key)
            sink = [] if shared is None else None
        context = contextvars.copy_context()
        future = self._planning.submit(
            context.run,
            self._plan_for,
            prepared,
            coerced,
            labels,
            authorization,
            original,
            shared,
            sink,
        )
        timeout = self.config.planning_timeout
        try:
            cached = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            raise RequestError.single(
                f"Query planning did not finish within {timeout:g} s; try again later",
                "QUERY_PLANNING_TIMEOUT",
                status=503,
            ) from None
        if self.plans is not None and key is not None and sink:
            await self.plans.put(key, sink[0])
        return cached

    def _shared_key(
        self, document: tuple[str, str | None], labels: frozenset[str], conditions: tuple[bool, ...]
    ) -> str:
        """Everything a plan depends on: supergraph, plan format, planner options, operation,
        override labels, condition values."""
        query, name = document
        return plan_key(
            (
                self.supergraph.schema_hash,
                FORMAT,
                ROUTER_VERSION,
                f"batch={self.config.batch_entity_fetches}",
                query,
                name or "",
                ",".join(sorted(labels)),
                "".join("1" if value else "0" for value in conditions),
            )
        )

    def plan_key(
        self,
        prepared: _Prepared,
        coerced: Mapping[str, Any],
        labels: frozenset[str],
        authorization: AuthorizationResult | None = None,
        original: NormalizedOperation | None = None,
    ) -> PlanKey:
        """The `PlanCache` key of one plan variant: the supergraph, the operation, and the
        options (labels, the ``original`` operation's condition values, the authorization
        access the filtered document was made for, entity-fetch batching)."""
        operation = original or prepared.operation
        assert operation is not None
        options = (
            labels,
            operation.condition_key(coerced),
            authorization.access if authorization is not None else None,
            self.config.batch_entity_fetches,
        )
        return PlanKey(self.supergraph.schema_hash, prepared.digest, prepared.name, options)

    def _plan_for(
        self,
        prepared: _Prepared,
        coerced: Mapping[str, Any],
        labels: frozenset[str],
        authorization: AuthorizationResult | None = None,
        original: NormalizedOperation | None = None,
        shared: bytes | None = None,
        sink: list[bytes] | None = None,
    ) -> _CachedPlan:
        """With ``authorization``, ``prepared`` holds the filtered operation; the plan variant
        is keyed by the ``original`` operation's conditions, which also decide which removed
        fields show as null. ``shared`` is the variant's plan from the shared cache (used
        instead of planning when it decodes); with ``sink``, a new plan is appended to it
        encoded for the shared cache."""
        operation = prepared.operation
        assert operation is not None
        key = self.plan_key(prepared, coerced, labels, authorization, original)
        cached = self.plan_cache.get(key)
        if cached is not None:
            return cached
        schema = self.supergraph.api_schema
        budget = WorkBudget(self.config.max_selections)
        try:
            selection = operation.expand(schema, coerced, budget)
        finally:
            self.work.expanded += budget.visited
        found = self._decode_shared(shared) if shared is not None else None
        if found is not None:
            plan = found
            self.plan_stats.shared += 1
        else:
            planner = self._planners.get(labels)
            if planner is None:
                planner = Planner(self.supergraph, labels, batch=self.config.batch_entity_fetches)
                self._planners[labels] = planner
            plan = planner.plan(operation, selection)
            self.plan_stats.built += 1
            if sink is not None:
                sink.append(encode_plan(plan))
        introspection = introspection_document(operation, selection)
        preset = introspection[1] if introspection else frozenset()
        projected = selection
        if authorization is not None:
            projected = add_null_fields(selection, authorization.nulls(coerced), schema)
        aliases = response_aliases(plan)
        incremental = None
        if isinstance(plan.node, DeferNode):
            incremental = incremental_plan(schema, projected, plan.node, aliases)
        cached = _CachedPlan(
            plan,
            compile_selection(schema, projected, preset, aliases),
            introspection[0] if introspection else None,
            projected,
            incremental,
        )
        self.plan_cache.put(key, cached)
        return cached

    @staticmethod
    def _decode_shared(data: bytes) -> QueryPlan | None:
        try:
            return decode_plan(data)
        except PlanDecodeError as error:
            log.warning("router.shared_plan_unreadable", error=str(error))
            return None


def _override_labels(supergraph: Supergraph) -> dict[str, float | None]:
    """Every progressive-override label → its percentage (None for custom labels)."""
    labels: dict[str, float | None] = {}
    for type_def in supergraph.types.values():
        for field_def in type_def.fields.values():
            for in_graph in field_def.graphs.values():
                label = in_graph.override_label
                if label is None:
                    continue
                match = _PERCENT.match(label)
                labels[label] = float(match.group(1)) if match else None
    return labels


def _defaults(schema: GraphQLSchema, operation: NormalizedOperation) -> dict[str, Any]:
    """Variable values from the declared defaults only (``polyshop plan`` without values)."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions:
        if definition.default_value is not None:
            variable_type = type_from_ast(schema, definition.type)
            if variable_type is not None:
                values[definition.variable.name.value] = value_from_ast(
                    definition.default_value,
                    variable_type,  # type: ignore[arg-type]
                )
    return values


def _refuse_introspection(operation: NormalizedOperation) -> None:
    """Shared fragment selections are looked at once (the raw tree is a DAG)."""
    seen: set[int] = set()
    stack = [operation.selections]
    while stack:
        group = stack.pop()
        if id(group) in seen:
            continue
        seen.add(id(group))
        for selection in group:
            name = getattr(selection, "name", None)
            if name in ("__schema", "__type"):
                raise RequestError.single(
                    "GraphQL introspection is not allowed", "INTROSPECTION_DISABLED"
                )
            stack.append(selection.selections)


__all__ = [
    "Engine",
    "EngineConfig",
    "GraphQLRequest",
    "GraphQLResponse",
    "RequestContext",
    "WorkStats",
]


def operation_hash(query: str) -> str:
    """The sha256 of the operation text, as logs and persisted queries name an operation."""
    return hashlib.sha256(query.encode()).hexdigest()
