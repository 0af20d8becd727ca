"""Where our router spends its time: py-spy samples in collapsed-stack ("raw") form, summed.

``py-spy record --format raw`` writes one line per distinct stack: frames separated by ``;``
then a space and the sample count. `summarize` turns that into self and inclusive shares per
function (file:function), the figures quoted in reports.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_LINE_NUMBER = re.compile(r":\d+\)$")


@dataclass(frozen=True)
class Share:
    function: str
    self_share: float
    inclusive_share: float


def _frame(raw: str) -> str:
    """``name (path/file.py:123)`` → ``name (path/file.py)``: one entry per function."""
    return _LINE_NUMBER.sub(")", raw.strip())


def summarize(lines: Iterable[str], idle: tuple[str, ...] = ()) -> tuple[int, list[Share]]:
    """Total samples and per-function shares, most inclusive first.

    Stacks whose leaf matches one of ``idle`` (e.g. the event loop's ``select``) are left out,
    so shares are of busy time.
    """
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        line = line.strip()
        if not line or " " not in line:
            continue
        stack, _, count_text = line.rpartition(" ")
        try:
            count = int(count_text)
        except ValueError:
            continue
        frames = [_frame(part) for part in stack.split(";") if part]
        if not frames or any(word in frames[-1] for word in idle):
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if total == 0:
        return 0, []
    shares = [Share(name, self_counts[name] / total, inclusive[name] / total) for name in inclusive]
    shares.sort(key=lambda share: (-share.inclusive_share, -share.self_share))
    return total, shares


def top_self(shares: list[Share], count: int) -> list[Share]:
    return sorted(shares, key=lambda share: -share.self_share)[:count]
