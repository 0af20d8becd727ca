"""The plugin API: what a plugin sees at each stage of a request, and what it may answer.

A request passes four stages, as in Apollo Router's pipeline, each with a request hook on the
way in and a response hook on the way out::

    router      HTTP request/response: method, path, headers, raw body bytes
    supergraph  one GraphQL operation, before planning: query, operation name, variables
    execution   the operation with its query plan, before and after the subgraph fetches
    subgraph    each subgraph request (service, URI, headers, JSON body) and its response

Every hook receives one mutable stage object (`RouterRequest`, `SupergraphResponse`, ...):
changing its fields changes what the router does next. A hook may also return a `Response`:
from a request hook it short-circuits the request (nothing further runs at that stage or
inside it; the answer passes the response hooks of the enclosing stages only, as Apollo
Router's layers do); from a response hook it replaces the response. Returning ``None``
continues.

All stage objects of one request share one `Context`: ``context.entries`` is the request's
shared map (Apollo's context: coprocessors see and change it too), ``context.state(plugin)``
a private dict of one plugin, the way to carry a value from its request hook to its response
or subgraph hooks. A plugin's hooks are coroutines; they must not block the event loop (use
``asyncio.to_thread`` for blocking work), and each call is bounded by the plugin's timeout.

Raising fails the request with a GraphQL error naming the plugin and the stage (see
`router.plugins.pipeline`); raise `PluginError` for a chosen message, code and status.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from polyshop.runtime.principal import Principal
    from router.planning.nodes import QueryPlan

JWT_CLAIMS = "apollo::authentication::jwt_claims"
"""Context entry holding the verified token's claims (Apollo Router's key)."""
OPERATION_NAME = "apollo::supergraph::operation_name"
OPERATION_KIND = "apollo::supergraph::operation_kind"

STAGES = (
    "router_request",
    "router_response",
    "supergraph_request",
    "supergraph_response",
    "execution_request",
    "execution_response",
    "subgraph_request",
    "subgraph_response",
)
"""The hook names, in the order a request meets them."""
REQUEST_STAGES = frozenset(name for name in STAGES if name.endswith("_request"))

PLUGIN_FAILED = "PLUGIN_FAILED"
"""``extensions.code`` of a request failed by a plugin that raised."""
PLUGIN_TIMEOUT = "PLUGIN_TIMEOUT"
"""``extensions.code`` of a request failed by a plugin that took longer than its timeout."""


_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(1)


def new_id() -> str:
    """A unique id (32 hex digits): a random per-process prefix and a counter, so ids stay
    unique across worker processes and cost no entropy per request."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


class NoConfig(BaseModel):
    """The configuration of a plugin that takes none: ``config`` must be empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Context:
    """Per-request state shared by every stage and every plugin of one request."""

    __slots__ = (
        "_id",
        "_states",
        "appended_headers",
        "entries",
        "principal",
        "response_headers",
        "sdl",
    )

    def __init__(self, principal: Principal | None = None, sdl: str = "") -> None:
        self.entries: dict[str, Any] = {}
        self.response_headers: dict[str, str] = {}
        """Headers added to the HTTP response (a short-circuit's, the supergraph response
        stage's)."""
        self.sdl = sdl
        """The supergraph SDL serving this request."""
        """The shared map (JSON values), sent to and updated by coprocessors."""
        self.principal = principal
        """The verified caller (None without a token); its claims are also in
        ``entries[JWT_CLAIMS]``."""
        self.appended_headers: list[tuple[str, str]] | None = None
        """Headers `add_response_header` collected (None: none)."""
        self._id: str | None = None
        self._states: dict[int, dict[str, Any]] | None = None
        if principal is not None:
            self.set_principal(principal)

    def add_response_header(self, name: str, value: str) -> None:
        """Add a header to the HTTP response, keeping repeated names: every ``set-cookie``
        added is sent; of any other name the last value added wins (how subgraph response
        headers are merged). ``response_headers`` holds one value per name; this is the way
        to pass several cookies. Added before the router response stage, whose hooks see
        them in ``RouterResponse.headers``."""
        appended = self.appended_headers
        if appended is None:
            appended = self.appended_headers = []
        appended.append((name.lower(), value))

    def set_principal(self, principal: Principal | None) -> None:
        """Record the verified caller (the HTTP layer does, right after authentication)."""
        self.principal = principal
        if principal is not None:
            self.entries[JWT_CLAIMS] = principal.claims

    @property
    def id(self) -> str:
        """A unique id of the request (32 hex digits), made on first use."""
        if self._id is None:
            self._id = new_id()
        return self._id

    def state(self, plugin: object) -> dict[str, Any]:
        """A dict private to ``plugin`` for this request (shared by its hooks)."""
        states = self._states
        if states is None:
            states = self._states = {}
        key = id(plugin)
        found = states.get(key)
        if found is None:
            found = states[key] = {}
        return found


@dataclass(slots=True)
class Response:
    """A response a hook answers with: a short-circuit from a request hook, a replacement
    from a response hook.

    ``body`` is a GraphQL response object (``{"data": ..., "errors": [...]}``); at the router
    stage it may also be the raw bytes to send. ``headers`` are added to the HTTP response.
    """

    body: dict[str, Any] | bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(
        cls,
        message: str,
        code: str,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> Response:
        """A GraphQL error response: ``{"errors": [{message, extensions: {code, ...}}]}``."""
        return cls(
            {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
            status,
            dict(headers or {}),
        )

    def graphql_body(self) -> dict[str, Any]:
        """The body as a GraphQL response object (raw bytes that are not one become an
        error carrying their text, as Apollo Router does with a coprocessor's string body)."""
        if isinstance(self.body, dict):
            return self.body
        try:
            parsed = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        return {"errors": [{"message": self.body.decode("utf-8", "replace")}]}


class PluginError(Exception):
    """Raised by a hook: the request fails with this message, ``code`` and HTTP ``status``.

    ``skip=True`` asks the pipeline to count and log the failure but go on as if the hook had
    not run (a coprocessor stage set to fail open does this)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = PLUGIN_FAILED,
        status: int = 500,
        skip: bool = False,
        timeout: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.skip = skip
        self.timeout = timeout


@dataclass(slots=True)
class RouterRequest:
    """The HTTP request, after authentication, before the body is parsed as GraphQL."""

    context: Context
    method: str
    path: str
    headers: dict[str, str]
    """Lower-case names; changes are seen by the later stages and header propagation."""
    body: bytes
    """The POST body (empty for GET and for multipart uploads, which are parsed as they are
    read); a replacement must still be a GraphQL request."""
    query_string: bytes = b""
    """The GET query string (``query=...&variables=...``)."""


class RouterResponse:
    """The HTTP response about to be sent.

    ``headers`` is built from the router's own response headers only when a hook reads it
    (a hook that looks at the status or body costs no header decoding)."""

    __slots__ = ("_added", "_headers", "_media", "_wire", "body", "context", "status")

    def __init__(
        self,
        context: Context,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        *,
        wire: Sequence[tuple[bytes, bytes]] = (),
        media: str = "",
    ) -> None:
        self.context = context
        self.status = status
        self.body = body
        self._headers = headers
        self._wire = wire
        self._media = media
        self._added = context.response_headers

    @property
    def headers(self) -> dict[str, str]:
        """Response headers (lower-case names, ``content-type`` included): the router's,
        then those plugins added (`Context.response_headers`). Changes are sent."""
        if self._headers is None:
            headers = {
                name.decode("latin-1"): value.decode("latin-1") for name, value in self._wire
            }
            headers.update(self._added)
            if self._media:
                headers["content-type"] = self._media
            self._headers = headers
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, str]) -> None:
        self._headers = value

    @property
    def headers_read(self) -> bool:
        """Whether ``headers`` was read or replaced (else the router's own stand)."""
        return self._headers is not None


class SupergraphRequest:
    """One GraphQL operation (each of a batch), before parsing, validation and planning.

    ``headers`` is copied from the client's request headers only when a hook reads it (a
    hook that looks at the operation alone costs no copy, and the router then knows the
    headers are unchanged without comparing them)."""

    __slots__ = (
        "_client_headers",
        "_headers",
        "context",
        "extensions",
        "method",
        "operation_name",
        "query",
        "variables",
    )

    def __init__(
        self,
        context: Context,
        headers: Mapping[str, str],
        query: str | None,
        operation_name: str | None,
        variables: dict[str, Any],
        extensions: dict[str, Any],
        method: str = "POST",
    ) -> None:
        self.context = context
        self._client_headers = headers
        self._headers: dict[str, str] | None = None
        self.query = query
        self.operation_name = operation_name
        self.variables = variables
        self.extensions = extensions
        self.method = method

    @property
    def headers(self) -> dict[str, str]:
        """The client's request headers (lower-case names); propagation to subgraphs runs
        after this stage, so changes here are what the header rules see."""
        if self._headers is None:
            self._headers = dict(self._client_headers)
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, str]) -> None:
        self._headers = value

    def changed_headers(self) -> dict[str, str] | None:
        """The headers if a hook changed them, else None (the client's stand)."""
        headers = self._headers
        if headers is None or headers == self._client_headers:
            return None
        return headers


@dataclass(slots=True)
class SupergraphResponse:
    """The operation's GraphQL response."""

    context: Context
    status: int
    headers: dict[str, str]
    """Headers added to the HTTP response."""
    body: dict[str, Any]
    """``{"data": ..., "errors": [...], "extensions": ...}``: change it in place or replace."""


class ExecutionRequest:
    """The validated operation and its query plan, before any subgraph is called.

    ``variables`` and ``headers`` are copied from the router's own only when a hook reads
    them: a hook that looks at the plan or the operation costs no copy."""

    __slots__ = (
        "_headers",
        "_router_headers",
        "_router_variables",
        "_variables",
        "context",
        "operation_kind",
        "operation_name",
        "plan",
        "query",
    )

    def __init__(
        self,
        context: Context,
        plan: QueryPlan,
        operation_kind: str,
        operation_name: str | None,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        query: str = "",
    ) -> None:
        self.context = context
        self.plan = plan
        """Frozen; `router.planning.plan_to_text` prints it."""
        self.operation_kind = operation_kind
        self.operation_name = operation_name
        self.query = query
        self._router_variables = variables
        self._router_headers = headers
        self._variables: dict[str, Any] | None = None
        self._headers: dict[str, str] | None = None

    @property
    def variables(self) -> dict[str, Any]:
        """Already coerced; the plan was chosen for the ``@skip``/``@include`` values given.
        Copied on first use; changes are what the subgraph requests carry."""
        if self._variables is None:
            self._variables = dict(self._router_variables)
        return self._variables

    @variables.setter
    def variables(self, value: dict[str, Any]) -> None:
        self._variables = value

    @property
    def headers(self) -> dict[str, str]:
        """Headers sent to every subgraph of this operation (copied on first use). With a
        ``headers`` section in ``router.yaml`` the header rules add theirs later, at the
        subgraph stage (the built-in ``headers`` plugin), so these are the router's own."""
        if self._headers is None:
            self._headers = dict(self._router_headers)
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, str]) -> None:
        self._headers = value

    def sent_variables(self) -> Mapping[str, Any]:
        """The variables to execute with: the hooks' copy if one was made, else the
        router's own."""
        return self._router_variables if self._variables is None else self._variables

    def sent_headers(self) -> Mapping[str, str]:
        """The headers to send: the hooks' copy if one was made, else the router's own."""
        return self._router_headers if self._headers is None else self._headers


@dataclass(slots=True)
class ExecutionResponse:
    """The operation's response once every fetch is merged and shaped."""

    context: Context
    status: int
    body: dict[str, Any]


class SubgraphRequest:
    """One request to one subgraph.

    ``body`` (``{"query", "operationName", "variables"}``) is decoded from the bytes the
    router built only when a hook reads it, and encoded again only then: a hook that looks at
    headers alone costs no JSON work on large entity requests."""

    __slots__ = (
        "_body",
        "_headers",
        "_id",
        "_raw",
        "_shared_headers",
        "client_headers",
        "context",
        "deduplicate",
        "service_name",
        "uri",
    )

    def __init__(
        self,
        context: Context,
        service_name: str,
        uri: str,
        headers: Mapping[str, str],
        body: dict[str, Any] | None = None,
        id: str = "",
        *,
        raw: bytes = b"",
        client_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.context = context
        self.service_name = service_name
        self.uri = uri
        self._shared_headers = headers
        self._headers: dict[str, str] | None = None
        self.client_headers: Mapping[str, str] = (
            client_headers if client_headers is not None else {}
        )
        """The client's request headers as the supergraph stage left them (lower-case names;
        read-only): what a hook propagates from. The built-in ``headers`` plugin reads it."""
        self.deduplicate = True
        """Whether this request may share the answer of an identical one in flight (the
        router's subgraph deduplication). A hook that passes this subgraph's response headers
        to the client sets it False: a shared answer would hand one client's cookies to
        another."""
        self._id = id
        self._body = body
        self._raw = raw

    @property
    def id(self) -> str:
        """Unique per subgraph request (Apollo's ``subgraphRequestId``), made on first use;
        the response stage of the same request carries the same id."""
        if not self._id:
            self._id = new_id()
        return self._id

    @property
    def headers(self) -> dict[str, str]:
        """Headers sent to the subgraph (lower-case names): the router's own (correlation id,
        ``x-forwarded-for``, identity and service token), then what earlier hooks set. Copied
        from the request's headers (shared by its fetches) on first use."""
        if self._headers is None:
            self._headers = dict(self._shared_headers)
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, str]) -> None:
        self._headers = value

    def sent_headers(self) -> Mapping[str, str]:
        """The headers to send: the hooks' copy if one was made, else the router's own."""
        return self._shared_headers if self._headers is None else self._headers

    @property
    def assigned_id(self) -> str:
        """The id if a hook asked for it already, else "" (no id is made)."""
        return self._id

    @property
    def body(self) -> dict[str, Any]:
        if self._body is None:
            self._body = orjson.loads(self._raw)
        return self._body

    @body.setter
    def body(self, value: dict[str, Any]) -> None:
        self._body = value

    def encoded(self) -> bytes:
        """The body to send: the router's own bytes unless a hook read or replaced it."""
        if self._body is None:
            return self._raw
        return orjson.dumps(self._body)


class SubgraphResponse:
    """One subgraph's answer (a 2xx JSON object; failed fetches become errors first)."""

    __slots__ = ("_headers", "_id", "_raw_headers", "body", "context", "service_name", "status")

    def __init__(
        self,
        context: Context,
        service_name: str,
        status: int,
        headers: Mapping[str, str],
        body: dict[str, Any],
        id: str = "",
    ) -> None:
        self.context = context
        self.service_name = service_name
        self.status = status
        self.body = body
        """The subgraph's JSON answer: change it in place or replace it."""
        self._id = id
        self._raw_headers = headers
        self._headers: dict[str, str] | None = None

    @property
    def id(self) -> str:
        """The id of the subgraph request this answers (made on first use if none)."""
        if not self._id:
            self._id = new_id()
        return self._id

    @property
    def headers(self) -> dict[str, str]:
        """The subgraph's response headers (lower-case names), copied on first use."""
        if self._headers is None:
            self._headers = {str(k).lower(): v for k, v in self._raw_headers.items()}
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, str]) -> None:
        self._headers = value

    def header_items(self) -> list[tuple[str, str]]:
        """Every response header as received, ``(lower-case name, value)``, repeated names
        kept (each ``set-cookie``); ``headers`` keeps one value per name."""
        return [(str(name).lower(), value) for name, value in self._raw_headers.items()]


ConfigT = TypeVar("ConfigT", bound=BaseModel)


class Plugin(Generic[ConfigT]):
    """Base class of router plugins: override the hooks you need (the others are never
    called, so they cost nothing) and declare ``Config``, the pydantic model of the entry's
    ``config`` in ``router.yaml`` (validated at start and on every reload).

    ``name`` is the name the plugin was listed under. ``start`` runs before the plugin serves
    (open clients, load files), ``close`` after its last request (on shutdown, or when a
    reload replaced it).
    """

    Config: ClassVar[type[BaseModel]] = NoConfig

    def __init__(self, config: ConfigT, name: str = "") -> None:
        self.config = config
        self.name = name or type(self).__name__

    async def start(self) -> None:
        return None

    def stages(self) -> Sequence[str]:
        """The stages whose hooks the pipeline calls: by default those the class overrides.
        A plugin whose stages depend on its configuration narrows them here."""
        return overridden_hooks(self)

    async def close(self) -> None:
        return None

    async def router_request(self, request: RouterRequest) -> Response | None:
        return None

    async def router_response(self, response: RouterResponse) -> Response | None:
        return None

    async def supergraph_request(self, request: SupergraphRequest) -> Response | None:
        return None

    async def supergraph_response(self, response: SupergraphResponse) -> Response | None:
        return None

    async def execution_request(self, request: ExecutionRequest) -> Response | None:
        return None

    async def execution_response(self, response: ExecutionResponse) -> Response | None:
        return None

    async def subgraph_request(self, request: SubgraphRequest) -> Response | None:
        return None

    async def subgraph_response(self, response: SubgraphResponse) -> Response | None:
        return None


def overridden_hooks(plugin: Plugin[Any]) -> list[str]:
    """The stages whose hook ``plugin``'s class overrides (only those are called)."""
    cls = type(plugin)
    return [name for name in STAGES if getattr(cls, name) is not getattr(Plugin, name)]
