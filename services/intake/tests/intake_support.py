"""Submissions as a portal would send them, for the intake tests."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from hypothesis import strategies as st
from memory_support import at, pdf

REQUIRED_2027 = (
    "bestuursverklaring",
    "signing_authority",
    "vog_rp",
    "kvk_extract",
    "ubo_extract",
    "motivation",
)


def document(kind: str, issued_on: str = "2026-05-04", searchable: bool = True) -> dict[str, Any]:
    return pdf(kind, issued_on, size_bytes=120_000, searchable=searchable)


def submission(
    provider_id: str = "12345678",
    *,
    regions: tuple[tuple[str, bool], ...] = (("amsterdam", False),),
    uitvoerder: str = "zilveren-kruis",
    documents: list[dict[str, Any]] | None = None,
    consortium: bool = False,
    sent_at: datetime | None = None,
    round_id: str = "2027-2028",
) -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": "SubmitInscription",
        "schema_version": 1,
        "round_id": round_id,
        "sent_at": (sent_at or at(2026, 7, 15, 10, 0)).isoformat(),
        "actor": {"kind": "provider", "id": provider_id},
        "uitvoerder_code": uitvoerder,
        "provider": {"id": provider_id, "name": f"Aanbieder {provider_id}"},
        "regions": [
            {"region_code": code, "new_to_region": new, "wmo_municipalities": ["Amsterdam"]}
            for code, new in regions
        ],
        "consortium_members": [{"id": "87654321", "name": "ZZP'er"}] if consortium else [],
        "subcontractor_intent": False,
        "documents": documents
        if documents is not None
        else [document(kind) for kind in REQUIRED_2027],
    }


def withdrawal(provider_id: str, uitvoerder: str = "zilveren-kruis") -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": "WithdrawInscription",
        "schema_version": 1,
        "round_id": "2027-2028",
        "sent_at": at(2026, 7, 20, 9, 0).isoformat(),
        "actor": {"kind": "provider", "id": provider_id},
        "uitvoerder_code": uitvoerder,
        "provider_id": provider_id,
    }


def question(text: str = "Telt een Wmo-contract buiten de regio?") -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": "SubmitQuestion",
        "schema_version": 1,
        "round_id": "2027-2028",
        "sent_at": at(2026, 6, 10, 9, 0).isoformat(),
        "actor": {"kind": "provider", "id": "12345678"},
        "question_id": f"Q-{uuid.uuid4().hex[:6]}",
        "text": text,
    }


def nota(question_id: str) -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": "PublishNotaVanInlichtingen",
        "schema_version": 1,
        "round_id": "2027-2028",
        "sent_at": at(2026, 6, 30, 9, 0).isoformat(),
        "actor": {"kind": "zorgkantoor", "id": "zilveren-kruis"},
        "answers": [{"question_id": question_id, "answer": "Nee."}],
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def malformed_payloads(draw: st.DrawFn) -> bytes:
    """Broken bytes, other JSON, or a valid submission with one field replaced or removed."""
    kind = draw(st.sampled_from(["bytes", "json", "mutated", "dropped"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    valid = submission()
    field = draw(st.sampled_from(sorted(valid)))
    if kind == "dropped":
        del valid[field]
    else:
        valid[field] = draw(json_values)
    return json.dumps(valid).encode()
