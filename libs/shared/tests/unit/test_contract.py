"""Every event and message refuses bad input with a readable error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from oco_shared.contract import REGISTRY, Registry, UnknownType, UnsupportedVersion
from oco_shared.contract.events import EVENTS, ContractSigned, SuitabilityAssessed
from oco_shared.contract.examples import EXAMPLES
from oco_shared.contract.messages import MESSAGES
from oco_shared.contract.schema import drifted_schemas
from pydantic import ValidationError

ALL_TYPES = sorted(REGISTRY.models)

# A field of each model whose value must be a timezone-aware datetime.
TIME_FIELD = {
    name: ("occurred_at" if name in {m.TYPE for m in EVENTS} else "sent_at") for name in ALL_TYPES
} | {"ProcedureClockSet": "start"}


def _error_text(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def test_the_required_events_and_messages_are_registered() -> None:
    required = {
        "InscriptionReceived",
        "InscriptionRejected",
        "SuitabilityAssessed",
        "LotDrawn",
        "SelectionPublished",
        "ObjectionFiled",
        "ObjectionRejected",
        "ObjectionAnswered",
        "KortGedingFiled",
        "ObjectionWindowClosed",
        "ContractSigned",
        "SubmitInscription",
        "SubmitObjection",
    }
    assert required <= set(REGISTRY.models)
    assert len(EVENTS) + len(MESSAGES) + 1 == len(REGISTRY.models)  # + ProcedureClockSet


def test_the_dead_letter_example_is_a_valid_record() -> None:
    from oco_shared.messaging.relay import DeadLetterRecord

    assert DeadLetterRecord.model_validate(EXAMPLES["DeadLetterRecord"]).reason == "malformed"


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_the_example_round_trips_through_json(type_name: str) -> None:
    parsed = REGISTRY.parse(EXAMPLES[type_name])
    again = REGISTRY.parse_json(parsed.model_dump_json())
    assert again == parsed


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_an_unknown_field_is_refused(type_name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        REGISTRY.parse({**EXAMPLES[type_name], "backdated_by": "the sender"})
    assert "backdated_by: Extra inputs are not permitted" in _error_text(caught.value)


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_a_naive_datetime_is_refused(type_name: str) -> None:
    field = TIME_FIELD[type_name]
    with pytest.raises(ValidationError) as caught:
        REGISTRY.parse({**EXAMPLES[type_name], field: "2026-07-31T17:00:00"})
    assert f"{field}: Input should have timezone info" in _error_text(caught.value)


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_a_wrong_type_is_refused(type_name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        REGISTRY.parse({**EXAMPLES[type_name], "round_id": 2027})
    assert "round_id: Input should be a valid string" in _error_text(caught.value)


@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_models_are_frozen(type_name: str) -> None:
    parsed = REGISTRY.parse(EXAMPLES[type_name])
    with pytest.raises(ValidationError):
        parsed.round_id = "2022"  # type: ignore[misc]


def test_money_is_exact_euros_and_cents() -> None:
    signed = ContractSigned.model_validate(EXAMPLES["ContractSigned"])
    assert json.loads(signed.model_dump_json())["hourly_tariff"] == "92.90"
    with pytest.raises(ValidationError, match="decimal places"):
        ContractSigned.model_validate(
            {**EXAMPLES["ContractSigned"], "provisional_budget_ceiling": "10.001"}
        )


def test_suitable_must_follow_from_the_verdicts() -> None:
    failing = [{"code": "G07", "verdict": "not_met", "motivation": "Geen BCMB-lidmaatschap."}]
    example = EXAMPLES["SuitabilityAssessed"]
    with pytest.raises(ValidationError, match="every requirement is met"):
        SuitabilityAssessed.model_validate({**example, "verdicts": failing})
    with pytest.raises(ValidationError, match="failed_requirements"):
        SuitabilityAssessed.model_validate(
            {**example, "verdicts": failing, "suitable": False, "failed_requirements": []}
        )
    refused = {**example, "verdicts": failing, "suitable": False, "failed_requirements": ["G07"]}
    assert SuitabilityAssessed.model_validate(refused).failed_requirements == ("G07",)


def test_a_condition_comes_with_a_conditional_verdict_only() -> None:
    from oco_shared.contract.parts import RequirementVerdict

    conditional = EXAMPLES["AssessSuitability"]["verdicts"][1]
    assert RequirementVerdict.model_validate(conditional).met
    with pytest.raises(ValidationError, match="met_on_condition"):
        RequirementVerdict.model_validate({**conditional, "condition": None})
    with pytest.raises(ValidationError, match="met_on_condition"):
        RequirementVerdict.model_validate({**conditional, "verdict": "met"})


def test_an_unknown_type_or_version_is_named() -> None:
    with pytest.raises(UnknownType, match="'Bribe'"):
        REGISTRY.parse({**EXAMPLES["ObjectionFiled"], "type": "Bribe"})
    with pytest.raises(UnsupportedVersion, match="ObjectionFiled schema_version 7"):
        REGISTRY.parse({**EXAMPLES["ObjectionFiled"], "schema_version": 7})


def test_an_upcaster_brings_an_older_version_to_the_current_model() -> None:
    """A v2 of a model, with a registered v1 -> v2 upcaster, reads documents of either version."""
    from typing import Literal

    from oco_shared.contract.events import ObjectionFiled

    class ObjectionFiledV2(ObjectionFiled):
        schema_version: Literal[2] = 2  # type: ignore[assignment]
        language: Literal["nl", "en"]

    registry = Registry([ObjectionFiledV2])

    @registry.upcaster("ObjectionFiled", from_version=1)
    def _v1_was_always_dutch(document: dict[str, Any]) -> dict[str, Any]:
        return {**document, "language": "nl"}

    old = registry.parse(EXAMPLES["ObjectionFiled"])
    assert isinstance(old, ObjectionFiledV2)
    assert (old.schema_version, old.language) == (2, "nl")
    current = registry.parse({**EXAMPLES["ObjectionFiled"], "schema_version": 2, "language": "en"})
    assert current.language == "en"  # type: ignore[attr-defined]


def test_the_committed_json_schemas_match_the_code() -> None:
    assert drifted_schemas() == [], "run `make schemas` and commit docs/contract/schemas"


def test_ceilings_name_each_party_once_and_production_each_service_once() -> None:
    from oco_shared.contract.messages import ReportProduction, SetBudgetCeilings

    twice = [{"provider_id": "12345678", "amount": "1.00"}] * 2
    with pytest.raises(ValidationError, match="provider_id 12345678 appears more than once"):
        SetBudgetCeilings.model_validate({**EXAMPLES["SetBudgetCeilings"], "ceilings": twice})
    hours = [{"service": 1, "hours": "1.00"}] * 2
    with pytest.raises(ValidationError, match="service 1 appears more than once"):
        ReportProduction.model_validate({**EXAMPLES["ReportProduction"], "hours": hours})
