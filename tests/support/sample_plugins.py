"""Plugins the plugin tests load by ``module:Class`` name, as a user's would be."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from router.planning import plan_to_text
from router.plugins import (
    ExecutionRequest,
    ExecutionResponse,
    NoConfig,
    Plugin,
    PluginError,
    Response,
    RouterRequest,
    RouterResponse,
    SubgraphRequest,
    SubgraphResponse,
    SupergraphRequest,
    SupergraphResponse,
)


class EverywhereConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: str
    first: int | None = None
    suffix: str = ""


class Everywhere(Plugin[EverywhereConfig]):
    """A hook at every stage, each changing something a test can see."""

    Config = EverywhereConfig

    def _seen(self, target: Any, stage: str) -> dict[str, Any]:
        state = target.context.state(self)
        state.setdefault("stages", []).append(stage)
        return state

    async def router_request(self, request: RouterRequest) -> Response | None:
        self._seen(request, "router_request")
        request.headers["x-router-request"] = self.config.tag
        return None

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        self._seen(request, "supergraph_request")
        if self.config.first is not None:
            request.variables["first"] = self.config.first
        return None

    async def execution_request(self, request: ExecutionRequest) -> Response | None:
        state = self._seen(request, "execution_request")
        state["plan"] = plan_to_text(request.plan)
        request.headers["x-execution"] = request.operation_kind
        return None

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        self._seen(request, f"subgraph_request:{request.service_name}")
        request.headers["x-subgraph"] = request.service_name
        return None

    async def subgraph_response(self, response: SubgraphResponse) -> Response | None:
        self._seen(response, f"subgraph_response:{response.service_name}")
        data = response.body.get("data") or {}
        for product in data.get("topProducts") or ():
            product["name"] += self.config.suffix
        return None

    async def execution_response(self, response: ExecutionResponse) -> Response | None:
        state = self._seen(response, "execution_response")
        planned = "products" in state["plan"]
        response.body["extensions"] = {"tag": self.config.tag, "planned": planned}
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        self._seen(response, "supergraph_response")
        response.headers["x-supergraph"] = self.config.tag
        return None

    async def router_response(self, response: RouterResponse) -> Response | None:
        state = self._seen(response, "router_response")
        response.headers["x-stages"] = ",".join(state["stages"])
        return None


class OrderConfig(BaseModel):
    name: str


class Order(Plugin[OrderConfig]):
    """Appends its name to a shared context entry; the last one reports the order."""

    Config = OrderConfig

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        request.context.entries.setdefault("order", []).append(self.config.name)
        return None

    async def router_response(self, response: RouterResponse) -> Response | None:
        response.headers["x-order"] = ",".join(response.context.entries.get("order", []))
        return None


class StopConfig(BaseModel):
    stage: Literal["router_request", "supergraph_request", "execution_request", "subgraph_request"]
    status: int = 403


class Stop(Plugin[StopConfig]):
    """Short-circuits at the configured stage."""

    Config = StopConfig

    def stages(self) -> list[str]:
        return [self.config.stage, "supergraph_response"]

    async def _stop(self, stage: str) -> Response:
        return Response.error(
            f"stopped at {stage}", "STOPPED", self.config.status, headers={"x-stopped": stage}
        )

    async def router_request(self, request: RouterRequest) -> Response | None:
        return await self._stop("router_request")

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        return await self._stop("supergraph_request")

    async def execution_request(self, request: ExecutionRequest) -> Response | None:
        return await self._stop("execution_request")

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        if request.service_name == "reviews":
            return await self._stop("subgraph_request")
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        response.headers["x-supergraph-response-ran"] = "yes"
        return None


class FailingConfig(BaseModel):
    stage: str
    mode: Literal["raise", "hang", "plugin_error"] = "raise"


class Failing(Plugin[FailingConfig]):
    """Raises, or never returns, at the configured stage; counts its calls."""

    Config = FailingConfig
    calls: int = 0

    def stages(self) -> list[str]:
        return [self.config.stage]

    async def _fail(self) -> Response | None:
        type(self).calls += 1
        if self.config.mode == "hang":
            await asyncio.sleep(3600)
        if self.config.mode == "plugin_error":
            raise PluginError("quota exhausted", code="QUOTA", status=429)
        raise RuntimeError("boom")

    async def router_request(self, request: RouterRequest) -> Response | None:
        return await self._fail()

    async def router_response(self, response: RouterResponse) -> Response | None:
        return await self._fail()

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        return await self._fail()

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        return await self._fail()

    async def execution_request(self, request: ExecutionRequest) -> Response | None:
        return await self._fail()

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        return await self._fail()


class NeedsLimitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int


class NeedsLimit(Plugin[NeedsLimitConfig]):
    Config = NeedsLimitConfig


class BadStart(Plugin[NoConfig]):
    async def start(self) -> None:
        raise ConnectionRefusedError("the policy service is down")


class NotAPlugin:
    pass


class SeesHeaders(Plugin[NoConfig]):
    """Listed after header rules: copies what it sees at the subgraph stage into headers the
    subgraph records, and adds a cookie per subgraph answer."""

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        request.headers["x-seen-tenant"] = request.headers.get("x-tenant", "-")
        request.headers["x-client-other"] = request.client_headers.get("x-other", "-")
        return None

    async def subgraph_response(self, response: SubgraphResponse) -> Response | None:
        response.context.add_response_header("set-cookie", f"seen={response.service_name}")
        return None


class Live(Plugin[NoConfig]):
    """On subscriptions: sets a header at the router stage, rewrites the topic at the
    supergraph stage, and marks each event's response."""

    async def router_request(self, request: RouterRequest) -> Response | None:
        request.headers["x-tenant"] = "from-plugin"
        return None

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        if "topic" in request.variables:
            request.variables["topic"] = "rewritten"
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        response.body.setdefault("extensions", {})["live"] = True
        return None
