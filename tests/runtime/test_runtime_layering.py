"""The platform layer's direction: `polyshop.runtime` imports neither the router nor the
subgraphs (nor the rest of `polyshop`, which does), and the two sides never import each other.

Read from the source with `ast`, so a lazy import inside a function counts as well."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def offending(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad: dict[str, list[str]] = {}
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        hits = sorted(
            module
            for module in imported_modules(path)
            if any(module == f or module.startswith(f + ".") for f in forbidden)
        )
        if hits:
            bad[str(path.relative_to(ROOT))] = hits
    return bad


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("polyshop.runtime", ("router", "subgraphs")),
        ("router", ("subgraphs",)),
        ("subgraphs", ("router",)),
    ],
)
def test_layers_import_in_one_direction(package: str, forbidden: tuple[str, ...]) -> None:
    assert offending(package, forbidden) == {}


def test_runtime_imports_only_itself_from_polyshop() -> None:
    outside = {
        name: sorted(
            m for m in modules if m.startswith("polyshop") and not m.startswith("polyshop.runtime")
        )
        for name, modules in (
            (str(p.relative_to(ROOT)), imported_modules(p))
            for p in sorted((ROOT / "polyshop" / "runtime").rglob("*.py"))
        )
    }
    assert {name: mods for name, mods in outside.items() if mods} == {}
