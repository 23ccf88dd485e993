"""`oco nats-config`: the broker's users for the installed services, as operators generate it."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from oco_shared.cli import main


def generate(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["nats-config", *args])
    return code, out.getvalue(), err.getvalue()


def test_every_user_needs_a_password_and_none_is_invented() -> None:
    code, out, err = generate()
    assert code == 2 and out == ""
    assert "no password for provisioner, portal, auditor, office-cz" in err
    assert "service-intake" in err


def test_the_configuration_gives_each_user_its_own_subjects_only(tmp_path: Path) -> None:
    _, _, err = generate()
    names = err.split("no password for ", 1)[1].strip().split(", ")
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({name: f"pw-{name}" for name in names}))
    code, config, _ = generate("--passwords", str(passwords), "--port", "4333")
    assert code == 0
    users = {
        line.split('user: "', 1)[1].split('"', 1)[0]: line
        for line in config.splitlines()
        if 'user: "' in line
    }
    assert set(users) == set(names)
    assert 'publish: { allow: ["oco.portal.>"] }' in users["portal"]
    assert 'allow: ["oco.office.vgz.>"]' in users["office-vgz"]
    intake = users["service-intake"]
    assert '"oco.intake.>"' in intake and '"oco.deadletter.intake"' in intake
    assert '"$JS.API.CONSUMER.MSG.NEXT.OCO_PORTAL.*"' in intake
    assert '"$JS.API.CONSUMER.MSG.NEXT.OCO_OFFICE.*"' in intake  # the Nota
    assert '"oco.portal.>"' not in intake and "STREAM.CREATE" not in intake
    assert 'listen: "0.0.0.0:4333"' in config and "no_auth_user" not in config


@pytest.mark.parametrize("user", ["portal", "auditor", "office-cz"])
def test_nobody_but_the_provisioner_may_change_streams(tmp_path: Path, user: str) -> None:
    _, _, err = generate()
    names = err.split("no password for ", 1)[1].strip().split(", ")
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({name: "x" for name in names}))
    _, config, _ = generate("--passwords", str(passwords))
    line = next(line for line in config.splitlines() if f'user: "{user}"' in line)
    assert "STREAM.CREATE" not in line and "STREAM.DELETE" not in line and '">"' not in line
