"""Operation limits (Apollo Router's ``limits``): depth, height, root fields, aliases."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RequestError
from .model import RawField, RawSelection


@dataclass(frozen=True, slots=True)
class Measures:
    depth: int
    height: int
    root_fields: int
    aliases: int


def measure(selections: tuple[RawSelection, ...]) -> Measures:
    unique: set[tuple[str, ...]] = set()
    aliases = 0
    depth = 0
    stack: list[tuple[RawSelection, int, tuple[str, ...]]] = [(s, 1, ()) for s in selections]
    while stack:
        selection, level, path = stack.pop()
        if isinstance(selection, RawField):
            here = (*path, selection.response_key)
            unique.add(here)
            depth = max(depth, level)
            if selection.response_key != selection.name:
                aliases += 1
            stack.extend((s, level + 1, here) for s in selection.selections)
        else:
            stack.extend((s, level, path) for s in selection.selections)
    roots: set[str] = set()
    stack2 = list(selections)
    while stack2:
        selection = stack2.pop()
        if isinstance(selection, RawField):
            roots.add(selection.response_key)
        else:
            stack2.extend(selection.selections)
    return Measures(depth, len(unique), len(roots), aliases)


def check_limits(
    measures: Measures,
    max_depth: int | None,
    max_height: int | None,
    max_root_fields: int | None,
    max_aliases: int | None,
) -> None:
    checks = (
        (max_depth, measures.depth, "depth", "MAX_DEPTH_LIMIT"),
        (max_height, measures.height, "height", "MAX_HEIGHT_LIMIT"),
        (max_root_fields, measures.root_fields, "root fields", "MAX_ROOT_FIELDS_LIMIT"),
        (max_aliases, measures.aliases, "aliases", "MAX_ALIASES_LIMIT"),
    )
    for limit, value, what, code in checks:
        if limit is not None and value > limit:
            raise RequestError.single(f"Maximum {what} limit exceeded in this operation", code)
