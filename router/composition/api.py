"""``compose()``: subgraph SDLs in, supergraph SDL (or structured errors) out. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from router.composition.builder import SubgraphBuilder
from router.composition.context import MergeContext
from router.composition.errors import CompositionError, CompositionHint, Report
from router.composition.federation import FederationInfo
from router.composition.merge import Merger
from router.composition.model import Subgraph
from router.composition.postmerge import validate_merged
from router.composition.printer import print_supergraph
from router.composition.satisfiability import check_satisfiability
from router.composition.upgrade import upgrade_subgraphs
from router.composition.validation import SubgraphValidator


@dataclass(frozen=True, slots=True)
class SubgraphSource:
    """One subgraph to compose: its name, routing URL and SDL (as the subgraph prints it)."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True, slots=True)
class CompositionResult:
    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...] = ()
    hints: tuple[CompositionHint, ...] = ()

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None and not self.errors

    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


def compose(
    subgraphs: Sequence[SubgraphSource], *, run_satisfiability: bool = True
) -> CompositionResult:
    """Compose Federation 2 (or Federation 1) subgraphs into a supergraph.

    Subgraphs are processed in name order, as Apollo composition does, so the result does not
    depend on the order given.
    """
    report = Report()
    seen: set[str] = set()
    for source in subgraphs:
        if source.name in seen:
            report.error(
                "INVALID_SUBGRAPH_NAME",
                f"A subgraph named {source.name} already exists",
                (source.name,),
            )
        seen.add(source.name)
    if report.errors:
        return _failure(report)
    built: list[Subgraph] = []
    for source in sorted(subgraphs, key=lambda s: s.name):
        subgraph = SubgraphBuilder(source.name, source.url, source.sdl, report).build()
        if subgraph is not None:
            built.append(subgraph)
    if report.errors:
        return _failure(report)
    if not built:
        report.error("NO_QUERIES", "No subgraphs to compose.")
        return _failure(report)
    upgrade_subgraphs(built, report)
    if report.errors:
        return _failure(report)
    for subgraph in built:
        SubgraphValidator(subgraph, FederationInfo(subgraph), report).validate()
    if report.errors:
        return _failure(report)
    ctx = MergeContext(built, report)
    if not Merger(ctx).merge():
        return _failure(report)
    validate_merged(ctx)
    if report.errors:
        return _failure(report)
    if run_satisfiability:
        check_satisfiability(ctx, ctx.inaccessible)
        if report.errors:
            return _failure(report)
    return CompositionResult(print_supergraph(ctx.schema), (), tuple(report.hints))


def _failure(report: Report) -> CompositionResult:
    return CompositionResult(None, tuple(report.errors), tuple(report.hints))
