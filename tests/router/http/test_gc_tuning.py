"""The router's collector tuning, checked in a fresh interpreter (GC state is process-wide)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a Python subprocess per case

PROBE = """
import gc
from router.http.gc_tuning import tune_garbage_collector
default = gc.get_threshold()[0]
tune_garbage_collector({threshold}, freeze={freeze})
print(default, gc.get_threshold()[0], gc.get_freeze_count() > 0)
"""


def probe(threshold: int, freeze: bool) -> list[str]:
    code = PROBE.format(threshold=threshold, freeze=freeze)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_threshold_and_freeze_apply() -> None:
    default, threshold, frozen = probe(50_000, True)
    assert threshold == "50000"
    assert default != "50000"
    assert frozen == "True"


def test_zero_and_false_leave_python_defaults() -> None:
    default, threshold, frozen = probe(0, False)
    assert threshold == default
    assert frozen == "False"
