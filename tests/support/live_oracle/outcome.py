"""One composer's answer for one case, in a form both composers' answers share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from router.composition import CompositionResult

APOLLO_FIXTURES = Path(__file__).parents[2] / "composition" / "fixtures" / "apollo"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A supergraph, or the set of error codes (composers split one failure differently)."""

    supergraph: str | None
    codes: frozenset[str]
    messages: tuple[str, ...] = ()

    @property
    def composed(self) -> bool:
        return self.supergraph is not None

    def describe(self) -> str:
        if self.composed:
            return "composes"
        return "fails with " + "; ".join(self.messages or sorted(self.codes))


def ours(result: CompositionResult) -> Outcome:
    return Outcome(
        result.supergraph_sdl,
        frozenset(e.code for e in result.errors),
        tuple(f"{e.code}: {e.message}" for e in result.errors),
    )


def apollo(case: str) -> Outcome | None:
    """What ``@apollo/composition`` answered for a ``compose_cases`` case (stored), if known."""
    sdl = APOLLO_FIXTURES / f"{case}.graphql"
    if sdl.exists():
        return Outcome(sdl.read_text().partition("\n")[2], frozenset())
    errors = APOLLO_FIXTURES / f"{case}.errors.json"
    if errors.exists():
        data = json.loads(errors.read_text())["errors"]
        return Outcome(
            None,
            frozenset(e["code"] for e in data),
            tuple(f"{e['code']}: {e['message']}" for e in data),
        )
    return None
