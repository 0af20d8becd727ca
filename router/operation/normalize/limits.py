"""Operation limits (Apollo Router's ``limits``): depth, height, root fields, aliases, and a
budget of selections visited.

Measured on the raw DAG `inline` builds, merged the way execution merges it: at each position
the fields of every selection (fragments flattened, each shared fragment once, as the spec's
``visitedFragments``) are grouped by response key, and each group is one position below. So
``height`` is the number of distinct response paths, ``depth`` the longest one, and the walk's
cost is the size of the merged operation, never of the fragment tree written out. That size can
still be exponential in the document (aliases at every level of a fragment chain), so every
visited selection is paid from a `WorkBudget`, which refuses the operation once it is spent:
nothing here, nor in the expansion that follows, does more than ``budget.limit`` steps.
Conditions (``@skip``/``@include``) and type conditions are ignored: limits hold for every
variable value and runtime type.

Introspection (below ``__schema``/``__type``) is answered from the schema, not by subgraphs:
its paths do not count towards ``height`` (GraphiQL's own query has 229), but they count towards
depth and the budget. Nesting introspection lists (``fields { type { fields ...``), which
multiplies the answer by the schema's size at each level, is refused earlier, by graphql-core's
``MaxIntrospectionDepthRule`` in validation (like Apollo Router's ``introspection_max_depth``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import RequestError
from .model import RawField, RawSelection

MAX_SELECTIONS_LIMIT = "MAX_SELECTIONS_LIMIT"
INTROSPECTION_ROOTS = frozenset(("__schema", "__type"))


class WorkBudget:
    """Counts selections visited by normalization passes; `RequestError` past ``limit``.

    ``visited`` is the instrument: tests and metrics read how much work an operation cost."""

    __slots__ = ("limit", "visited")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.visited = 0

    def spend(self, nodes: int = 1) -> None:
        self.visited += nodes
        if self.limit is not None and self.visited > self.limit:
            raise RequestError.single(
                f"Maximum selections limit exceeded in this operation (more than {self.limit}"
                " selections to visit once fragments are expanded)",
                MAX_SELECTIONS_LIMIT,
            )


@dataclass(frozen=True, slots=True)
class Measures:
    depth: int
    height: int
    root_fields: int
    aliases: int


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """None: no limit."""

    max_depth: int | None = None
    max_height: int | None = None
    max_root_fields: int | None = None
    max_aliases: int | None = None


def measure(
    selections: tuple[RawSelection, ...],
    budget: WorkBudget | None = None,
    limits: OperationLimits | None = None,
) -> Measures:
    """The operation's measures; with ``limits``, refused as soon as one is exceeded."""
    budget = budget or WorkBudget(None)
    depth = height = aliases = root_fields = 0
    # (selection groups at one position, its level, whether it is inside introspection)
    stack: list[tuple[tuple[tuple[RawSelection, ...], ...], int, bool]] = [
        ((selections,), 1, False)
    ]
    while stack:
        groups, level, introspection = stack.pop()
        grouped: dict[str, tuple[str, list[tuple[RawSelection, ...]]]] = {}
        seen: set[int] = set()
        pending = list(groups)
        while pending:
            group = pending.pop()
            if id(group) in seen:
                continue
            seen.add(id(group))
            for selection in group:
                budget.spend()
                if isinstance(selection, RawField):
                    if selection.response_key != selection.name:
                        aliases += 1
                    entry = grouped.setdefault(selection.response_key, (selection.name, []))
                    entry[1].append(selection.selections)
                else:
                    pending.append(selection.selections)
        if not grouped:
            continue
        if not introspection:
            height += sum(name not in INTROSPECTION_ROOTS for name, _ in grouped.values())
        depth = max(depth, level)
        if level == 1:
            root_fields = len(grouped)
        if limits is not None:
            check_limits(Measures(depth, height, root_fields, aliases), limits)
        for name, subs in grouped.values():
            if not any(subs):
                continue
            below = introspection or (level == 1 and name in INTROSPECTION_ROOTS)
            stack.append((tuple(subs), level + 1, below))
    return Measures(depth, height, root_fields, aliases)


def check_limits(measures: Measures, limits: OperationLimits) -> None:
    checks = (
        (limits.max_depth, measures.depth, "depth", "MAX_DEPTH_LIMIT"),
        (limits.max_root_fields, measures.root_fields, "root fields", "MAX_ROOT_FIELDS_LIMIT"),
        (limits.max_aliases, measures.aliases, "aliases", "MAX_ALIASES_LIMIT"),
        (limits.max_height, measures.height, "height", "MAX_HEIGHT_LIMIT"),
    )
    for limit, value, what, code in checks:
        if limit is not None and value > limit:
            raise RequestError.single(f"Maximum {what} limit exceeded in this operation", code)
