"""The entity cache (Apollo Router's entity cache): subgraph answers kept and reused.

What is cached: each entity of an ``_entities`` answer, per (subgraph, type, key, selection)
— the selection being the subgraph operation's text, the alias the entity came under and the
fetch's other variables — and each root-field answer of a *query*, per (subgraph, operation,
variables). A response marked ``private`` is keyed by the user as well (the ``private_id``
claim of the verified token; without a token it is not cached). A list of 100 products of
which 90 are cached sends the subgraph the 10 others only.

For how long: the subgraph's ``Cache-Control`` decides. ``max-age``/``s-maxage`` is the
entry's lifetime (the subgraph's configured ``ttl`` when it gives none), ``no-store`` (or
``no-cache``, ``max-age=0``) means never stored, ``private`` means per user. Answers with
errors are not stored (the entities an error points at; the whole answer of a root fetch).

Where: Redis when the router has one (``POLYSHOP_REDIS_URL``: replicas share entries), a
bounded LRU in this process otherwise, and while Redis does not answer (`router.shared`).

Invalidation, by entity (subgraph, type, key), type or subgraph: through the authenticated
endpoint (`router.http.invalidation`), from a subgraph answer's ``extensions.invalidation``
(a mutation says what it changed, before the router answers the client: the next query cannot
see the old value), and from our events (`router.execution.cache_events`). Dropping an entity
also drops that subgraph's cached root fields, which may hold it (the router cannot tell which
do): coarse, never stale.

The client's ``Cache-Control`` is computed from the parts of its answer, as Apollo's: the
smallest ``max-age``, ``private`` if any part is, ``no-store`` if any part is (a mutation, a
part with errors, a part not cacheable).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import structlog

from router.shared import KEY_PREFIX, UNAVAILABLE, SharedState

if TYPE_CHECKING:
    from router.config.entity_cache import EntityCacheConfig

log = structlog.get_logger("router.entity_cache")

TYPENAME = "__typename"
ROOT_TYPE = "Query"
PREFIX = KEY_PREFIX + "entity:"


# ---------------------------------------------------------------------- Cache-Control


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """One part's (or a whole answer's) cacheability."""

    max_age: float = 0.0
    private: bool = False
    no_store: bool = False

    @property
    def storable(self) -> bool:
        return not self.no_store and self.max_age > 0

    def merge(self, other: CachePolicy) -> CachePolicy:
        """Both parts together: the shorter life, private or no-store if either is."""
        return CachePolicy(
            min(self.max_age, other.max_age),
            self.private or other.private,
            self.no_store or other.no_store,
        )

    def header(self) -> str:
        if not self.storable:
            return "no-store"
        return f"max-age={int(self.max_age)}, {'private' if self.private else 'public'}"


NO_STORE = CachePolicy(no_store=True)


def parse_cache_control(value: str | None, default_ttl: float) -> CachePolicy:
    """A subgraph response's ``Cache-Control`` (``default_ttl`` without a max-age)."""
    if value is None:
        return CachePolicy(default_ttl)
    max_age: float | None = None
    shared_max_age: float | None = None
    private = no_store = False
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            no_store = True
        elif name == "private":
            private = True
        elif name in ("max-age", "s-maxage"):
            try:
                seconds = float(argument.strip().strip('"'))
            except ValueError:
                no_store = True
                continue
            if name == "max-age":
                max_age = seconds
            else:
                shared_max_age = seconds
    age = shared_max_age if shared_max_age is not None else max_age
    if age is None:
        age = default_ttl
    return CachePolicy(age, private, no_store or age <= 0)


# ---------------------------------------------------------------------- keys


def _digest(value: bytes) -> str:
    return hashlib.blake2b(value, digest_size=16).hexdigest()


def key_hash(key: Mapping[str, Any]) -> str:
    """The hash of an entity's key fields (sorted, ids as text: ``{"id": 1}`` and
    ``{"id": "1"}`` name the same entity, as an ``ID`` does)."""
    return _digest(orjson.dumps(_as_text_ids(key), option=orjson.OPT_SORT_KEYS))


def _as_text_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_text_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text_ids(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


@dataclass(frozen=True, slots=True)
class Invalidation:
    """One invalidation request: ``kind`` entity (subgraph, type, key), type or subgraph."""

    kind: str
    subgraph: str
    type: str | None = None
    key: Mapping[str, Any] | None = None

    @property
    def prefix(self) -> str:
        if self.kind == "subgraph":
            return f"{PREFIX}{self.subgraph}:"
        if self.kind == "type":
            return f"{PREFIX}{self.subgraph}:{self.type}:"
        assert self.key is not None
        return f"{PREFIX}{self.subgraph}:{self.type}:{key_hash(self.key)}:"


class InvalidationError(ValueError):
    """An invalidation request that is not Apollo's format; the message says why."""


def parse_invalidations(payload: Any, default_subgraph: str | None = None) -> list[Invalidation]:
    """Apollo's invalidation requests (a list of objects, or one object)."""
    items = payload if isinstance(payload, list) else [payload]
    parsed: list[Invalidation] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidationError(f"item {index}: an invalidation request is a JSON object")
        kind = item.get("kind")
        subgraph = item.get("subgraph", default_subgraph)
        if not isinstance(subgraph, str) or not subgraph:
            raise InvalidationError(f"item {index}: 'subgraph' must name a subgraph")
        if kind == "subgraph":
            parsed.append(Invalidation("subgraph", subgraph))
            continue
        type_name = item.get("type")
        if kind not in ("entity", "type"):
            raise InvalidationError(
                f"item {index}: 'kind' must be one of 'entity', 'type', 'subgraph'"
            )
        if not isinstance(type_name, str) or not type_name:
            raise InvalidationError(f"item {index}: 'type' must name a type")
        if kind == "type":
            parsed.append(Invalidation("type", subgraph, type_name))
            continue
        key = item.get("key")
        if not isinstance(key, dict) or not key:
            raise InvalidationError(f"item {index}: 'key' must be an object of key fields")
        parsed.append(Invalidation("entity", subgraph, type_name, key))
    return parsed


# ---------------------------------------------------------------------- stores


@dataclass(frozen=True, slots=True)
class Entry:
    value: Any
    """The cached entity (or root ``data``)."""
    expires: float
    """Wall-clock time (``time.time()``) it expires: replicas sharing Redis agree on it."""
    private: bool

    def policy(self, now: float) -> CachePolicy:
        return CachePolicy(max(0.0, self.expires - now), self.private)


class MemoryStore:
    """A bounded LRU of this process, with expiry and invalidation by key prefix.

    Entries are kept encoded: each lookup decodes a fresh copy, since the executor merges
    later fetches into what it gets (a shared object would carry them into the cache)."""

    def __init__(self, max_entries: int, clock: Any = time.time) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> Entry | None:
        found = self._data.get(key)
        if found is None:
            return None
        if found[0] <= self._clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return _decode(found[1])

    def put(self, key: str, expires: float, raw: bytes) -> None:
        self._data[key] = (expires, raw)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def drop(self, prefixes: Sequence[str]) -> int:
        starts = tuple(prefixes)
        doomed = [key for key in self._data if key.startswith(starts)]
        for key in doomed:
            del self._data[key]
        return len(doomed)


def _encode(entry: Entry) -> bytes:
    return orjson.dumps({"v": entry.value, "e": entry.expires, "p": entry.private})


def _decode(raw: Any) -> Entry | None:
    if raw is None:
        return None
    try:
        body = orjson.loads(raw)
        return Entry(body["v"], float(body["e"]), bool(body["p"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


# ---------------------------------------------------------------------- the cache


@dataclass(frozen=True, slots=True)
class SubgraphRule:
    enabled: bool
    ttl: float
    private_id: str


class CacheStats:
    """Entity lookups by result, since the process started (also in ``/metrics``)."""

    __slots__ = ("hits", "misses", "observer")

    def __init__(self, observer: Any = None) -> None:
        self.hits = 0
        self.misses = 0
        self.observer = observer

    def count(self, service: str, hits: int, misses: int) -> None:
        self.hits += hits
        self.misses += misses
        if self.observer is not None:
            self.observer.entity_cache_lookups(service, hits, misses)


class EntityCache:
    """Entries of one router process (see the module docstring); shared by its engines, so a
    supergraph or configuration reload keeps what was cached."""

    def __init__(
        self,
        config: EntityCacheConfig,
        shared: SharedState | None = None,
        *,
        observer: Any = None,
        clock: Any = time.time,
    ) -> None:
        self.config = config
        self.shared = shared if shared is not None and shared.configured else None
        self.memory = MemoryStore(config.max_entries, clock)
        self.stats = CacheStats(observer)
        self._clock = clock
        self._rules: dict[str, SubgraphRule] = {}
        self._private: set[str] = set()
        """Selections whose answers came back ``private``: looked up per user from then on."""
        self._hashes: dict[str, str] = {}
        self._epochs: dict[str, int] = {}
        """Invalidations per subgraph so far: an answer whose fetch began before one of
        them may hold what it dropped, and is not stored (see `epoch`)."""

    def epoch(self, service: str) -> int:
        """Read before a fetch, compared before storing its answer: a query that read the
        old price before the mutation committed, and answers after the mutation's
        invalidation, must not put the old price back."""
        return self._epochs.get(service, 0)

    def configure(self, config: EntityCacheConfig) -> None:
        """A reloaded ``entity_cache`` section (entries stay)."""
        self.config = config
        self.memory.max_entries = config.max_entries
        self._rules.clear()

    def rule(self, service: str) -> SubgraphRule:
        rule = self._rules.get(service)
        if rule is None:
            rule = self._rules[service] = SubgraphRule(*self.config.for_subgraph(service))
        return rule

    def enabled_for(self, service: str) -> bool:
        return self.rule(service).enabled

    def user_of(self, service: str, claims: Mapping[str, Any] | None) -> str | None:
        """The private-id of the request's user for ``service`` (None: anonymous)."""
        if claims is None:
            return None
        value = claims.get(self.rule(service).private_id)
        return None if value is None else _digest(str(value).encode())

    # -- keys -------------------------------------------------------------------------

    def selection_hash(self, operation: str, alias: str, variables: Mapping[str, Any]) -> str:
        base = self._hashes.get(operation)
        if base is None:
            if len(self._hashes) > 4096:
                self._hashes.clear()
            base = self._hashes[operation] = _digest(operation.encode())
        if not variables:
            return f"{base}.{alias}"
        extra = _digest(orjson.dumps(variables, option=orjson.OPT_SORT_KEYS))
        return f"{base}.{alias}.{extra}"

    def is_private(self, service: str, selection: str) -> bool:
        return f"{service}:{selection}" in self._private

    def saw_private(self, service: str, selection: str) -> None:
        self._private.add(f"{service}:{selection}")

    @staticmethod
    def entity_key(
        service: str,
        typename: str,
        key: Mapping[str, Any],
        rest: Mapping[str, Any],
        selection: str,
        user: str | None,
    ) -> str:
        """``<prefix><subgraph>:<type>:<key hash>:<selection>[:<requires>][:u:<user>]``."""
        text = f"{PREFIX}{service}:{typename}:{key_hash(key)}:{selection}"
        if rest:
            text += ":" + _digest(orjson.dumps(rest, option=orjson.OPT_SORT_KEYS))
        if user is not None:
            text += ":u:" + user
        return text

    @staticmethod
    def root_key(service: str, selection: str, user: str | None) -> str:
        text = f"{PREFIX}{service}:{ROOT_TYPE}:root:{selection}"
        if user is not None:
            text += ":u:" + user
        return text

    # -- lookups ----------------------------------------------------------------------

    async def get_many(self, keys: Sequence[str]) -> list[Entry | None]:
        if not keys:
            return []
        shared = self.shared
        if shared is not None:
            raw = await shared.run("entity_cache_get", lambda redis: redis.mget(list(keys)))
            if raw is not UNAVAILABLE:
                assert isinstance(raw, list)
                now = self._clock()
                found = [_decode(item) for item in raw]
                return [e if e is not None and e.expires > now else None for e in found]
        return [self.memory.get(key) for key in keys]

    async def put_many(self, items: Iterable[tuple[str, Entry]]) -> None:
        """Store entries (encoded at once: the caller's objects may change afterwards)."""
        batch = [(key, entry.expires, _encode(entry)) for key, entry in items]
        if not batch:
            return
        shared = self.shared
        if shared is not None:
            now = self._clock()

            async def write(redis: Any) -> Any:
                pipe = redis.pipeline(transaction=False)
                for key, expires, raw in batch:
                    pipe.set(key, raw, px=max(1, int((expires - now) * 1000)))
                return await pipe.execute()

            if await shared.run("entity_cache_put", write) is not UNAVAILABLE:
                return
        for key, expires, raw in batch:
            self.memory.put(key, expires, raw)

    def now(self) -> float:
        return float(self._clock())

    def entry(self, value: Any, policy: CachePolicy) -> Entry:
        return Entry(value, self._clock() + policy.max_age, policy.private)

    # -- invalidation -----------------------------------------------------------------

    async def invalidate(self, requests: Sequence[Invalidation]) -> int:
        """Drop what ``requests`` name (and, for an entity or type, the cached root fields of
        its subgraph); the number of entries dropped."""
        prefixes: list[str] = []
        for request in requests:
            prefixes.append(request.prefix)
            if request.kind != "subgraph" and request.type != ROOT_TYPE:
                prefixes.append(f"{PREFIX}{request.subgraph}:{ROOT_TYPE}:")
        prefixes = sorted(set(prefixes))
        for request in requests:
            self._epochs[request.subgraph] = self._epochs.get(request.subgraph, 0) + 1
        count = self.memory.drop(prefixes)
        shared = self.shared
        if shared is not None:

            async def drop(redis: Any) -> int:
                dropped = 0
                for prefix in prefixes:
                    keys = [key async for key in redis.scan_iter(match=prefix + "*", count=500)]
                    if keys:
                        dropped += int(await redis.unlink(*keys))
                return dropped

            result = await shared.run("entity_cache_invalidate", drop)
            if isinstance(result, int):
                count += result
        log.info(
            "entity_cache.invalidated",
            requests=[(r.kind, r.subgraph, r.type) for r in requests],
            entries=count,
        )
        return count
