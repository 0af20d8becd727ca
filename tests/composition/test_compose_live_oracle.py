"""Our composer against ``@theguild/federation-composition``, run by Node at test time.

Every subgraph set we have (this repo's ``supergraph.yaml``, the router scenarios, the
``compose_cases`` cases, failing ones included) is composed by both. Supergraphs must be equal
after ``live_oracle.normalize``; failures must carry the same set of error codes (theguild
reports Apollo's codes, but sometimes splits one Apollo error in two, so counts may differ).
Known, legitimate differences between theguild and Apollo are in ``live_oracle.divergences``.
Skipped only where Node (or npm, to install the pinned composer) is missing.
"""

from __future__ import annotations

import pytest

from router.composition import SubgraphSource, compose
from tests.support.live_oracle.cases import CASE, REPO, SCENARIO, all_cases, repo_subgraphs
from tests.support.live_oracle.divergences import (
    CODE_DIVERGENCES,
    OUTCOME_DIVERGENCES,
    SUPERGRAPH_DIVERGENCES,
    THEGUILD_INPUT_EDITS,
)
from tests.support.live_oracle.normalize import normalize_supergraph
from tests.support.live_oracle.outcome import Outcome, apollo, ours
from tests.support.live_oracle.theguild import TheGuildUnavailable, compose_all

pytestmark = pytest.mark.slow  # Node composes every case

CASES = all_cases()


def _theguild_input(name: str, sources: list[SubgraphSource]) -> list[SubgraphSource]:
    edits = THEGUILD_INPUT_EDITS.get(name, ())
    edited = []
    for source in sources:
        sdl = source.sdl
        for old, new in edits:
            sdl = sdl.replace(old, new)
        edited.append(SubgraphSource(source.name, source.url, sdl))
    return edited


@pytest.fixture(scope="session")
def theguild() -> dict[str, Outcome | str]:
    try:
        return compose_all({name: _theguild_input(name, s) for name, s in CASES.items()})
    except TheGuildUnavailable as error:
        pytest.skip(f"live composition oracle unavailable: {error}")


def _same_as_apollo(name: str, outcome: Outcome) -> None:
    """Where we part from theguild, we must be doing what Apollo does (if it is on record)."""
    if not name.startswith(CASE) or (stored := apollo(name.removeprefix(CASE))) is None:
        return
    if stored.supergraph is None:
        assert outcome.codes == stored.codes, outcome.describe()
    else:
        assert outcome.supergraph is not None, outcome.describe()
        assert normalize_supergraph(outcome.supergraph) == normalize_supergraph(stored.supergraph)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_as_theguild(name: str, theguild: dict[str, Outcome | str]) -> None:
    reference = theguild[name]
    assert isinstance(reference, Outcome), f"theguild composer crashed:\n{reference}"
    mine = ours(compose(CASES[name]))

    if (divergence := OUTCOME_DIVERGENCES.get(name)) is not None:
        assert reference.codes == divergence.theguild_codes, (
            f"stale allow-list entry ({divergence.reason}): theguild {reference.describe()}"
        )
        assert reference.composed == (not divergence.theguild_codes)
        assert mine.composed != reference.composed, "the two now agree: drop the entry"
        _same_as_apollo(name, mine)
        return

    assert mine.composed == reference.composed, (
        f"we {mine.describe()}, but theguild {reference.describe()}"
    )
    if mine.supergraph is None or reference.supergraph is None:
        if (codes := CODE_DIVERGENCES.get(name)) is not None:
            assert reference.codes == codes.theguild_codes, f"stale entry: {codes.reason}"
            assert mine.codes != reference.codes, "the two now agree: drop the entry"
            _same_as_apollo(name, mine)
            return
        assert mine.codes == reference.codes, "\n".join(mine.messages + reference.messages)
        return

    actual = normalize_supergraph(mine.supergraph)
    expected = normalize_supergraph(reference.supergraph)
    if (known := SUPERGRAPH_DIVERGENCES.get(name)) is not None:
        for old, new in known.edits:
            assert old in actual, f"stale allow-list entry ({known.reason}): {old!r} not in ours"
            actual = actual.replace(old, new)
        _same_as_apollo(name, mine)
    assert actual == expected


def test_every_source_of_subgraphs_is_compared() -> None:
    scenarios = [n for n in CASES if n.startswith(SCENARIO)]
    composer_cases = [n for n in CASES if n.startswith(CASE)]
    failing = [n for n in composer_cases if n.removeprefix(CASE).startswith("err_")]
    assert REPO in CASES
    assert len(CASES[REPO]) >= 2
    assert len(scenarios) >= 40
    assert len(failing) >= 20
    allow_listed = set(THEGUILD_INPUT_EDITS) | set(SUPERGRAPH_DIVERGENCES) | set(CODE_DIVERGENCES)
    assert allow_listed | set(OUTCOME_DIVERGENCES) <= set(CASES)


def test_repo_subgraphs_are_read_from_their_files() -> None:
    names = {s.name for s in repo_subgraphs()}
    assert {"products", "auth"} <= names
    assert all("@link" in s.sdl for s in repo_subgraphs())


# -- the normalization itself (no Node needed) -------------------------------------------------

_JOIN = """
schema @link(url: "https://specs.apollo.dev/join/v0.4", for: EXECUTION) { query: Query }
enum join__Graph { A @join__graph(name: "a", url: "http://a") B @join__graph(name: "b", url: "x") }
"""
# Declared by Apollo from join v0.4 on, used or not; theguild declares it only when used.
_JOIN_DIRECTIVE = """
directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments)
  repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION
scalar join__DirectiveArguments
"""


def test_normalization_ignores_order_and_layout() -> None:
    one = (
        _JOIN
        + '''
    """The root"""
    type Query @join__type(graph: A) @join__type(graph: B) {
      b(y: Int, x: [String] = ["p", "q"]): Int @join__field(graph: B)
      a: Int @join__field(graph: A) @tag(name: "t")
    }
    enum E @join__type(graph: A) { Y X }
    '''
    )
    two = (
        _JOIN
        + """
    enum E @join__type(graph: A) {
      X
      Y
    }
    "The root"
    type Query @join__type(graph: B) @join__type(graph: A) {
      a: Int @tag(name: "t") @join__field(graph: A)
      b(x: [String] = ["p", "q"], y: Int): Int @join__field(graph: B)
    }
    """
    )
    assert normalize_supergraph(one) == normalize_supergraph(two)


def test_normalization_keeps_meaning() -> None:
    base = _JOIN + 'type Query @join__type(graph: A) { a(x: [String] = ["p", "q"]): Int }'
    assert normalize_supergraph(base) != normalize_supergraph(base.replace('"p", "q"', '"q", "p"'))
    assert normalize_supergraph(base) != normalize_supergraph(base.replace("graph: A", "graph: B"))
    assert normalize_supergraph(base) != normalize_supergraph(base.replace("Int", "Int!"))


def test_normalization_unifies_spellings_of_one_join_fact() -> None:
    types = """
    type Query @join__type(graph: A) { p: P }
    type P @join__type(graph: A, key: "id", resolvable: true) @join__type(graph: B, key: "id") {
      id: ID!
      d: D @join__field(graph: B, requires: "dims { w h }")
    }
    type D @join__type(graph: B) { w: Int h: Int }
    """
    apollo_style = _JOIN + _JOIN_DIRECTIVE + types
    theguild_style = _JOIN + types.replace(", resolvable: true", "").replace("s { w h }", "s{w h}")
    normalized = normalize_supergraph(apollo_style)
    assert "join__directive" not in normalized
    assert "join__DirectiveArguments" not in normalized
    assert 'requires: "dims { w h }"' in normalized
    assert "resolvable" not in normalized
    assert normalized == normalize_supergraph(theguild_style)
    assert normalized != normalize_supergraph(theguild_style.replace('"id") {', '"id d") {'))


def test_normalization_keeps_join_directive_machinery_in_use() -> None:
    used = (
        _JOIN
        + _JOIN_DIRECTIVE
        + 'type Query @join__type(graph: A) @join__directive(graphs: [A], name: "x") { a: Int }'
    )
    normalized = normalize_supergraph(used)
    assert "directive @join__directive(" in normalized
    assert "scalar join__DirectiveArguments" in normalized
