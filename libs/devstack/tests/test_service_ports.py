"""`oco run` gives each service a distinct HTTP port that does not move between runs."""

from __future__ import annotations

import pytest
from oco_devstack.run import service_ports


def test_ports_follow_name_order() -> None:
    assert service_ports(["objection", "intake", "assessment"], {}) == {
        "assessment": 8101,
        "intake": 8102,
        "objection": 8103,
    }


def test_a_pinned_port_is_kept_and_stepped_around() -> None:
    environ = {"OCO_HTTP_PORT_INTAKE": "8101", "OCO_HTTP_PORT_FAST_TRACK": "9000"}
    assert service_ports(["assessment", "fast-track", "intake", "objection"], environ) == {
        "assessment": 8102,
        "fast-track": 9000,
        "intake": 8101,
        "objection": 8103,
    }


@pytest.mark.parametrize(
    "environ",
    [
        {"OCO_HTTP_PORT_INTAKE": "http"},
        {"OCO_HTTP_PORT_INTAKE": "70000"},
        {"OCO_HTTP_PORT_INTAKE": "8200", "OCO_HTTP_PORT_OBJECTION": "8200"},
    ],
)
def test_bad_pins_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"OCO_HTTP_PORT_INTAKE|same port"):
        service_ports(["intake", "objection"], environ)
