"""Running the plugins' hooks: order, timeouts, failures, and the plugins' lifetime.

`PluginPipeline` holds the started plugins of one configuration and, per stage, only the hooks
their classes override: a stage without hooks costs one dict lookup, and a router without
plugins has no pipeline at all. Hooks of one stage run in the list's order.

Each hook call is bounded by its plugin's ``timeout``. A hook that raises or times out is
logged, counted in ``polyshop_router_plugin_failures_total{plugin,stage,reason}``, and added
as an event (and an error status) to the current trace span. Then:

- an ``optional`` plugin (or a `PluginError` with ``skip``) is skipped: the request goes on
  as if the hook had not run;
- otherwise a request stage answers a GraphQL error naming the plugin and the stage
  (``PLUGIN_FAILED`` 500, ``PLUGIN_TIMEOUT`` 504, or the `PluginError`'s own code and
  status), and a response stage replaces the response with that error. At the subgraph stage
  the error stands for that subgraph's answer, like a failed fetch: the rest of the operation
  still runs.

A pipeline is replaced whole on a configuration reload: the new one serves the next requests,
the old one closes its plugins once its requests are done (`retire`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from .api import (
    PLUGIN_FAILED,
    PLUGIN_TIMEOUT,
    REQUEST_STAGES,
    STAGES,
    Context,
    PluginError,
    Response,
    RouterResponse,
)
from .loader import LoadedPlugin

if TYPE_CHECKING:
    from polyshop.runtime.principal import Principal
    from router.telemetry.metrics import RouterMetrics

log = structlog.get_logger("router.plugins")

Hook = Callable[[Any], Coroutine[Any, Any, Response | None]]
Outcome = Response | None | Coroutine[Any, Any, Response | None]
"""What `PluginPipeline.call` gives: the stage's result, or a coroutine that produces it."""


class _Resumed(Awaitable[Any]):
    """Awaits the rest of a coroutine that already ran up to its first suspension
    (``suspended`` is what it yielded then): the task sees exactly the same awaits."""

    __slots__ = ("_coroutine", "_suspended")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], suspended: Any) -> None:
        self._coroutine = coroutine
        self._suspended = suspended

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine = self._coroutine
        value = self._suspended
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:
                try:
                    value = coroutine.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    value = coroutine.send(sent)
                except StopIteration as done:
                    return done.value


class PluginPipeline:
    """The started plugins of one configuration, and their hooks by stage."""

    def __init__(
        self,
        plugins: list[LoadedPlugin],
        *,
        metrics: RouterMetrics | None = None,
        dev_mode: bool = False,
    ) -> None:
        self.plugins = plugins
        self.metrics = metrics
        self.dev_mode = dev_mode
        hooks: dict[str, list[tuple[LoadedPlugin, Hook]]] = {stage: [] for stage in STAGES}
        for loaded in plugins:
            for stage in loaded.plugin.stages():
                hooks[stage].append((loaded, getattr(loaded.plugin, stage)))
        self.hooks: dict[str, tuple[tuple[LoadedPlugin, Hook], ...]] = {
            stage: tuple(found) for stage, found in hooks.items()
        }
        self._bound: dict[str, tuple[Hook, ...]] = {
            stage: tuple(hook for _, hook in found) for stage, found in hooks.items()
        }
        """The hooks alone, per stage: what `call` iterates."""
        self.active = frozenset(stage for stage, found in hooks.items() if found)
        """The stages with at least one hook."""
        self.subgraph_hooks = bool(self.active & {"subgraph_request", "subgraph_response"})
        """Whether the executor wraps fetches in the subgraph stage at all."""
        self.applies_header_rules = False
        """Set by the router when the built-in ``headers`` plugin runs the header rules
        (`router.plugins.builtin.headers`): the HTTP layer then sends only its own headers."""
        self._call = self.call
        self._run = self.run
        """Bound once: each request's `PluginRun` shares them."""
        self._in_flight = 0
        self._retired = False
        self._drained: asyncio.Event | None = None

    def wants(self, stage: str) -> bool:
        return stage in self.active

    @property
    def names(self) -> list[str]:
        return [loaded.name for loaded in self.plugins]

    # ------------------------------------------------------------------ per request

    def begin(self, principal: Principal | None = None, sdl: str = "") -> PluginRun:
        """A request starts using the pipeline: its `PluginRun` (pair with `release` in
        ``finally``: a retired pipeline closes its plugins once none is in flight)."""
        self._in_flight += 1
        return PluginRun(self, Context(principal, sdl))

    def release(self) -> None:
        """A request is done with it: a retired pipeline closes after its last request."""
        self._in_flight -= 1
        if self._retired and self._in_flight == 0 and self._drained is not None:
            self._drained.set()

    async def run(self, stage: str, target: Any) -> Response | None:
        """Run ``stage``'s hooks on ``target``. A request stage returns the short-circuit
        response (a hook's, or a failure's); a response stage applies replacements and
        failures to ``target`` itself and returns None."""
        outcome = self.call(stage, target)
        if outcome is None or isinstance(outcome, Response):
            return outcome
        return await outcome

    def call(self, stage: str, target: Any, start: int = 0) -> Outcome:
        """`run` without a coroutine of its own when no hook suspends (the common case):
        the result itself, or, once a hook awaits, a coroutine to await for it. The router's
        call sites use it directly (``outcome = run.call(...)``, then ``await`` only when the
        outcome is a coroutine): a stage costs its hooks' calls and nothing more.

        Each hook runs up to its first suspension right here; one that never suspends needs
        no timer, and one that does finishes under its plugin's timeout (`_resume`)."""
        index = start
        for hook in self._bound[stage][start:] if start else self._bound[stage]:
            try:
                coroutine = hook(target)
                suspended = coroutine.send(None)
            except StopIteration as done:
                result: Response | None = done.value
                if result is not None and self._settle(stage, target, result):
                    return result
            except Exception as error:
                return self._after_failure(stage, target, index, error)
            else:
                return self._resume(stage, target, index, coroutine, suspended)
            index += 1
        return None

    async def _resume(
        self,
        stage: str,
        target: Any,
        index: int,
        coroutine: Coroutine[Any, Any, Response | None],
        suspended: Any,
    ) -> Response | None:
        loaded = self.hooks[stage][index][0]
        try:
            if loaded.timeout is None:
                result: Response | None = await _Resumed(coroutine, suspended)
            else:
                async with asyncio.timeout(loaded.timeout):
                    result = await _Resumed(coroutine, suspended)
        except Exception as error:
            outcome = self._after_failure(stage, target, index, error)
        else:
            if result is not None and self._settle(stage, target, result):
                return result
            outcome = self.call(stage, target, index + 1)
        if outcome is None or isinstance(outcome, Response):
            return outcome
        return await outcome

    def _settle(self, stage: str, target: Any, result: Response) -> bool:
        """A hook answered ``result``: True when that ends the stage (a short-circuit)."""
        if stage in REQUEST_STAGES:
            if result.headers:
                target.context.response_headers.update(result.headers)
            return True
        _apply(target, result)
        return False

    def _after_failure(self, stage: str, target: Any, index: int, error: Exception) -> Outcome:
        loaded = self.hooks[stage][index][0]
        failure = self._failed(loaded, stage, error)
        if failure is None:  # skipped: the next hooks run
            return self.call(stage, target, index + 1)
        if stage in REQUEST_STAGES:
            return failure
        _apply(target, failure)
        return None

    def _failed(self, loaded: LoadedPlugin, stage: str, error: Exception) -> Response | None:
        timed_out = isinstance(error, TimeoutError) or (
            isinstance(error, PluginError) and error.timeout
        )
        reason = "timeout" if timed_out else "error"
        skip = loaded.optional or (isinstance(error, PluginError) and error.skip)
        if self.metrics is not None:
            self.metrics.plugin_failures.labels(loaded.name, stage, reason).inc()
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(
                "plugin.failure",
                {
                    "plugin": loaded.name,
                    "stage": stage,
                    "reason": reason,
                    "skipped": skip,
                    "exception.type": type(error).__name__,
                    "exception.message": str(error),
                },
            )
            if not skip:
                span.set_status(Status(StatusCode.ERROR, f"plugin {loaded.name} failed"))
        log.error(
            "plugin.failed",
            plugin=loaded.name,
            stage=stage,
            reason=reason,
            skipped=skip,
            error=f"{type(error).__name__}: {error}",
            exc_info=not timed_out and not isinstance(error, PluginError),
        )
        if skip:
            return None
        extensions: dict[str, Any] = {"plugin": loaded.name, "stage": stage}
        if isinstance(error, PluginError):
            return Response.error(error.message, error.code, error.status, **extensions)
        if timed_out:
            return Response.error(
                f"Plugin '{loaded.name}' timed out at {stage} (after {loaded.timeout} s)",
                PLUGIN_TIMEOUT,
                504,
                **extensions,
            )
        if self.dev_mode:
            extensions["reason"] = f"{type(error).__name__}: {error}"
        return Response.error(
            f"Plugin '{loaded.name}' failed at {stage}: {type(error).__name__}",
            PLUGIN_FAILED,
            500,
            **extensions,
        )

    # ------------------------------------------------------------------ lifetime

    async def retire(self, drain_timeout: float) -> None:
        """Close the plugins once the requests using them are done (or after the timeout)."""
        self._retired = True
        if self._in_flight:
            self._drained = asyncio.Event()
            try:
                await asyncio.wait_for(self._drained.wait(), drain_timeout)
            except TimeoutError:
                log.warning("plugins.drain_timeout", in_flight=self._in_flight)
        await self.close()

    async def close(self) -> None:
        for loaded in reversed(self.plugins):
            try:
                await loaded.plugin.close()
            except Exception:
                log.exception("plugin.close_failed", plugin=loaded.name)


def _apply(target: Any, response: Response) -> None:
    """Put a response hook's replacement (or a failure) into the stage object."""
    target.status = response.status
    if isinstance(target, RouterResponse):
        body = response.body
        target.body = body if isinstance(body, bytes) else orjson.dumps(body)
    else:
        target.body = response.graphql_body()
    headers = getattr(target, "headers", None)
    if headers is not None:
        headers.update(response.headers)


class PluginRun:
    """The plugins' side of one request: its `Context`, the response headers plugins add,
    and the pipeline's ``call`` (``run``), bound once so a stage costs one attribute lookup.

    Call sites test ``stage in run.active`` before building a stage's object: a stage no
    plugin implements costs that lookup and nothing else."""

    __slots__ = (
        "active",
        "answered_at_router",
        "call",
        "context",
        "pipeline",
        "response_headers",
        "run",
        "subgraph_hooks",
    )

    def __init__(self, pipeline: PluginPipeline, context: Context) -> None:
        self.answered_at_router = False
        """A router request hook answered: the router response hooks are skipped."""
        self.pipeline = pipeline
        self.context = context
        self.response_headers = context.response_headers
        self.active = pipeline.active
        self.subgraph_hooks = pipeline.subgraph_hooks
        self.run = pipeline._run
        self.call = pipeline._call

    def wants(self, stage: str) -> bool:
        """Whether any plugin has a hook at ``stage``."""
        return stage in self.active
