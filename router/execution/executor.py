"""Runs a `QueryPlan`: fetches in order/parallel, representations, merging, error paths.

The executor fills one mutable ``data`` dict per request; each fetch merges its results into
it in place. A `BatchFetchNode` sends several ``_entities`` selections (each fed from several
paths) in one request and merges each alias's answer back into the objects it came from; a
fetch with context variables is sent once per distinct set of context values.
Shaping that data to the client's selection is `projection`'s job.

Subgraph failures reach the client as ``SUBREQUEST_HTTP_ERROR`` naming the subgraph with a fixed
reason; what the library said (internal addresses, OS errors) is logged, never sent. The bytes
received from subgraphs are counted per request: past ``max_response_bytes`` the request stops
fetching and is answered with ``RESPONSE_SIZE_LIMIT_EXCEEDED`` instead of growing without bound.
One request has at most ``max_concurrency_per_subgraph`` fetches in flight to one subgraph (a
plan with 30 aliased entity fetches queues them), so it cannot take every slot the fetcher
allows that subgraph.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import structlog

from ..planning.nodes import (
    BatchFetchNode,
    ConditionNode,
    ContextValue,
    DeferNode,
    DeferredNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RequiresFragment,
    SequenceNode,
)
from ..plugins import api as plugin_api
from . import cached_fetch
from .data import Path, collect, collect_objects, locate, merge_into
from .entity_cache import (
    NO_STORE,
    CachePolicy,
    EntityCache,
    parse_cache_control,
    parse_invalidations,
)
from .errors import (
    ENTITIES,
    entity_error_paths,
    fetch_failure,
    root_error_path,
    subgraph_error,
)
from .fetcher import FetchFailure, SubgraphFetcher, SubgraphResponse
from .representations import MissingKey, representation

if TYPE_CHECKING:
    from ..plugins.pipeline import PluginRun

ENTITY_KEY_MISSING = "ENTITY_KEY_MISSING"
RESPONSE_SIZE_LIMIT_EXCEEDED = "RESPONSE_SIZE_LIMIT_EXCEEDED"

log = structlog.get_logger("router.execution")


@dataclass(frozen=True, slots=True)
class OperationLabel:
    """How logs name the client operation a subgraph request belongs to."""

    name: str | None
    hash: str


@dataclass(slots=True)
class ExecutionState:
    """Per-request results of running a plan."""

    variables: Mapping[str, Any]
    headers: Mapping[str, str]
    by_subgraph: Mapping[str, Mapping[str, str]] | None = None
    """Headers of the subgraphs with header rules of their own (else ``headers``)."""
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    explained: list[Path] = field(default_factory=list)
    """Paths below which missing data is already explained by an error."""
    operation: OperationLabel | None = None
    client_headers: Mapping[str, str] | None = None
    """The client's request headers (what subgraph-stage hooks propagate from)."""
    received_bytes: int = 0
    """Bytes of subgraph responses so far."""
    too_large: bool = False
    """``received_bytes`` went past the limit: no further fetch is sent."""
    slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    """This request's fetch slots per subgraph (with a per-request cap)."""
    plugins: PluginRun | None = None
    """The request's plugins, when any has subgraph hooks to run around each fetch."""
    claims: Mapping[str, Any] | None = None
    """The verified caller's claims (the entity cache keys ``private`` answers by them)."""
    cache_policy: CachePolicy | None = None
    """With the entity cache: the answer's cacheability so far, merged from its parts."""

    def cache_part(self, policy: CachePolicy) -> None:
        current = self.cache_policy
        self.cache_policy = policy if current is None else current.merge(policy)

    def branch(self) -> ExecutionState:
        """A state for one deferred fragment: the same data (merged in place) and limits,
        errors of its own (they go into that fragment's incremental payload)."""
        return ExecutionState(
            self.variables,
            self.headers,
            self.by_subgraph,
            self.data,
            [],
            list(self.explained),
            self.operation,
            self.client_headers,
            self.received_bytes,
            self.too_large,
            self.slots,
            self.plugins,
            self.claims,
        )


class SubgraphLimiter(Protocol):
    """Per-subgraph rate limits (`router.policy.rate_limit.RateLimiter`)."""

    async def check_subgraph(self, service: str) -> Any:
        """A decision with ``allowed`` and ``retry_after``."""


class Executor:
    """Runs plans; ``limiter`` refuses fetches over a subgraph's rate limit
    (``REQUEST_RATE_LIMITED``)."""

    def __init__(
        self,
        fetcher: SubgraphFetcher,
        max_response_bytes: int | None = None,
        max_concurrency_per_subgraph: int | None = None,
        *,
        limiter: SubgraphLimiter | None = None,
        entity_cache: EntityCache | None = None,
    ) -> None:
        self.cache = entity_cache
        """The entity cache (`entity_cache`); None: every fetch goes to its subgraph."""
        self.fetcher = fetcher
        self.max_response_bytes = max_response_bytes
        self.max_concurrency_per_subgraph = max_concurrency_per_subgraph
        self.limiter = limiter

    async def execute(
        self,
        plan: QueryPlan,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        operation: OperationLabel | None = None,
        *,
        plugins: PluginRun | None = None,
        by_subgraph: Mapping[str, Mapping[str, str]] | None = None,
        claims: Mapping[str, Any] | None = None,
        client_headers: Mapping[str, str] | None = None,
    ) -> ExecutionState:
        state = self.new_state(
            variables,
            headers,
            operation,
            plugins=plugins,
            by_subgraph=by_subgraph,
            claims=claims,
            client_headers=client_headers,
        )
        if plan.node is not None:
            await self._run(plan.node, state)
        return state

    async def _run(self, node: PlanNode, state: ExecutionState) -> None:
        if isinstance(node, FlattenNode):
            await self._entities(node, state)
        elif isinstance(node, BatchFetchNode):
            await self._batch(node, state)
        elif isinstance(node, FetchNode):
            await self._root(node, state)
        elif isinstance(node, SequenceNode):
            for child in node.nodes:
                await self._run(child, state)
        elif isinstance(node, ParallelNode):
            await asyncio.gather(*(self._run(child, state) for child in node.nodes))
        elif isinstance(node, ConditionNode):
            branch = node.if_clause if state.variables.get(node.condition) else node.else_clause
            if branch is not None:
                await self._run(branch, state)
        elif isinstance(node, DeferNode):
            # Inline (a client without incremental delivery): everything into one state.
            if node.primary is not None:
                await self._run(node.primary, state)
            await self._run_deferred(node, None, state)

    async def _run_deferred(
        self, node: DeferNode, parent: int | None, state: ExecutionState
    ) -> None:
        """The deferred fragments nested in ``parent`` at once, each then its own nested."""

        async def one(deferred: DeferredNode) -> None:
            if deferred.node is not None:
                await self._run(deferred.node, state)
            await self._run_deferred(node, deferred.id, state)

        await asyncio.gather(*(one(d) for d in node.deferred if d.parent == parent))

    async def run(self, node: PlanNode | None, state: ExecutionState) -> None:
        """Run one node of a plan into ``state`` (the primary part or one deferred
        fragment of a `DeferNode`, for incremental delivery)."""
        if node is not None:
            await self._run(node, state)

    def new_state(
        self,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        operation: OperationLabel | None = None,
        *,
        plugins: PluginRun | None = None,
        by_subgraph: Mapping[str, Mapping[str, str]] | None = None,
        claims: Mapping[str, Any] | None = None,
        client_headers: Mapping[str, str] | None = None,
    ) -> ExecutionState:
        state = ExecutionState(
            variables,
            headers,
            by_subgraph=by_subgraph or None,
            operation=operation,
            claims=claims,
            client_headers=client_headers,
        )
        if plugins is not None and plugins.subgraph_hooks:
            state.plugins = plugins
        return state

    def _variables(
        self, fetch: FetchNode | BatchFetchNode, state: ExecutionState
    ) -> dict[str, Any]:
        values = state.variables
        return {name: values[name] for name in fetch.variable_usages if name in values}

    async def _send(
        self,
        fetch: FetchNode | BatchFetchNode,
        body: bytes,
        state: ExecutionState,
        cache_control: list[str | None] | None = None,
    ) -> dict[str, Any] | None:
        """The parsed response; None (with an error recorded) when the request failed.

        With the entity cache, the answer's ``extensions.invalidation`` is applied before
        anything else sees the answer, and its ``Cache-Control`` is appended to
        ``cache_control`` (the caller then accounts for it) or merged into the request's
        policy (a subgraph without caching: no ``Cache-Control``, no-store).

        With subgraph hooks (``state.plugins``) the request hook may change the headers and
        the JSON body, or answer in the subgraph's place (a failing plugin's error then
        stands for the subgraph's answer); the response hook sees a 2xx JSON answer and may
        change it."""
        if state.too_large:
            return None
        if self.limiter is not None:
            decision = await self.limiter.check_subgraph(fetch.service)
            if not decision.allowed:
                state.errors.append(rate_limited_fetch(fetch.service, decision.retry_after))
                return None
        headers = state.headers
        if state.by_subgraph is not None:
            headers = state.by_subgraph.get(fetch.service, headers)
        run = state.plugins
        outgoing: plugin_api.SubgraphRequest | None = None
        shareable = True
        if run is not None and "subgraph_request" in run.active:
            outgoing = plugin_api.SubgraphRequest(
                run.context,
                fetch.service,
                self.fetcher.config.urls.get(fetch.service, ""),
                headers,
                None,
                raw=body,
                client_headers=state.client_headers,
            )
            short = run.call("subgraph_request", outgoing)
            if short is not None and not isinstance(short, plugin_api.Response):
                short = await short
            if short is not None:
                return short.graphql_body()
            body = outgoing.encoded()
            headers = outgoing.sent_headers()
            shareable = outgoing.deduplicate
        limit = self.max_concurrency_per_subgraph
        try:
            if limit is None:
                response = await self._fetch(fetch, body, headers, shareable)
            else:
                slot = state.slots.get(fetch.service)
                if slot is None:
                    slot = state.slots[fetch.service] = asyncio.Semaphore(limit)
                async with slot:
                    response = await self._fetch(fetch, body, headers, shareable)
        except FetchFailure as failure:
            # A 4xx means the subgraph refused what the router sent (a planner or
            # configuration bug): logged under its own event, with the client operation.
            rejected = failure.status is not None and 400 <= failure.status < 500
            log.warning(
                "router.subgraph_rejected_request" if rejected else "router.subgraph_fetch_failed",
                service=fetch.service,
                reason=failure.reason,
                status=failure.status,
                detail=failure.detail,
                operation_name=state.operation.name if state.operation else None,
                operation_hash=state.operation.hash if state.operation else None,
            )
            state.errors.append(
                fetch_failure(fetch.service, failure.reason, failure.status, failure.code)
            )
            payload = _parse(failure.body) if failure.body else None
            if payload is not None:
                return {"errors": payload.get("errors")} if payload.get("errors") else None
            return None
        state.received_bytes += len(response.body)
        limit = self.max_response_bytes
        if limit is not None and state.received_bytes > limit:
            state.too_large = True
            log.warning(
                "router.response_size_limit_exceeded",
                service=fetch.service,
                received_bytes=state.received_bytes,
                limit=limit,
            )
            return None
        payload = _parse(response.body)
        if self.cache is not None:
            await self._cache_response(fetch.service, payload, response.headers, state)
            value = response.headers.get("cache-control")
            if cache_control is not None:
                cache_control.append(value)
            else:
                state.cache_part(NO_STORE if value is None else _policy(value))
        if payload is None:
            state.errors.append(
                fetch_failure(
                    fetch.service,
                    "the subgraph's response is not a GraphQL JSON object",
                    response.status,
                )
            )
        elif run is not None and "subgraph_response" in run.active:
            incoming = plugin_api.SubgraphResponse(
                run.context,
                fetch.service,
                response.status,
                response.headers,
                payload,
                outgoing.assigned_id if outgoing is not None else "",
            )
            outcome = run.call("subgraph_response", incoming)
            if outcome is not None and not isinstance(outcome, plugin_api.Response):
                await outcome
            return incoming.body
        return payload

    async def _cache_response(
        self,
        service: str,
        payload: dict[str, Any] | None,
        headers: Mapping[str, str],
        state: ExecutionState,
    ) -> None:
        """A subgraph answer's ``extensions.invalidation`` (what a mutation changed) goes
        before the router answers: the next query cannot see the old value."""
        assert self.cache is not None
        extensions = payload.get("extensions") if payload is not None else None
        if isinstance(extensions, dict) and extensions.get("invalidation"):
            try:
                requests = parse_invalidations(extensions["invalidation"], service)
            except ValueError as error:
                log.warning("entity_cache.bad_invalidation", service=service, error=str(error))
            else:
                await self.cache.invalidate(requests)

    async def _fetch(
        self,
        fetch: FetchNode | BatchFetchNode,
        body: bytes,
        headers: Mapping[str, str],
        shareable: bool = True,
    ) -> SubgraphResponse:
        # ``shareable`` False: a subgraph-stage hook passes this subgraph's response headers
        # to the client (the header rules' ``response`` lists); a shared answer would hand
        # one client's cookies to others.
        return await self.fetcher.fetch(
            fetch.service, body, headers, dedupe=shareable and fetch.operation_kind == "query"
        )

    async def execute_event(
        self,
        root: FetchNode,
        event: Mapping[str, Any],
        rest: PlanNode | None,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        by_subgraph: Mapping[str, Mapping[str, str]] | None = None,
    ) -> ExecutionState:
        """One subscription event: ``event`` stands for the response of the root
        subscription fetch ``root``; then the rest of the plan runs as for a query, with
        the request's subgraph headers (``by_subgraph``: those with header rules of their
        own)."""
        state = ExecutionState(variables, headers, by_subgraph=by_subgraph or None)
        self._absorb(root, dict(event), state)
        if rest is not None:
            await self._run(rest, state)
        return state

    async def _root(self, fetch: FetchNode, state: ExecutionState) -> None:
        cache = self.cache
        if cache is not None:
            if fetch.operation_kind != "query":
                state.cache_part(NO_STORE)
            elif cache.enabled_for(fetch.service):
                await cached_fetch.root(self, cache, fetch, state)
                return
        body = fetch.body_prefix + orjson.dumps(self._variables(fetch, state)) + b"}"
        payload = await self._send(fetch, body, state)
        self._absorb(fetch, payload, state)

    def _absorb(
        self, fetch: FetchNode, payload: dict[str, Any] | None, state: ExecutionState
    ) -> None:
        """A root fetch's response into ``state``: its data merged, its errors recorded."""
        if payload is None:
            state.explained.append(())
            return
        data = payload.get("data")
        if isinstance(data, dict):
            merge_into(state.data, data)
        else:
            state.explained.append(())
        for raw in _errors(payload):
            path = root_error_path(raw)
            state.errors.append(subgraph_error(raw, fetch.service, path))
            if path is not None:
                state.explained.append(tuple(path))
            else:
                state.explained.append(())

    def _collect(
        self,
        service: str,
        objects: Iterable[dict[str, Any]],
        requires: tuple[RequiresFragment, ...],
        state: ExecutionState,
        paths: tuple[tuple[str, ...], ...],
    ) -> _Batch:
        """Representations of ``objects`` (deduplicated), with the objects they came from;
        ``paths``: the plan paths the objects were collected at (their concrete paths are
        only worked out for errors, `_Batch.origins`)."""
        batch = _Batch(state.data, paths)
        representations = batch.representations
        targets = batch.targets
        index: dict[bytes, int] = {}
        skipped: list[dict[str, Any]] = []
        dumps = orjson.dumps
        for obj in objects:
            try:
                rep = representation(obj, requires)
            except MissingKey:
                skipped.append(obj)
                continue
            if rep is None:
                continue
            encoded = dumps(rep)
            position = index.get(encoded)
            if position is None:
                index[encoded] = len(representations)
                representations.append(rep)
                targets.append([obj])
            else:
                targets[position].append(obj)
        if skipped:
            at = locate(state.data, paths, [skipped])[0]
            error: dict[str, Any] = {
                "message": (
                    f"Cannot fetch {len(skipped)} entit{'y' if len(skipped) == 1 else 'ies'}"
                    f" from subgraph '{service}': key fields are null or missing"
                )
            }
            if at:
                error["path"] = list(at[0])
            error["extensions"] = {"code": ENTITY_KEY_MISSING, "service": service}
            state.errors.append(error)
            state.explained.extend(at)
        return batch

    async def _entities(self, node: FlattenNode, state: ExecutionState) -> None:
        fetch = node.node
        if fetch.contexts:
            await self._contextual_entities(node, state)
            return
        objects = collect_objects(state.data, node.path)
        batch = self._collect(fetch.service, objects, fetch.requires, state, (node.path,))
        await self._send_entities(fetch, batch, {}, state)

    async def _contextual_entities(self, node: FlattenNode, state: ExecutionState) -> None:
        """Objects whose context values differ go in separate requests (one per value set),
        each with those values as the fetch's context variables."""
        fetch = node.node
        partitions: dict[bytes, tuple[dict[str, Any], list[tuple[dict[str, Any], Path]]]] = {}
        for obj, at in collect(state.data, node.path):
            values = {c.variable: _context_value(state.data, at, c) for c in fetch.contexts}
            key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
            partitions.setdefault(key, (values, []))[1].append((obj, at))
        await asyncio.gather(
            *(
                self._send_entities(
                    fetch,
                    self._collect(
                        fetch.service,
                        [obj for obj, _ in objects],
                        fetch.requires,
                        state,
                        (node.path,),
                    ),
                    values,
                    state,
                )
                for values, objects in partitions.values()
            )
        )

    async def _send_entities(
        self,
        fetch: FetchNode,
        batch: _Batch,
        extra: Mapping[str, Any],
        state: ExecutionState,
    ) -> None:
        if not batch.representations:
            return
        cache = self.cache
        if cache is not None and cache.enabled_for(fetch.service):
            await cached_fetch.entities(self, cache, fetch, batch, extra, state)
            return
        variables = self._variables(fetch, state)
        variables.update(extra)
        variables["representations"] = batch.representations
        body = fetch.body_prefix + orjson.dumps(variables) + b"}"
        payload = await self._send(fetch, body, state)
        if payload is None:
            batch.explain(state)
            return
        data = payload.get("data")
        batch.merge(data.get(ENTITIES) if isinstance(data, dict) else None, state)
        for raw in _errors(payload):
            self._entity_error(raw, fetch.service, batch, state)

    async def _batch(self, node: BatchFetchNode, state: ExecutionState) -> None:
        """One request for several ``_entities`` selections (each under its alias)."""
        batches = [
            self._collect(
                node.service,
                chain.from_iterable(collect_objects(state.data, path) for path in entry.paths),
                entry.requires,
                state,
                entry.paths,
            )
            for entry in node.entries
        ]
        if not any(batch.representations for batch in batches):
            return
        cache = self.cache
        if cache is not None and cache.enabled_for(node.service):
            await cached_fetch.batch(self, cache, node, batches, state)
            return
        variables = self._variables(node, state)
        for entry, batch in zip(node.entries, batches, strict=True):
            variables[entry.variable] = batch.representations
        body = node.body_prefix + orjson.dumps(variables) + b"}"
        payload = await self._send(node, body, state)
        if payload is None:
            for batch in batches:
                batch.explain(state)
            return
        data = payload.get("data")
        by_alias = {entry.alias: batch for entry, batch in zip(node.entries, batches, strict=True)}
        for entry, batch in zip(node.entries, batches, strict=True):
            batch.merge(data.get(entry.alias) if isinstance(data, dict) else None, state)
        for raw in _errors(payload):
            path = raw.get("path") if isinstance(raw, dict) else None
            target = by_alias.get(path[0]) if isinstance(path, list) and path else None
            if target is None or not isinstance(path, list):
                state.errors.append(subgraph_error(raw, node.service, None))
                for batch in batches:
                    batch.explain(state)
                continue
            self._entity_error({**raw, "path": [ENTITIES, *path[1:]]}, node.service, target, state)

    @staticmethod
    def _entity_error(raw: Any, service: str, batch: _Batch, state: ExecutionState) -> None:
        client_paths = entity_error_paths(raw, batch.origins)
        if client_paths is None:
            state.errors.append(subgraph_error(raw, service, None))
            batch.explain(state)
            return
        for path in client_paths:
            state.errors.append(subgraph_error(raw, service, path))
            state.explained.append(path)


@dataclass(slots=True)
class _Batch:
    """The representations of one ``_entities`` selection and the objects they came from.

    The objects' paths (for errors) are found again from ``data`` and the plan ``paths``
    when first needed: a request without errors never builds them."""

    data: dict[str, Any] = field(default_factory=dict)
    paths: tuple[tuple[str, ...], ...] = ()
    representations: list[dict[str, Any]] = field(default_factory=list)
    targets: list[list[dict[str, Any]]] = field(default_factory=list)
    located: list[list[Path]] | None = None

    @property
    def origins(self) -> list[list[Path]]:
        """Per representation, the paths of the objects it came from."""
        if self.located is None:
            self.located = locate(self.data, self.paths, self.targets)
        return self.located

    def subset(self) -> _Batch:
        """An empty batch of objects from the same places (the entity cache's misses)."""
        return _Batch(self.data, self.paths)

    def explain(self, state: ExecutionState) -> None:
        """Mark every object's path as explained by an error (the fetch failed)."""
        for paths in self.origins:
            state.explained.extend(paths)

    def merge(self, entities: Any, state: ExecutionState) -> None:
        if not isinstance(entities, list):
            self.explain(state)
            return
        for position, entity in enumerate(entities[: len(self.targets)]):
            if isinstance(entity, dict):
                for obj in self.targets[position]:
                    merge_into(obj, entity)


def _context_value(data: dict[str, Any], at: Path, context: ContextValue) -> Any:
    """The context value for the object at ``at``: its ancestor at ``context.path``'s depth,
    then the context's selection below it (None when anything on the way is missing)."""
    value: Any = data
    for segment in at[: len(context.path)]:
        if isinstance(value, dict) and isinstance(segment, str):
            value = value.get(segment)
        elif isinstance(value, list) and isinstance(segment, int) and segment < len(value):
            value = value[segment]
        else:
            return None
    for name in context.selection:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def rate_limited_fetch(service: str, retry_after: float) -> dict[str, Any]:
    """The error of a fetch refused by the subgraph's rate limit (Apollo Router's code)."""
    return {
        "message": f"Your request to subgraph '{service}' has been rate limited",
        "extensions": {
            "code": "REQUEST_RATE_LIMITED",
            "service": service,
            "retryAfter": round(retry_after, 3),
        },
    }


def _policy(value: str) -> CachePolicy:
    return parse_cache_control(value, 0.0)


def _parse(body: bytes) -> dict[str, Any] | None:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def _errors(payload: Mapping[str, Any]) -> list[Any]:
    errors = payload.get("errors")
    return errors if isinstance(errors, list) else []
