"""Fetches through the entity cache (`entity_cache`): the executor's cached paths.

A root query fetch is looked up whole; an ``_entities`` fetch (alone or in a `BatchFetchNode`)
per representation, and only the representations that missed are sent — a fetch whose
every entity was cached sends nothing. What comes back is merged exactly as without the
cache, then stored under the answer's ``Cache-Control``; every part (hit or answer) adds to
the request's `CachePolicy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from ..planning.nodes import (
    BatchFetchNode,
    FetchNode,
    RequiresField,
    RequiresFragment,
)
from .data import merge_into
from .entity_cache import NO_STORE, TYPENAME, CachePolicy, EntityCache, Entry, parse_cache_control
from .errors import ENTITIES, subgraph_error

if TYPE_CHECKING:
    from .executor import ExecutionState, Executor, _Batch


@dataclass(slots=True)
class _Miss:
    typename: str
    key: dict[str, Any]
    rest: dict[str, Any]


@dataclass(slots=True)
class _Lookup:
    """The representations of one ``_entities`` selection that missed, as a batch of
    their own, with what their keys are made of."""

    misses: _Batch
    parts: list[_Miss] = field(default_factory=list)
    selection: str = ""
    user: str | None = None
    epoch: int = 0
    """The subgraph's invalidations before the lookup (`EntityCache.epoch`)."""


def _key_names(requires: Sequence[RequiresFragment]) -> frozenset[str]:
    names: set[str] = set()
    for fragment in requires:
        for item in fragment.fields:
            if isinstance(item, RequiresField) and item.key:
                names.add(item.name)
    return frozenset(names)


def _errors(payload: Mapping[str, Any]) -> list[Any]:
    errors = payload.get("errors")
    return errors if isinstance(errors, list) else []


def _answer_policy(
    cache: EntityCache, service: str, seen: list[str | None], payload: Mapping[str, Any] | None
) -> CachePolicy:
    """How the subgraph's answer may be cached (no answer: not at all)."""
    if payload is None or not seen:
        return NO_STORE
    return parse_cache_control(seen[0], cache.rule(service).ttl)


async def root(
    executor: Executor, cache: EntityCache, fetch: FetchNode, state: ExecutionState
) -> None:
    service = fetch.service
    variables = executor._variables(fetch, state)
    selection = cache.selection_hash(fetch.operation, "root", variables)
    user = cache.user_of(service, state.claims)
    private = cache.is_private(service, selection)
    entry: Entry | None = None
    if not private or user is not None:
        (entry,) = await cache.get_many(
            [cache.root_key(service, selection, user if private else None)]
        )
    cache.stats.count(service, int(entry is not None), int(entry is None))
    if entry is not None:
        state.cache_part(entry.policy(cache.now()))
        executor._absorb(fetch, {"data": entry.value}, state)
        return
    body = fetch.body_prefix + orjson.dumps(variables) + b"}"
    seen: list[str | None] = []
    epoch = cache.epoch(service)
    payload = await executor._send(fetch, body, state, seen)
    policy = _answer_policy(cache, service, seen, payload)
    data = payload.get("data") if payload is not None else None
    storable = (
        cache.epoch(service) == epoch
        and policy.storable
        and payload is not None
        and not _errors(payload)
        and isinstance(data, dict)
        and (not policy.private or user is not None)
    )
    if storable:
        if policy.private:
            cache.saw_private(service, selection)
        key = cache.root_key(service, selection, user if policy.private else None)
        await cache.put_many([(key, cache.entry(data, policy))])
    if payload is None or _errors(payload):
        policy = NO_STORE
    state.cache_part(policy)
    executor._absorb(fetch, payload, state)


async def _lookup(
    cache: EntityCache,
    service: str,
    requires: Sequence[RequiresFragment],
    selection: str,
    batch: _Batch,
    state: ExecutionState,
) -> _Lookup:
    """Hits merged into their objects now; the misses as a batch to send."""
    names = _key_names(requires)
    user = cache.user_of(service, state.claims)
    private = cache.is_private(service, selection)
    parts: list[_Miss] = []
    keys: list[str | None] = []
    for rep in batch.representations:
        typename = str(rep.get(TYPENAME))
        key = {name: rep[name] for name in names if name in rep}
        rest = {
            name: value for name, value in rep.items() if name not in names and name != TYPENAME
        }
        parts.append(_Miss(typename, key, rest))
        if private and user is None:
            keys.append(None)
        else:
            keys.append(
                cache.entity_key(service, typename, key, rest, selection, user if private else None)
            )
    looked = [key for key in keys if key is not None]
    entries = iter(await cache.get_many(looked))
    misses = batch.subset()
    lookup = _Lookup(misses, selection=selection, user=user, epoch=cache.epoch(service))
    now = cache.now()
    hits = 0
    for position, looked_up in enumerate(keys):
        entry = next(entries) if looked_up is not None else None
        if entry is not None and isinstance(entry.value, dict):
            hits += 1
            state.cache_part(entry.policy(now))
            for obj in batch.targets[position]:
                merge_into(obj, entry.value)
            continue
        misses.representations.append(batch.representations[position])
        misses.targets.append(batch.targets[position])
        lookup.parts.append(parts[position])
    cache.stats.count(service, hits, len(misses.representations))
    return lookup


async def _store(
    cache: EntityCache,
    service: str,
    lookup: _Lookup,
    policy: CachePolicy,
    entities: Any,
    errors: list[Any],
    state: ExecutionState,
) -> None:
    """The answered entities that no error points at, under the answer's policy."""
    state.cache_part(NO_STORE if errors or not isinstance(entities, list) else policy)
    if not policy.storable or not isinstance(entities, list):
        return
    if cache.epoch(service) != lookup.epoch:
        return  # invalidated while in flight: the answer may predate the change
    if policy.private:
        cache.saw_private(service, lookup.selection)
        if lookup.user is None:
            return
    failed: set[int] = set()
    for raw in errors:
        path = raw.get("path") if isinstance(raw, dict) else None
        if not isinstance(path, list) or len(path) < 2 or not isinstance(path[1], int):
            return  # an error about no entity in particular: keep nothing of this answer
        failed.add(path[1])
    user = lookup.user if policy.private else None
    items = [
        (
            cache.entity_key(service, part.typename, part.key, part.rest, lookup.selection, user),
            cache.entry(entity, policy),
        )
        for position, (part, entity) in enumerate(zip(lookup.parts, entities, strict=False))
        if isinstance(entity, dict) and position not in failed
    ]
    await cache.put_many(items)


async def entities(
    executor: Executor,
    cache: EntityCache,
    fetch: FetchNode,
    batch: _Batch,
    extra: Mapping[str, Any],
    state: ExecutionState,
) -> None:
    variables = executor._variables(fetch, state)
    variables.update(extra)
    selection = cache.selection_hash(fetch.operation, ENTITIES, variables)
    lookup = await _lookup(cache, fetch.service, fetch.requires, selection, batch, state)
    misses = lookup.misses
    if not misses.representations:
        return
    variables["representations"] = misses.representations
    body = fetch.body_prefix + orjson.dumps(variables) + b"}"
    seen: list[str | None] = []
    payload = await executor._send(fetch, body, state, seen)
    if payload is None:
        misses.explain(state)
        state.cache_part(NO_STORE)
        return
    data = payload.get("data")
    found = data.get(ENTITIES) if isinstance(data, dict) else None
    misses.merge(found, state)
    errors = _errors(payload)
    for raw in errors:
        executor._entity_error(raw, fetch.service, misses, state)
    policy = _answer_policy(cache, fetch.service, seen, payload)
    await _store(cache, fetch.service, lookup, policy, found, errors, state)


async def batch(
    executor: Executor,
    cache: EntityCache,
    node: BatchFetchNode,
    batches: list[_Batch],
    state: ExecutionState,
) -> None:
    """A `BatchFetchNode`: each entry looked up on its own; one request for every miss."""
    variables = executor._variables(node, state)
    lookups = [
        await _lookup(
            cache,
            node.service,
            entry.requires,
            cache.selection_hash(node.operation, entry.alias, variables),
            one,
            state,
        )
        for entry, one in zip(node.entries, batches, strict=True)
    ]
    if not any(lookup.misses.representations for lookup in lookups):
        return
    for entry, lookup in zip(node.entries, lookups, strict=True):
        variables[entry.variable] = lookup.misses.representations
    body = node.body_prefix + orjson.dumps(variables) + b"}"
    seen: list[str | None] = []
    payload = await executor._send(node, body, state, seen)
    if payload is None:
        for lookup in lookups:
            lookup.misses.explain(state)
        state.cache_part(NO_STORE)
        return
    data = payload.get("data")
    by_alias = {entry.alias: lookup for entry, lookup in zip(node.entries, lookups, strict=True)}
    errors_by_alias: dict[str, list[Any]] = {entry.alias: [] for entry in node.entries}
    unattributed = False
    for raw in _errors(payload):
        path = raw.get("path") if isinstance(raw, dict) else None
        target = by_alias.get(path[0]) if isinstance(path, list) and path else None
        if target is None or not isinstance(path, list):
            state.errors.append(subgraph_error(raw, node.service, None))
            for lookup in lookups:
                lookup.misses.explain(state)
            unattributed = True
            continue
        moved = {**raw, "path": [ENTITIES, *path[1:]]}
        errors_by_alias[path[0]].append(moved)
        executor._entity_error(moved, node.service, target.misses, state)
    policy = NO_STORE if unattributed else _answer_policy(cache, node.service, seen, payload)
    for entry, lookup in zip(node.entries, lookups, strict=True):
        found = data.get(entry.alias) if isinstance(data, dict) else None
        lookup.misses.merge(found, state)
        if lookup.misses.representations:
            await _store(
                cache, node.service, lookup, policy, found, errors_by_alias[entry.alias], state
            )
