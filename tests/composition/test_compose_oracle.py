"""Our composer against Apollo composition's output for the same subgraphs.

Successful cases must print the very same supergraph SDL; failing cases must report the same
errors (codes and messages).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.composition import compose
from router.supergraph import read_supergraph
from tests.support.compose_cases import CASES, sources_hash

APOLLO = Path(__file__).parent / "fixtures" / "apollo"

# Apollo's message has a typo we do not copy.
_KNOWN_WORDING = {"specifcation": "specification"}


def _expected(name: str) -> tuple[str, str | list[dict[str, str]]]:
    sdl_path = APOLLO / f"{name}.graphql"
    if sdl_path.exists():
        header, _, body = sdl_path.read_text().partition("\n")
        return header.removeprefix("# sources: "), body.rstrip("\n")
    data = json.loads((APOLLO / f"{name}.errors.json").read_text())
    return data["sources"], data["errors"]


def _normalize(message: str) -> str:
    for wrong, right in _KNOWN_WORDING.items():
        message = message.replace(wrong, right)
    return message


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_as_apollo(name: str) -> None:
    digest, expected = _expected(name)
    assert digest == sources_hash(CASES[name]), "stale fixture: run fixtures/regenerate.py"
    result = compose(CASES[name])
    if isinstance(expected, str):
        assert result.errors == ()
        assert result.supergraph_sdl == expected
        read_supergraph(result.supergraph_sdl)  # and the router can read it
    else:
        assert result.supergraph_sdl is None
        ours = sorted((e.code, e.message) for e in result.errors)
        theirs = sorted((e["code"], _normalize(e["message"])) for e in expected)
        assert ours == theirs


def test_every_fixture_has_a_case() -> None:
    names = {p.name.split(".")[0] for p in APOLLO.iterdir()}
    assert names == set(CASES)
