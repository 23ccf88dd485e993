"""Rounds as data: every round file loads, and a broken one says what is wrong where."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from oco_shared.rounds import (
    RoundFileError,
    UnknownRound,
    available_rounds,
    load_round,
    load_round_file,
)
from oco_shared.rounds.loader import _data_dir

EXPECTED = {
    # round: (requirements, tariff, contract start, contract end)
    "2018-2020": (11, Decimal("69.00"), "2018-01-01", "2020-12-31"),
    "2022": (13, Decimal("75.09"), "2022-01-01", "2022-12-31"),
    "2023": (13, Decimal("78.42"), "2023-01-01", "2023-12-31"),
    "2027-2028": (17, Decimal("92.90"), "2027-01-01", "2028-12-31"),
}


def test_every_round_of_the_documents_has_a_file() -> None:
    assert set(available_rounds()) == set(EXPECTED)


@pytest.mark.parametrize("round_id", sorted(EXPECTED))
def test_a_round_holds_what_its_document_says(round_id: str) -> None:
    loaded = load_round(round_id)
    requirements, tariff, starts, ends = EXPECTED[round_id]
    assert len(loaded.requirements) == requirements
    assert loaded.tariff.amount == tariff
    assert (str(loaded.contract.starts), str(loaded.contract.ends)) == (starts, ends)
    assert loaded.max_providers_per_region.value == 4
    regions = [region.code for u in loaded.uitvoerders for region in u.regions]
    assert len(regions) == len(set(regions)) == 31


def _sources(value: Any) -> list[Any]:
    if isinstance(value, dict):
        found = [value["source"]] if "source" in value else []
        return found + [s for key, item in value.items() if key != "source" for s in _sources(item)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _sources(item)]
    return []


@pytest.mark.parametrize("round_id", sorted(EXPECTED))
def test_every_sourced_value_cites_a_seed_file_that_exists(round_id: str) -> None:
    dumped = load_round(round_id).model_dump(mode="json")
    seeds = Path(__file__).resolve().parents[4].parent / "shared" / "seeds"
    cited = {source["file"] for source in _sources(dumped)}
    assert cited, "no sources found"
    if seeds.exists():
        assert cited <= {path.name for path in seeds.iterdir()}
    sourced_sections = [dumped[key]["source"] for key in ("tariff", "contract", "tie_break")]
    assert all(section["section"] for section in sourced_sections)


def test_2023_extends_2022_and_replaces_what_the_addendum_changes() -> None:
    addendum, kader = load_round("2023"), load_round("2022")
    assert addendum.extends == "2022"
    assert [r.code for r in addendum.requirements] == [r.code for r in kader.requirements]
    assert addendum.milestones != kader.milestones


def test_an_unknown_round_names_the_known_ones() -> None:
    with pytest.raises(UnknownRound, match="known rounds: 2018-2020, 2022, 2023, 2027-2028"):
        load_round("2031")


def _broken(tmp_path: Path, change: Any, name: str = "2027-2028.yaml") -> Path:
    data = yaml.safe_load((_data_dir() / "2027-2028.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _problem(path: Path) -> str:
    with pytest.raises(RoundFileError) as caught:
        load_round_file(path)
    assert caught.value.file == path.name
    return str(caught.value)


def test_a_deadline_before_its_start_is_refused(tmp_path: Path) -> None:
    def close_before_opening(data: dict[str, Any]) -> None:
        data["milestones"]["inscription_closes"]["date"] = "2026-05-01"

    message = _problem(_broken(tmp_path, close_before_opening))
    assert message.startswith("2027-2028.yaml: ")
    assert "milestones.inscription_closes (2026-05-01) lies before milestones." in message


def test_a_region_under_two_uitvoerders_is_refused(tmp_path: Path) -> None:
    def claim_amsterdam_twice(data: dict[str, Any]) -> None:
        data["uitvoerders"][1]["regions"].append({"code": "amsterdam", "name": "Amsterdam"})

    message = _problem(_broken(tmp_path, claim_amsterdam_twice))
    assert "region 'amsterdam' is already served by uitvoerder 'zilveren-kruis'" in message


def test_an_unknown_requirement_code_is_refused(tmp_path: Path) -> None:
    def cite_unknown(data: dict[str, Any]) -> None:
        data["required_documents"][0]["motivates"] = ["G01", "G99"]

    message = _problem(_broken(tmp_path, cite_unknown))
    assert "motivates: unknown requirement codes ['G99']" in message


def test_a_malformed_value_names_the_field(tmp_path: Path) -> None:
    def bad_tariff(data: dict[str, Any]) -> None:
        data["tariff"]["amount"] = "negen-en-negentig"

    message = _problem(_broken(tmp_path, bad_tariff))
    assert "tariff.amount: Input should be a valid decimal" in message


def test_a_source_must_name_a_seed_file(tmp_path: Path) -> None:
    def vague_source(data: dict[str, Any]) -> None:
        data["tariff"]["source"]["file"] = "somewhere.pdf"

    assert "tariff.source.file" in _problem(_broken(tmp_path, vague_source))


def test_invalid_yaml_and_a_wrong_file_name_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "2027-2028.yaml"
    broken.write_text("id: [unclosed", encoding="utf-8")
    assert "not valid YAML" in _problem(broken)
    misnamed = _broken(tmp_path, lambda data: None, name="2029.yaml")
    assert "id: '2027-2028' does not match the file name" in _problem(misnamed)
