"""CPU time and memory of a process tree, read from /proc (Linux only).

Routers with worker processes (uvicorn workers, Node cluster forks) spread their work over a
tree of processes, so every figure here sums a process and all its descendants.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may hold spaces and ')')."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def parent_map() -> dict[int, int]:
    """pid → parent pid for every process visible now."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    return parents


def process_tree(root: int) -> list[int]:
    """``root`` and all its living descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in parent_map().items():
        children.setdefault(parent, []).append(pid)
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, ()))
    return tree


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds consumed so far by each living pid."""
    used: dict[int, float] = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the name.
            used[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of the pids together (from /proc/PID/statm)."""
    total = 0
    for pid in pids:
        try:
            resident = int((PROC / str(pid) / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident * PAGE_BYTES
    return total


@dataclass
class TreeUsage:
    """CPU and peak memory of one process tree over a measured interval.

    `start` records the CPU already used; `stop` gives the CPU used since, counting processes
    that appeared in between from zero. A background task samples the tree's RSS meanwhile.
    """

    root: int
    interval: float = 0.1
    peak_rss: int = 0
    _start: dict[int, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._start = cpu_seconds(process_tree(self.root))
        self.peak_rss = rss_bytes(list(self._start))
        self._task = asyncio.get_running_loop().create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.peak_rss = max(self.peak_rss, rss_bytes(process_tree(self.root)))

    async def stop(self) -> float:
        """CPU seconds used by the tree since `start`."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        tree = process_tree(self.root)
        self.peak_rss = max(self.peak_rss, rss_bytes(tree))
        now = cpu_seconds(tree)
        return sum(max(0.0, used - self._start.get(pid, 0.0)) for pid, used in now.items())
