"""Apollo Router's external coprocessor protocol, as a plugin of our pipeline.

At each configured stage the router POSTs one JSON object to the coprocessor::

    {"version": 1, "stage": "SupergraphRequest", "control": "continue", "id": "<request id>",
     "headers": {"name": ["value"]}, "body": {...}, "context": {"entries": {...}}, ...}

with the parts the stage's configuration asks for (`router.plugins.coprocessor.config`).
Field names and shapes are Apollo Router's: ``headers`` maps lower-case names to lists of
values; ``body`` is a string at the router stages (the raw HTTP body) and a JSON object
elsewhere; ``context`` is ``{"entries": {...}}``; ``sdl``, ``path``, ``method``,
``statusCode``, ``serviceName``, ``uri``, ``subgraphRequestId`` and ``queryPlan`` as named.

The answer must be a 2xx JSON object with ``version`` 1 and, when present, the same
``stage``, ``id`` and ``subgraphRequestId``; anything else is a failed call, like a timeout.
A failed call fails the request with a ``PLUGIN_FAILED`` (500) or ``PLUGIN_TIMEOUT`` (504)
GraphQL error, or, with ``on_error: fail_open``, is counted and ignored. ``control``
``"continue"`` (or absent) goes on with the returned ``headers`` (replacing the request's or
response's), ``body`` and ``context`` entries (merged into the request's context);
``{"break": <status>}`` answers the client at once with that status, the returned ``body``
(a GraphQL response object; a string is sent as-is at the router stages and becomes an
error's message elsewhere) and the returned ``headers``. ``content-length`` returned by a
coprocessor is dropped, as Apollo Router does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import orjson

from router.planning.printer import plan_to_text

from ..api import (
    PLUGIN_FAILED,
    PLUGIN_TIMEOUT,
    Context,
    ExecutionRequest,
    ExecutionResponse,
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
from .config import ContextSetting, CoprocessorConfig, SelectiveContext, _Stage

VERSION = 1
_DROPPED_HEADERS = frozenset({"content-length"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, frozenset | set | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def headers_out(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Our headers as Apollo's ``{name: [values]}``."""
    return {name: [value] for name, value in headers.items()}


def headers_in(value: Any) -> dict[str, str]:
    """A coprocessor's ``headers`` as ours (lower-case names, repeated values joined)."""
    if not isinstance(value, Mapping):
        raise ValueError("'headers' must be an object of name -> [values]")
    result: dict[str, str] = {}
    for name, values in value.items():
        key = str(name).lower()
        if key in _DROPPED_HEADERS:
            continue
        if isinstance(values, list):
            result[key] = ", ".join(str(item) for item in values)
        else:
            result[key] = str(values)
    return result


def _replace(target: dict[str, str], new: dict[str, str]) -> None:
    """In place: the same dict may be shared (the response headers of a request)."""
    target.clear()
    target.update(new)


class Coprocessor(Plugin[CoprocessorConfig]):
    """Calls an external coprocessor at the stages its configuration names."""

    Config = CoprocessorConfig

    def __init__(self, config: CoprocessorConfig, name: str = "coprocessor") -> None:
        super().__init__(config, name)
        self._session: aiohttp.ClientSession | None = None
        stages = {
            "router_request": config.router.request,
            "router_response": config.router.response,
            "supergraph_request": config.supergraph.request,
            "supergraph_response": config.supergraph.response,
            "execution_request": config.execution.request,
            "execution_response": config.execution.response,
            "subgraph_request": config.subgraph.all.request,
            "subgraph_response": config.subgraph.all.response,
        }
        self._stages = [name for name, stage in stages.items() if stage is not None]

    def stages(self) -> Sequence[str]:
        return self._stages

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256, keepalive_timeout=4.0),
                skip_auto_headers=("User-Agent",),
            )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # ------------------------------------------------------------------ transport

    async def _call(self, stage: _Stage, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST ``payload``; the checked answer, or `PluginError` (skipped on fail open)."""
        session = self._session
        skip = stage.on_error == "fail_open"
        timeout = stage.timeout or self.config.timeout
        if session is None:
            raise PluginError("the coprocessor client is not started", skip=skip)
        try:
            async with asyncio.timeout(timeout):
                async with session.post(
                    stage.url or self.config.url,
                    data=orjson.dumps(payload, default=_jsonable),
                    headers={"content-type": "application/json", "accept": "application/json"},
                ) as response:
                    raw = await response.read()
                    status = response.status
        except TimeoutError as error:
            raise PluginError(
                f"Coprocessor timed out at {name} (after {timeout} s)",
                code=PLUGIN_TIMEOUT,
                status=504,
                skip=skip,
                timeout=True,
            ) from error
        except aiohttp.ClientError as error:
            raise PluginError(
                f"Coprocessor request failed at {name}: {error or type(error).__name__}",
                skip=skip,
            ) from error
        if not 200 <= status < 300:
            raise PluginError(f"Coprocessor answered HTTP {status} at {name}", skip=skip)
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise PluginError(f"Coprocessor answer at {name} is not JSON", skip=skip) from error
        problem = _check(answer, payload)
        if problem is not None:
            raise PluginError(f"Coprocessor answer at {name} is invalid: {problem}", skip=skip)
        return answer  # type: ignore[no-any-return]

    def _base(
        self, stage: _Stage, name: str, context: Context, headers: Mapping[str, str] | None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "version": VERSION,
            "stage": name,
            "control": "continue",
            "id": context.id,
        }
        if stage.headers and headers is not None:
            payload["headers"] = headers_out(headers)
        if stage.context is not False:
            payload["context"] = {"entries": _entries(context, stage.context)}
        return payload

    def _continue(
        self,
        stage: _Stage,
        answer: dict[str, Any],
        context: Context,
        headers: dict[str, str] | None,
        *,
        raw_body: bool,
    ) -> Response | None:
        """Apply ``headers`` and ``context``; the break response when asked for."""
        try:
            if "context" in answer:
                returned = answer["context"]
                entries = returned.get("entries") if isinstance(returned, Mapping) else None
                if not isinstance(entries, Mapping):
                    raise ValueError("'context' must be {\"entries\": {...}}")
                context.entries.update(entries)
            new_headers = headers_in(answer["headers"]) if "headers" in answer else None
        except ValueError as error:
            raise PluginError(
                f"Coprocessor answer is invalid: {error}", skip=stage.on_error == "fail_open"
            ) from error
        control = answer.get("control", "continue")
        if isinstance(control, Mapping):
            status = control["break"]
            body = answer.get("body")
            response_headers = {
                key: value for key, value in (new_headers or {}).items() if key != "content-type"
            }
            if isinstance(body, str):
                if raw_body:
                    return Response(body.encode(), status, response_headers)
                return Response({"errors": [{"message": body}]}, status, response_headers)
            if isinstance(body, dict):
                return Response(body, status, response_headers)
            return Response({"data": None}, status, response_headers)
        if new_headers is not None and headers is not None:
            _replace(headers, new_headers)
        return None

    # ------------------------------------------------------------------ stages

    async def router_request(self, request: RouterRequest) -> Response | None:
        stage = self.config.router.request
        assert stage is not None
        payload = self._base(stage, "RouterRequest", request.context, request.headers)
        if stage.body:
            payload["body"] = request.body.decode("utf-8", "replace")
        if stage.sdl:
            payload["sdl"] = request.context.sdl
        if stage.path:
            query = request.query_string.decode("latin-1")
            payload["path"] = request.path + (f"?{query}" if query else "")
        if stage.method:
            payload["method"] = request.method
        answer = await self._call(stage, "RouterRequest", payload)
        short = self._continue(stage, answer, request.context, request.headers, raw_body=True)
        if short is not None:
            return short
        body = answer.get("body")
        if isinstance(body, str):
            request.body = body.encode()
        return None

    async def router_response(self, response: RouterResponse) -> Response | None:
        stage = self.config.router.response
        assert stage is not None
        payload = self._base(stage, "RouterResponse", response.context, response.headers)
        if stage.body:
            payload["body"] = response.body.decode("utf-8", "replace")
        if stage.sdl:
            payload["sdl"] = response.context.sdl
        if stage.status_code:
            payload["statusCode"] = response.status
        answer = await self._call(stage, "RouterResponse", payload)
        short = self._continue(stage, answer, response.context, response.headers, raw_body=True)
        if short is not None:
            return short
        body = answer.get("body")
        if isinstance(body, str):
            response.body = body.encode()
        return None

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        stage = self.config.supergraph.request
        assert stage is not None
        payload = self._base(stage, "SupergraphRequest", request.context, request.headers)
        if stage.body:
            body: dict[str, Any] = {"query": request.query}
            if request.operation_name is not None:
                body["operationName"] = request.operation_name
            body["variables"] = request.variables
            if request.extensions:
                body["extensions"] = request.extensions
            payload["body"] = body
        if stage.sdl:
            payload["sdl"] = request.context.sdl
        if stage.method:
            payload["method"] = request.method
        answer = await self._call(stage, "SupergraphRequest", payload)
        short = self._continue(stage, answer, request.context, request.headers, raw_body=False)
        if short is not None:
            return short
        returned = answer.get("body")
        if isinstance(returned, dict):
            body = returned
            if "query" in body:
                request.query = body["query"]
            if "operationName" in body:
                request.operation_name = body["operationName"]
            if isinstance(body.get("variables"), dict):
                request.variables = body["variables"]
            if isinstance(body.get("extensions"), dict):
                request.extensions = body["extensions"]
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        stage = self.config.supergraph.response
        assert stage is not None
        payload = self._base(stage, "SupergraphResponse", response.context, response.headers)
        if stage.body:
            payload["body"] = response.body
        if stage.sdl:
            payload["sdl"] = response.context.sdl
        if stage.status_code:
            payload["statusCode"] = response.status
        answer = await self._call(stage, "SupergraphResponse", payload)
        short = self._continue(stage, answer, response.context, response.headers, raw_body=False)
        if short is not None:
            return short
        if isinstance(answer.get("body"), dict):
            response.body = answer["body"]
        return None

    async def execution_request(self, request: ExecutionRequest) -> Response | None:
        stage = self.config.execution.request
        assert stage is not None
        payload = self._base(stage, "ExecutionRequest", request.context, request.headers)
        if stage.body:
            body: dict[str, Any] = {"query": request.query, "variables": request.variables}
            if request.operation_name is not None:
                body["operationName"] = request.operation_name
            payload["body"] = body
        if stage.sdl:
            payload["sdl"] = request.context.sdl
        if stage.method:
            payload["method"] = "POST"
        if stage.query_plan:
            payload["queryPlan"] = {"formatted_query_plan": plan_to_text(request.plan)}
        answer = await self._call(stage, "ExecutionRequest", payload)
        short = self._continue(stage, answer, request.context, request.headers, raw_body=False)
        if short is not None:
            return short
        returned = answer.get("body")
        if isinstance(returned, dict) and isinstance(returned.get("variables"), dict):
            request.variables = returned["variables"]
        return None

    async def execution_response(self, response: ExecutionResponse) -> Response | None:
        stage = self.config.execution.response
        assert stage is not None
        payload = self._base(stage, "ExecutionResponse", response.context, None)
        if stage.body:
            payload["body"] = response.body
        if stage.sdl:
            payload["sdl"] = response.context.sdl
        if stage.status_code:
            payload["statusCode"] = response.status
        answer = await self._call(stage, "ExecutionResponse", payload)
        short = self._continue(stage, answer, response.context, None, raw_body=False)
        if short is not None:
            return short
        if isinstance(answer.get("body"), dict):
            response.body = answer["body"]
        return None

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        stage = self.config.subgraph.all.request
        assert stage is not None
        payload = self._base(stage, "SubgraphRequest", request.context, request.headers)
        payload["subgraphRequestId"] = request.id
        if stage.body:
            payload["body"] = request.body
        if stage.uri:
            payload["uri"] = request.uri
        if stage.method:
            payload["method"] = "POST"
        if stage.service_name:
            payload["serviceName"] = request.service_name
        answer = await self._call(stage, "SubgraphRequest", payload)
        short = self._continue(stage, answer, request.context, request.headers, raw_body=False)
        if short is not None:
            return short
        if isinstance(answer.get("body"), dict):
            request.body = answer["body"]
        return None

    async def subgraph_response(self, response: SubgraphResponse) -> Response | None:
        stage = self.config.subgraph.all.response
        assert stage is not None
        payload = self._base(stage, "SubgraphResponse", response.context, response.headers)
        payload["subgraphRequestId"] = response.id
        if stage.body:
            payload["body"] = response.body
        if stage.service_name:
            payload["serviceName"] = response.service_name
        if stage.status_code:
            payload["statusCode"] = response.status
        answer = await self._call(stage, "SubgraphResponse", payload)
        short = self._continue(stage, answer, response.context, response.headers, raw_body=False)
        if short is not None:
            return short
        if isinstance(answer.get("body"), dict):
            response.body = answer["body"]
        return None


def _entries(context: Context, setting: ContextSetting) -> dict[str, Any]:
    if isinstance(setting, SelectiveContext):
        return {key: context.entries[key] for key in setting.selective if key in context.entries}
    return context.entries


def _check(answer: Any, sent: Mapping[str, Any]) -> str | None:
    """Why a coprocessor's answer cannot be used (None: it can)."""
    if not isinstance(answer, dict):
        return "not a JSON object"
    if answer.get("version") != VERSION:
        return f"'version' must be {VERSION}"
    for key in ("stage", "id", "subgraphRequestId"):
        if key in answer and key in sent and answer[key] != sent[key]:
            return f"'{key}' changed from {sent[key]!r} to {answer[key]!r}"
    control = answer.get("control", "continue")
    if control != "continue":
        status = control.get("break") if isinstance(control, dict) else None
        if not (isinstance(status, int) and 100 <= status <= 599):
            return '\'control\' must be "continue" or {"break": <HTTP status>}'
    if "body" in answer and not isinstance(answer["body"], dict | str | None):
        return "'body' must be an object or a string"
    return None


__all__ = ["PLUGIN_FAILED", "Coprocessor", "headers_in", "headers_out"]
