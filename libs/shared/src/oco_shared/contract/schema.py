"""JSON Schema of every contract model, generated from the code and committed for portals.

`oco contract schemas` writes them; a test fails when the committed files and the code
disagree, so the published contract never drifts silently.
"""

from __future__ import annotations

import json
from pathlib import Path

from oco_shared.contract.examples import EXAMPLES
from oco_shared.contract.registry import REGISTRY, Registry, current_version

SCHEMA_DIR = Path(__file__).resolve().parents[5] / "docs" / "contract" / "schemas"


def schema_documents(registry: Registry = REGISTRY) -> dict[str, str]:
    """File name -> JSON text, one per model and version."""
    documents = {}
    for type_name, model in sorted(registry.models.items()):
        schema = model.model_json_schema(mode="serialization")
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
