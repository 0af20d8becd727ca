"""Caches: a small generic `LRU` map, and the router's `PlanCache`.

`PlanCache` is the one place a plan is remembered between requests. Its contract:

- **Key** (`PlanKey`): the supergraph's hash (``Supergraph.schema_hash``), the sha256 of the
  operation text, the operation name, and the planner options: everything else a plan depends
  on (active override labels, the values of the ``@skip``/``@include`` variables, the
  authorization access the filtered document was made for, planner flags). Two requests with
  equal keys get the same plan; a plan never outlives the supergraph it was made for, even in
  a cache shared across reloads or processes.
- **Bound**: at most ``capacity`` plans, least recently used evicted first.
- **Metrics**: every `get` counts a hit or a miss (``hits``, ``misses``) and tells the
  optional ``observer`` with ``True`` for a hit. `peek` and ``in`` look without counting.
- **Sharing**: this is the in-process cache; plans shared by replicas (Redis,
  `router.shared.plans`) sit behind it, under a key made of the same parts.
- **Threads**: one planning thread writes, the event loop reads; each operation is a single
  `OrderedDict` step under the GIL, and a lost race costs a re-plan, never a wrong plan.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A bounded map that forgets the least recently used entry first."""

    __slots__ = ("_data", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def peek(self, key: K) -> V | None:
        """The value without making it recently used."""
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()


@dataclass(frozen=True, slots=True)
class PlanKey:
    """What a plan depends on; see the module docstring."""

    supergraph: str
    """``Supergraph.schema_hash``."""
    operation: str
    """sha256 of the operation text (``router.engine.operation_hash``, as logs name it)."""
    operation_name: str | None
    options: Hashable
    """Planner options: override labels, condition values, authorization access, flags."""


class PlanCache(Generic[V]):
    """Plans by `PlanKey`: a bounded LRU that counts hits and misses."""

    __slots__ = ("_lru", "hits", "misses", "observer")

    def __init__(self, capacity: int, observer: Callable[[bool], None] | None = None) -> None:
        self._lru: LRU[PlanKey, V] = LRU(capacity)
        self.hits = 0
        self.misses = 0
        self.observer = observer
        """Called with ``True`` on a hit, ``False`` on a miss."""

    @property
    def capacity(self) -> int:
        return self._lru.capacity

    def get(self, key: PlanKey) -> V | None:
        """The plan for ``key`` (now most recently used), counted as a hit or a miss."""
        value = self._lru.get(key)
        hit = value is not None
        if hit:
            self.hits += 1
        else:
            self.misses += 1
        if self.observer is not None:
            self.observer(hit)
        return value

    def peek(self, key: PlanKey) -> V | None:
        """The plan for ``key``, neither counted nor made recently used."""
        return self._lru.peek(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, PlanKey) and self._lru.peek(key) is not None

    def put(self, key: PlanKey, plan: V) -> None:
        self._lru.put(key, plan)

    def __len__(self) -> int:
        return len(self._lru)

    def clear(self) -> None:
        self._lru.clear()
