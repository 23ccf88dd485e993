"""The session's check for processes left behind finds one, and only while it runs."""

from __future__ import annotations

import os
import subprocess

from leftovers import MARK, leftovers


def test_a_process_the_session_started_is_a_leftover_until_it_is_stopped() -> None:
    mark = os.environ[MARK]
    with subprocess.Popen(["sleep", "60"]) as started:
        try:
            assert started.pid in [process.pid for process in leftovers(mark)]
        finally:
            started.kill()
    assert started.pid not in [process.pid for process in leftovers(mark)]
    unmarked = {key: value for key, value in os.environ.items() if key != MARK}
    with subprocess.Popen(["sleep", "60"], env=unmarked) as elsewhere:
        try:
            assert elsewhere.pid not in [process.pid for process in leftovers(mark)]
        finally:
            elsewhere.kill()
