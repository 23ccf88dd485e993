"""`oco run --exit-when-done` as an operator types it: the services as their own processes,
the sample round played through them, exit 0 when it completed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plumbing_support import Isolation, Servers

pytestmark = pytest.mark.integration

OCO = [sys.executable, "-m", "oco_shared.cli"]


def oco_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OCO, "run", "--exit-when-done"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_fresh_checkout_plays_the_sample_round_on_the_embedded_stack(data_dir: Path) -> None:
    env = {**os.environ, "OCO_DATA_DIR": str(data_dir), "OCO_STREAM_MAX_BYTES": str(2**26)}
    env.pop("OCO_NATS_URL", None)
    env.pop("OCO_DATABASE_URL", None)
    done = oco_run(env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "playing sample round 2027-2028 (seed 2027)" in done.stdout
    assert "lots drawn before a notary" in done.stdout
    assert "0 dead letters" in done.stdout and "embedded stack stopped" in done.stdout
    assert done.stdout.count(" selected") >= 31  # a line per region
    # Then what an auditor does: every log verified, the round drawn.
    assert "audit verify: 0 findings" in done.stdout
    assert (data_dir / "sample-round.html").read_text().startswith("<!DOCTYPE html>")


def test_the_sample_round_plays_against_servers_of_the_operator(
    servers: Servers, isolation: Isolation, tmp_path: Path
) -> None:
    env = isolation.env(servers, OCO_DATA_DIR=str(tmp_path))
    first = oco_run(env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "embedded stack" not in first.stdout
    assert "audit verify: 0 findings" in first.stdout
    # The same seed again on the same log would be recognised and ignored: refused, said.
    again = oco_run(env)
    assert again.returncode == 1
    assert "the log already holds messages" in again.stdout
