"""How a scenario is written down, and how the suite finds them.

A scenario is a folder ``NN_name/`` beside this module with one ``<subgraph>.graphql`` per
subgraph, the composed ``supergraph.graphql`` and a ``scenario.py`` defining ``SCENARIO``.
Expected responses are written by hand from the scenario's data: they state what Apollo
Router answers, whatever our router does inside.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.subgraph_server import Recorder, SubgraphSpec

HERE = Path(__file__).parent
SUPERGRAPH = "supergraph.graphql"


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ANY = _Sentinel("ANY")
"""Not compared (an error message whose wording is the router's own, say)."""
ABSENT = _Sentinel("ABSENT")
"""The key must not be in the response (``data`` of a request error)."""


@dataclass(frozen=True, slots=True)
class Err:
    """An expected GraphQL error: ``code`` is ``extensions.code`` (None: no code expected)."""

    code: str | _Sentinel | None = ANY
    message: str | re.Pattern[str] | _Sentinel = ANY
    path: Sequence[str | int] | _Sentinel | None = ANY
    """None: the error has no path; ANY: not compared."""


Check = Callable[[Recorder], None]


@dataclass(frozen=True, slots=True)
class Operation:
    """One client operation and the response Apollo Router gives to it."""

    name: str
    query: str
    data: Any = ABSENT
    """Compared exactly; ABSENT: no ``data`` entry; ANY: not compared."""
    errors: Sequence[Err] | _Sentinel = ()
    """``()``: the response has no errors; ANY: not compared; else compared as a multiset."""
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None
    status: int | _Sentinel = 200
    requests: Mapping[str, int] | None = None
    """Exact number of HTTP requests per subgraph; a subgraph not listed must get none.
    Every operation states it (strict mode): its total is the minimal number of subgraph
    requests for the operation, and a plan with more fetches fails."""
    planned_requests: int | None = None
    """Fetches the plan may hold when it is more than the requests sent (a fetch the data
    makes unnecessary at run time, e.g. no representations); default: the total of
    ``requests``."""
    check: Check | None = None
    """Further assertions on what the subgraphs received."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """`EngineConfig` keyword overrides for this operation only."""
    method: str = "POST"
    plan: bool = True
    """Snapshot the query plan (False for operations that cannot be planned)."""
    incremental: Sequence[Mapping[str, Any]] | None = None
    """With `@defer`: the payloads a client accepting incremental delivery gets, in order
    (the first is the primary part; the deferred ones may complete in any order, they are
    compared as a multiset and only the last says ``hasNext: false``). An ``errors`` entry
    holds `Err`s. The operation then runs twice: inline (``data``) and incrementally, with
    the same subgraph requests."""


@dataclass(frozen=True, slots=True)
class Direct:
    """A query sent straight to one subgraph (no router): proves the fixture itself."""

    subgraph: str
    query: str
    data: Any
    variables: Mapping[str, Any] | None = None
    errors: Sequence[Err] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    description: str
    subgraphs: Sequence[SubgraphSpec]
    operations: Sequence[Operation]
    direct: Sequence[Direct] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    """`EngineConfig` keyword arguments for every operation (besides `subgraph_urls`)."""


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    folder: Path
    scenario: Scenario

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def supergraph_sdl(self) -> str:
        return (self.folder / SUPERGRAPH).read_text()

    def plan_snapshot(self, operation: Operation) -> Path:
        return self.folder / "plans" / f"{operation.name}.txt"


def subgraph_sources(folder: Path) -> dict[str, str]:
    """``<name>.graphql`` files of a scenario folder (the supergraph excluded), by name."""
    return {
        path.stem: path.read_text()
        for path in sorted(folder.glob("*.graphql"))
        if path.name != SUPERGRAPH
    }


def sources_hash(sources: Mapping[str, str]) -> str:
    """Same digest as `compose.mjs` writes on the supergraph's second line."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(sources[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()


def scenario_folders() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if p.is_dir() and re.match(r"^\d\d_", p.name))


@cache
def load(folder_name: str) -> LoadedScenario:
    """Import ``NN_name/scenario.py`` and attach each subgraph's SDL file to its spec."""
    folder = HERE / folder_name
    module = importlib.import_module(f"{__package__}.{folder_name}.scenario")
    scenario: Scenario = module.SCENARIO
    sources = subgraph_sources(folder)
    names = {spec.name for spec in scenario.subgraphs}
    if names != set(sources):
        raise ValueError(f"{folder_name}: specs {sorted(names)} != SDL files {sorted(sources)}")
    for spec in scenario.subgraphs:
        spec.sdl = sources[spec.name]
    return LoadedScenario(folder, scenario)


def all_scenarios() -> list[LoadedScenario]:
    """Every scenario that loads. One that does not (a syntax error, say) is left out here so
    that test collection survives; `test_fixtures.py` loads each folder and fails for it."""
    loaded = []
    for folder in scenario_folders():
        try:
            loaded.append(load(folder.name))
        except Exception:
            continue
    return loaded
