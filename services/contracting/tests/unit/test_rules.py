"""The pure rules of contracting, read against the round files."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from contracting_support import at
from oco_contracting.domain.deadlines import ContractingDeadlines
from oco_contracting.domain.followup import signal_report_due
from oco_contracting.domain.signing import contracting_period, register_obligation
from oco_shared.contract.events import ContractExtended
from oco_shared.contract.examples import EXAMPLES
from oco_shared.rounds import load_round


def test_signal_reports_fall_due_a_month_after_each_quarter() -> None:
    round_ = load_round("2027-2028")
    assert [signal_report_due(round_, 2027, quarter) for quarter in (1, 2, 3, 4)] == [
        at(2027, 5, 1),
        at(2027, 8, 1),
        at(2027, 11, 1),
        at(2028, 2, 1),
    ]


def test_2018_2020_asks_for_no_signal_reports_and_2023_asks_like_2022() -> None:
    assert signal_report_due(load_round("2018-2020"), 2018, 1) is None
    assert signal_report_due(load_round("2023"), 2023, 1) == at(2023, 5, 1)


def test_contracts_are_signed_from_october_until_the_contract_starts() -> None:
    assert contracting_period(load_round("2027-2028")) == (at(2026, 10, 1), at(2027, 1, 1))
    assert contracting_period(load_round("2018-2020")) == (at(2017, 10, 1), at(2018, 1, 1))


def test_register_enrolment_is_due_four_months_after_the_persons_own_start() -> None:
    contract = UUID(int=1)
    obligation = register_obligation(
        load_round("2027-2028"), contract, "CO-0007", date(2027, 10, 31)
    )
    assert obligation is not None
    # 31 October + 4 months is 29 February 2028 (no 31st; a leap year), in time all that day.
    assert obligation.due_at == at(2028, 3, 1)
    assert register_obligation(load_round("2022"), contract, "CO-0007", date(2022, 3, 1)) is None


def test_an_extended_contract_is_watched_for_the_signal_reports_of_its_new_quarters() -> None:
    extended = ContractExtended.model_validate(
        {
            **EXAMPLES["ContractExtended"],
            "round_id": "2022",
            "ended_on": "2022-12-31",
            "ends_on": "2023-06-30",
            "extendable_until": "2023-12-31",
        }
    )
    assert ContractingDeadlines().watch(extended) == [at(2023, 5, 1), at(2023, 8, 1)]
