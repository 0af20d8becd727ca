"""The ``headers`` section compiled: the headers of each subgraph request, and the subgraph
response headers the client gets.

`HeaderPolicy` is built once per settings (at start and on reload). Per request,
`HeaderPolicy.request_headers` runs the ``all`` rules once over the client's headers, then each
subgraph's own rules over a copy; the result is what `router.security` turns into the final
subgraph headers (service token, identity headers). Hop-by-hop headers and ``X-PolyShop-*``
never come out of a rule (the configuration refuses rules naming them; ``matching`` skips
them), and the correlation header is always the router's value.

The flat ``propagate_headers`` / ``propagate_headers_extra`` settings are a shorthand: each
name is a ``propagate: {named: ...}`` rule placed before the ``all`` rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from polyshop.runtime.principal import Principal
from router.config.headers import (
    HeaderRules,
    HeadersConfig,
    Insert,
    Propagate,
    PropagateRule,
    RequestRule,
    reserved_reason,
)

_MISSING = object()


def claim_value(claims: Mapping[str, Any], path: str) -> str | None:
    """The claim at ``path`` (``a.b`` for nested objects) as a header value, or None."""
    value: Any = claims.get(path, _MISSING)
    if value is _MISSING:
        value = claims
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
    if value is None or isinstance(value, Mapping):
        return None
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


Operation = Callable[[dict[str, str], Mapping[str, str], "Principal | None"], None]
"""One compiled request rule: updates the subgraph headers from the client's."""

MAX_REMEMBERED_NAMES = 4096
"""Header names whose regex verdict a ``matching`` rule remembers (names repeat; the cap
keeps a client inventing names from growing the memory)."""


def _name_matcher(pattern: str, *, allow_reserved: bool) -> Callable[[str], bool]:
    """``name -> bool`` for a ``matching`` regex, remembering verdicts per name."""
    fullmatch = re.compile(pattern, re.IGNORECASE).fullmatch
    verdicts: dict[str, bool] = {}

    def matches(name: str) -> bool:
        verdict = verdicts.get(name)
        if verdict is None:
            verdict = fullmatch(name) is not None and (
                allow_reserved or reserved_reason(name) is None
            )
            if len(verdicts) < MAX_REMEMBERED_NAMES:
                verdicts[name] = verdict
        return verdict

    return matches


def _compile(rule: RequestRule) -> Operation:
    """A rule as a closure over plain values (run on every request)."""
    if isinstance(rule, Propagate):
        spec = rule.propagate
        if spec.matching is not None:
            matches = _name_matcher(spec.matching, allow_reserved=False)

            def propagate_matching(
                target: dict[str, str], client: Mapping[str, str], _: Principal | None
            ) -> None:
                for name, value in client.items():
                    if matches(name):
                        target[name] = value

            return propagate_matching
        named, default = spec.named or "", spec.default
        target_name = spec.rename or named

        def propagate_named(
            target: dict[str, str], client: Mapping[str, str], _: Principal | None
        ) -> None:
            value = client.get(named)
            if value is None:
                value = default
            if value is not None:
                target[target_name] = value

        return propagate_named
    if isinstance(rule, Insert):
        insert = rule.insert
        name, static = insert.name, insert.value
        if static is not None:

            def insert_static(
                target: dict[str, str], _client: Mapping[str, str], _: Principal | None
            ) -> None:
                target[name] = static

            return insert_static
        claim, fallback = insert.from_jwt_claim or "", insert.default

        def insert_claim(
            target: dict[str, str], _client: Mapping[str, str], principal: Principal | None
        ) -> None:
            found = claim_value(principal.claims, claim) if principal is not None else None
            if found is None:
                found = fallback
            if found is not None:
                target[name] = found

        return insert_claim
    remove = rule.remove
    if remove.matching is not None:
        drops = _name_matcher(remove.matching, allow_reserved=True)

        def remove_matching(
            target: dict[str, str], _client: Mapping[str, str], _: Principal | None
        ) -> None:
            for name in [name for name in target if drops(name)]:
                del target[name]

        return remove_matching
    dropped = remove.named or ""

    def remove_named(
        target: dict[str, str], _client: Mapping[str, str], _: Principal | None
    ) -> None:
        target.pop(dropped, None)

    return remove_named


class _CompiledRules:
    __slots__ = ("operations",)

    def __init__(self, rules: Sequence[RequestRule]) -> None:
        self.operations = tuple(_compile(rule) for rule in rules)

    def apply(
        self, target: dict[str, str], client: Mapping[str, str], principal: Principal | None
    ) -> None:
        for operation in self.operations:
            operation(target, client, principal)


@dataclass(frozen=True, slots=True)
class RequestHeaders:
    """One request's subgraph headers before identity: ``default`` for every subgraph without
    rules of its own, ``by_subgraph`` for those with."""

    default: dict[str, str]
    by_subgraph: dict[str, dict[str, str]]


class _Source(str):
    """In a dry run of the rules: the value of the client header named by this string."""

    __slots__ = ()


_Plan = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]
"""(copies: (subgraph header, client header)..., literals: (subgraph header, value)...)."""

MAX_PLANS = 1024
"""Distinct client header-name sequences whose outcome is remembered."""


def _plan(result: Mapping[str, str]) -> _Plan:
    copies = tuple((name, value) for name, value in result.items() if isinstance(value, _Source))
    literals = tuple(
        (name, value) for name, value in result.items() if not isinstance(value, _Source)
    )
    return copies, literals


def _run_plan(plan: _Plan, client: Mapping[str, str]) -> dict[str, str]:
    headers = {name: client[source] for name, source in plan[0]}
    headers.update(plan[1])
    return headers


class HeaderPolicy:
    """The compiled ``headers`` section plus the flat propagation shorthand.

    Without ``from_jwt_claim`` rules the outcome of the rules depends only on which header
    names the client sent (values are copied, never inspected): the rules run once per
    distinct sequence of names on stand-in values, and each request then only copies values
    along the remembered plan.
    """

    def __init__(
        self,
        config: HeadersConfig,
        shorthand: Iterable[str] = (),
        *,
        correlation_header: str = "x-correlation-id",
    ) -> None:
        self.config = config
        self.correlation_header = correlation_header
        named = [
            Propagate(propagate=PropagateRule(named=name))
            for name in dict.fromkeys(shorthand)
            if name != correlation_header
        ]
        self._all = _CompiledRules([*named, *config.all.request])
        self._subgraphs = {
            name: _CompiledRules(rules.request)
            for name, rules in config.subgraphs.items()
            if rules.request
        }
        # A plain name allowlist (the shorthand alone) takes a faster path.
        self._plain = (
            frozenset(rule.propagate.named or "" for rule in named)
            if not config.all.request
            else None
        )
        every_rule = [*config.all.request]
        for rules in config.subgraphs.values():
            every_rule.extend(rules.request)
        self._plannable = not any(
            isinstance(rule, Insert) and rule.insert.from_jwt_claim is not None
            for rule in every_rule
        )
        self._plans: dict[tuple[str, ...], tuple[_Plan, dict[str, _Plan]]] = {}

    def request_headers(
        self, client: Mapping[str, str], correlation: str, principal: Principal | None
    ) -> RequestHeaders:
        if self._plannable and self._plain is None:
            plans = self._plans_for(client)
            planned = _run_plan(plans[0], client)
            planned[self.correlation_header] = correlation
            own: dict[str, dict[str, str]] = {}
            for name, plan in plans[1].items():
                headers = _run_plan(plan, client)
                headers[self.correlation_header] = correlation
                own[name] = headers
            return RequestHeaders(planned, own)
        if self._plain is not None:
            plain = self._plain
            default = {name: value for name, value in client.items() if name in plain}
        else:
            default = {}
            self._all.apply(default, client, principal)
        default[self.correlation_header] = correlation
        by_subgraph: dict[str, dict[str, str]] = {}
        for name, rules in self._subgraphs.items():
            headers = dict(default)
            rules.apply(headers, client, principal)
            headers[self.correlation_header] = correlation
            by_subgraph[name] = headers
        return RequestHeaders(default, by_subgraph)

    def _plans_for(self, client: Mapping[str, str]) -> tuple[_Plan, dict[str, _Plan]]:
        """The compiled plans for this set of client header names (dry-run once, kept for up
        to ``MAX_PLANS`` name sets)."""
        names = tuple(client)
        plans = self._plans.get(names)
        if plans is None:
            plans = self._dry_run(names)
            if len(self._plans) < MAX_PLANS:
                self._plans[names] = plans
        return plans

    def for_subgraph(
        self, client: Mapping[str, str], principal: Principal | None, service: str
    ) -> dict[str, str]:
        """``service``'s headers as `request_headers` gives them, worked out for that one
        subgraph, without the correlation header (its caller adds the router's own headers):
        what the ``headers`` plugin asks per subgraph a request calls."""
        if self._plannable and self._plain is None:
            plans = self._plans_for(client)
            return _run_plan(plans[1].get(service, plans[0]), client)
        if self._plain is not None:
            plain = self._plain
            headers = {name: value for name, value in client.items() if name in plain}
        else:
            headers = {}
            self._all.apply(headers, client, principal)
        own = self._subgraphs.get(service)
        if own is not None:
            own.apply(headers, client, principal)
        return headers

    def _dry_run(self, names: tuple[str, ...]) -> tuple[_Plan, dict[str, _Plan]]:
        """The rules run on stand-ins: each client header's value is its own name."""
        stand_ins = {name: _Source(name) for name in names}
        default: dict[str, str] = {}
        self._all.apply(default, stand_ins, None)
        own = {}
        for name, rules in self._subgraphs.items():
            headers = dict(default)
            rules.apply(headers, stand_ins, None)
            own[name] = _plan(headers)
        return _plan(default), own


class ResponseHeaderRules:
    """Which response headers of which subgraph reach the client (``response`` lists)."""

    def __init__(self, config: HeadersConfig) -> None:
        self._rules: dict[str, tuple[tuple[str | None, re.Pattern[str] | None, str | None], ...]]
        self._rules = {}
        everyone = _response_rules(config.all)
        for name, rules in config.subgraphs.items():
            own = _response_rules(rules)
            if own or everyone:
                self._rules[name] = (*everyone, *own)
        self._everyone = everyone

    def __bool__(self) -> bool:
        return bool(self._rules or self._everyone)

    def covers(self, service: str) -> bool:
        return bool(self._rules.get(service, self._everyone))

    def select(self, service: str, raw: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The client-bound headers among ``service``'s response headers ``raw`` (every
        ``(name, value)`` pair, a repeated header such as ``Set-Cookie`` once per value)."""
        rules = self._rules.get(service, self._everyone)
        if not rules:
            return []
        chosen: list[tuple[str, str]] = []
        for original, value in raw:
            name = original.lower()
            for named, pattern, rename in rules:
                # A ``named`` rule never names a reserved header (refused when read); a
                # ``matching`` one skips them.
                if named == name or (
                    pattern is not None
                    and pattern.fullmatch(name)
                    and reserved_reason(name) is None
                ):
                    chosen.append((rename or name, value))
                    break
        return chosen


def _response_rules(
    rules: HeaderRules,
) -> tuple[tuple[str | None, re.Pattern[str] | None, str | None], ...]:
    return tuple(
        (
            rule.propagate.named,
            re.compile(rule.propagate.matching, re.IGNORECASE)
            if rule.propagate.matching is not None
            else None,
            rule.propagate.rename,
        )
        for rule in rules.response
    )


def merge_response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers for the client from several subgraph responses: every ``set-cookie`` is kept;
    of any other name, the last value wins."""
    merged: dict[str, str] = {}
    cookies: list[tuple[str, str]] = []
    for name, value in headers:
        if name == "set-cookie":
            cookies.append((name, value))
        else:
            merged[name] = value
    return [*merged.items(), *cookies]
