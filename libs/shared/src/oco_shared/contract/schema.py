"""JSON Schema of every contract model, generated from the code and committed for portals.

`oco contract schemas` writes them; a test fails when the committed files and the code
disagree, so the published contract never drifts silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oco_shared.contract.examples import EXAMPLES
from oco_shared.contract.registry import REGISTRY, Registry, current_version
from oco_shared.rounds import available_rounds, load_round

SCHEMA_DIR = Path(__file__).resolve().parents[5] / "docs" / "contract" / "schemas"


def required_documents() -> dict[str, list[dict[str, Any]]]:
    """Per round, the document kinds an inscription must hold, from the round files."""
    return {
        round_id: [
            {
                "kind": rule.kind,
                "title": rule.title,
                "max_age_months": rule.max_age_months,
                "only_for": rule.only_for,
                "searchable": rule.searchable,
                "source": rule.source.cite(),
            }
            for rule in load_round(round_id).required_documents
        ]
        for round_id in available_rounds()
    }


_ONLY_FOR = {"consortium": "a consortium", "new_to_region": "a provider new to a region"}


def describe_document_kinds(definitions: dict[str, Any]) -> None:
    """Name, in `DocumentRef.kind`, the kinds each round requires and their maximum age."""
    reference = definitions.get("DocumentRef")
    if reference is None:
        return
    by_round = required_documents()
    kind = reference["properties"]["kind"]
    kind["x-oco-required-documents"] = by_round
    kind["description"] = "The document's kind. Required per round (maximum age on the " + (
        "inscription date): "
        + "; ".join(
            f"{round_id}: "
            + ", ".join(
                rule["kind"]
                + (
                    f" (at most {rule['max_age_months']} months old)"
                    if rule["max_age_months"]
                    else ""
                )
                + (f" (only for {_ONLY_FOR[rule['only_for']]})" if rule["only_for"] else "")
                for rule in rules
            )
            for round_id, rules in by_round.items()
        )
        + ". Other kinds are kept as sent."
    )


def schema_documents(registry: Registry = REGISTRY) -> dict[str, str]:
    """File name -> JSON text, one per model and version."""
    documents = {}
    for type_name, model in sorted(registry.models.items()):
        schema = model.model_json_schema(mode="serialization")
        describe_document_kinds(schema.get("$defs", {}))
        schema["$id"] = f"urn:oco:contract:{type_name}:v{current_version(model)}"
        schema["examples"] = [EXAMPLES[type_name]]
        name = f"{type_name}.v{current_version(model)}.schema.json"
        documents[name] = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return documents


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def drifted_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files that are missing, stale or no longer generated."""
    expected = schema_documents()
    present = (
        {path.name for path in directory.glob("*.schema.json")} if directory.exists() else set()
    )
    drifted = [name for name in sorted(present - expected.keys())]
    for name, text in expected.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            drifted.append(name)
    return sorted(drifted)
