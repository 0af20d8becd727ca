"""``Cache-Control`` on every GraphQL answer, and the invalidations a mutation announces.

The router's entity cache (docs/router.md, ``entity_cache``) stores what a subgraph answers
for as long as the answer's ``Cache-Control`` says, per user when it says ``private``, never
when it says ``no-store``. Each service declares its hints, Apollo Server's ``@cacheControl``
model without the directive: a hint per type (``"Product"``) or per field
(``"Query.products"``); a field's own hint, else its type's, applies to it. The answer's
policy is the smallest ``max-age`` over the hinted fields it selects, ``private`` if any is,
and ``no-store`` for a root field without a hint (nothing is cacheable by default), for a
mutation and for an answer with errors. An ``_entities`` answer is hinted by the entity types
it selects (its ``... on Product`` fragments).

A mutation says what it changed with `invalidate` (``invalidate("Product", {"id": "7"})``):
the answer carries it as ``extensions.invalidation`` in Apollo's format, and the router drops
those entries before it answers the client, so the client's next query cannot read the old
value (events do the same for changes that do not pass through the router).

`CacheControlMiddleware` (installed by `subgraphs.kit.app.create_service_app`) sets the
header; `CacheControl` (a schema extension of `subgraphs.kit.schema.build_schema`) decides it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

NO_STORE = "no-store"


@dataclass(frozen=True, slots=True)
class CacheHint:
    """How long (seconds) and for whom a field's value may be cached."""

    max_age: int
    scope: Literal["public", "private"] = "public"


def public(max_age: int) -> CacheHint:
    return CacheHint(max_age, "public")


def private(max_age: int) -> CacheHint:
    return CacheHint(max_age, "private")


@dataclass(slots=True)
class _Answer:
    """What one request's answer says about caching (filled while it executes)."""

    header: str | None = None
    invalidations: list[dict[str, Any]] = field(default_factory=list)


_current: ContextVar[_Answer | None] = ContextVar("polyshop_cache_answer", default=None)


def invalidate(type_name: str, key: Mapping[str, Any]) -> None:
    """Announce that the entity ``type_name`` with ``key`` changed (see the module docstring);
    outside a request (a worker, a test calling the service directly) it does nothing."""
    answer = _current.get()
    if answer is not None:
        entry = {"kind": "entity", "type": type_name, "key": {k: str(v) for k, v in key.items()}}
        if entry not in answer.invalidations:
            answer.invalidations.append(entry)


def invalidate_type(type_name: str) -> None:
    """Announce that any entity of ``type_name`` may have changed."""
    answer = _current.get()
    if answer is not None:
        entry = {"kind": "type", "type": type_name}
        if entry not in answer.invalidations:
            answer.invalidations.append(entry)


def policy_of(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    hints: Mapping[str, CacheHint],
) -> str:
    """The ``Cache-Control`` of a query's answer (see the module docstring)."""
    max_age: int | None = None
    is_private = False
    no_store = False
    type_info = TypeInfo(schema)
    depth = 0
    chosen = _operation(document, operation_name)

    def account(hint: CacheHint) -> None:
        nonlocal max_age, is_private
        max_age = hint.max_age if max_age is None else min(max_age, hint.max_age)
        is_private = is_private or hint.scope == "private"

    class Walk(Visitor):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> Any:
            nonlocal depth
            depth = 0
            return None if node is chosen else self.SKIP

        def enter_fragment_definition(self, *_: Any) -> None:
            nonlocal depth
            depth = 1  # a named fragment's fields are never root fields here

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            nonlocal depth, no_store
            depth += 1
            name = node.name.value
            if name == "__typename":
                return
            parent = type_info.get_parent_type()
            definition = type_info.get_field_def()
            hint = hints.get(f"{parent.name}.{name}") if parent is not None else None
            if hint is None and definition is not None:
                hint = hints.get(get_named_type(definition.type).name)
            if hint is not None:
                account(hint)
            elif depth == 1 and name != "_entities":
                no_store = True

        def leave_field(self, *_: Any) -> None:
            nonlocal depth
            depth -= 1

        def enter_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> None:
            nonlocal no_store
            if node.type_condition is None or depth != 1:
                return
            hint = hints.get(node.type_condition.name.value)
            if hint is None:
                no_store = True
            else:
                account(hint)

    visit(document, TypeInfoVisitor(type_info, Walk()))
    if no_store or max_age is None or max_age <= 0:
        return NO_STORE
    return f"{'private' if is_private else 'public'}, max-age={max_age}"


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


class CacheControl(SchemaExtension):
    """Decides the answer's ``Cache-Control`` and adds ``extensions.invalidation``."""

    hints: Mapping[str, CacheHint] = {}
    _memo: dict[tuple[str, str | None], str]

    @classmethod
    def with_hints(cls, hints: Mapping[str, CacheHint]) -> type[CacheControl]:
        return type("ServiceCacheControl", (cls,), {"hints": dict(hints), "_memo": {}})

    def on_execute(self) -> Iterator[None]:
        yield
        answer = _current.get()
        if answer is None:
            return
        context = self.execution_context
        document = context.graphql_document
        result = context.result
        if (
            document is None
            or context.operation_type is not OperationType.QUERY
            or (result is not None and result.errors)
        ):
            answer.header = NO_STORE
            return
        key = (context.query or "", context.operation_name)
        header = self._memo.get(key)
        if header is None:
            if len(self._memo) > 1024:
                self._memo.clear()
            header = policy_of(context.schema._schema, document, context.operation_name, self.hints)
            self._memo[key] = header
        answer.header = header

    def get_results(self) -> dict[str, Any]:
        answer = _current.get()
        if answer is None or not answer.invalidations:
            return {}
        return {"invalidation": list(answer.invalidations)}


class CacheControlMiddleware:
    """Gives each ``/graphql`` request its `_Answer` and sets its ``Cache-Control``."""

    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        answer = _Answer()
        token = _current.set(answer)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start" and answer.header is not None:
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"cache-control"
                ]
                headers.append((b"cache-control", answer.header.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            _current.reset(token)
