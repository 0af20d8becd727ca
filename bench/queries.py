"""The three operations of the benchmark (files in ``bench/queries/``)."""

from __future__ import annotations

import json
from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent / "queries"
QUERY_NAMES = ("small", "heavy", "list100")
"""small: one fetch; heavy: the public benchmarks' nested query; list100: 100-entity lists."""


def query_text(name: str) -> str:
    return (QUERY_DIR / f"{name}.graphql").read_text(encoding="utf-8")


def request_body(name: str) -> str:
    """The JSON body a client POSTs for the named operation."""
    return json.dumps({"query": query_text(name)}, separators=(",", ":"))
