"""The `make bench` scripts start: their imports resolve outside pytest (whose pythonpath
the test support modules are on), as `make bench` runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent / "bench"


@pytest.mark.parametrize("script", ["bench_pipeline.py", "bench_audit.py"])
def test_a_bench_script_starts_and_explains_itself(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=BENCH.parents[1],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
