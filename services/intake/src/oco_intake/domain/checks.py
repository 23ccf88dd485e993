"""The checks an inscription must pass, each a pure function of the round's rules.

Every failure becomes a `Refusal` with a stable code, a readable text and the policy
section behind it; all failures are listed at once. The rules are read from the round
file, which cites the seed documents (inscription: 000_d8e1bdfab127271e.txt 6, "Bij de
inschrijving dient u de volgende documenten verplicht aan te leveren").
"""

from __future__ import annotations

from datetime import date, datetime

from oco_shared.contract.messages import SubmitInscription
from oco_shared.contract.parts import DocumentRef, Refusal, RefusalCode
from oco_shared.deadlines import Deadline, add_period, deadline_for, local
from oco_shared.rounds import DeadlineCode, Round
from oco_shared.rounds.model import Period, RequiredDocument

# Required documents whose absence has a reason code of its own.
_MISSING_CODES = {
    "joint_liability_declaration": RefusalCode.JOINT_LIABILITY_MISSING,
    "implementation_plan": RefusalCode.IMPLEMENTATION_PLAN_MISSING,
}


def window_refusals(round_: Round, received_at: datetime, what: str) -> list[Refusal]:
    """Inscriptions, amendments and withdrawals only while inscription is open."""
    window = deadline_for(round_, DeadlineCode.INSCRIPTION)
    if window.contains(received_at):
        return []
    return [_window_refusal(window, received_at, what)]


def deadline_refusal(
    round_: Round, deadline: DeadlineCode, refused: RefusalCode, what: str, received_at: datetime
) -> Refusal | None:
    """None when `what` arrived in time for the round's `deadline`, else why not: the rule,
    the seed section and the first instant out of time."""
    if deadline not in round_.deadlines:
        return Refusal(
            code=refused,
            text=f"Round {round_.id} has no deadline for this: no {what} is taken.",
            rule=round_.source.cite(),
        )
    window = deadline_for(round_, deadline)
    if window.contains(received_at):
        return None
    return Refusal(
        code=refused,
        text=f"{what} received {local(received_at).isoformat()}; taken until "
        f"{window.last_second.isoformat()} ({window.rule}).",
        rule=window.source.cite(),
        deadline=window.closes_at,
    )


def _window_refusal(window: Deadline, received_at: datetime, what: str) -> Refusal:
    received = local(received_at).isoformat()
    if window.opens_at is not None and received_at < window.opens_at:
        return Refusal(
            code=RefusalCode.INSCRIPTION_NOT_OPEN,
            text=f"{what} received {received}, before inscription opened at "
            f"{window.opens_at.isoformat()}.",
            rule=window.source.cite(),
            deadline=window.opens_at,
        )
    return Refusal(
        code=RefusalCode.INSCRIPTION_CLOSED,
        text=f"{what} received {received}; inscription closed after "
        f"{window.last_second.isoformat()} ({window.rule}).",
        rule=window.source.cite(),
        deadline=window.closes_at,
    )


def region_refusals(round_: Round, submission: SubmitInscription) -> list[Refusal]:
    """One inscription per Wlz-uitvoerder, naming only its regions (000_… 6)."""
    uitvoerder = round_.uitvoerder(submission.uitvoerder_code)
    if uitvoerder is None:
        known = ", ".join(u.code for u in round_.uitvoerders)
        return [
            Refusal(
                code=RefusalCode.UNKNOWN_UITVOERDER,
                text=f"Uitvoerder {submission.uitvoerder_code!r} takes no inscriptions in round "
                f"{round_.id}; known: {known}.",
                rule=round_.uitvoerders[0].source.cite(),
                field="uitvoerder_code",
            )
        ]
    refusals = []
    owners: dict[str, str] = {}
    for application in submission.regions:
        owner = round_.uitvoerder_of(application.region_code)
        if owner is not None:
            owners[application.region_code] = owner.code
        if owner is None or owner.code != uitvoerder.code:
            served_by = f"served by {owner.code}" if owner else "no region of this round"
            refusals.append(
                Refusal(
                    code=RefusalCode.REGION_NOT_SERVED,
                    text=f"Region {application.region_code!r} is {served_by}, not by "
                    f"{uitvoerder.code}.",
                    rule=uitvoerder.source.cite(),
                    field="regions",
                )
            )
    if len(set(owners.values())) > 1:
        refusals.append(
            Refusal(
                code=RefusalCode.REGIONS_OF_SEVERAL_UITVOERDERS,
                text="The regions belong to several uitvoerders ("
                + ", ".join(sorted(set(owners.values())))
                + "); inscribe separately with each.",
                rule=uitvoerder.source.cite(),
                field="regions",
            )
        )
    return refusals


def _applies(rule: RequiredDocument, submission: SubmitInscription) -> bool:
    if rule.only_for == "consortium":
        return bool(submission.consortium_members)
    if rule.only_for == "new_to_region":
        return any(application.new_to_region for application in submission.regions)
    return True


def document_refusals(round_: Round, submission: SubmitInscription, on: date) -> list[Refusal]:
    """Required documents present, young enough on the inscription date, and searchable."""
    refusals = []
    by_kind: dict[str, list[DocumentRef]] = {}
    for document in submission.documents:
        by_kind.setdefault(document.kind, []).append(document)
    for rule in round_.required_documents:
        if not _applies(rule, submission):
            continue
        submitted = by_kind.get(rule.kind, [])
        if not submitted:
            refusals.append(
                Refusal(
                    code=_MISSING_CODES.get(rule.kind, RefusalCode.DOCUMENT_MISSING),
                    text=f"Missing required document {rule.kind!r}: {rule.title}.",
                    rule=rule.source.cite(),
                    field="documents",
                )
            )
        for document in submitted:
            refusals += _document_defects(rule, document, on)
    return refusals


def _document_defects(rule: RequiredDocument, document: DocumentRef, on: date) -> list[Refusal]:
    defects = []
    if rule.max_age_months is not None:
        valid_until = add_period(document.issued_on, Period(months=rule.max_age_months))
        if valid_until < on:
            defects.append(
                Refusal(
                    code=RefusalCode.DOCUMENT_TOO_OLD,
                    text=f"{document.filename} ({rule.kind}) was issued on {document.issued_on}; "
                    f"it may be at most {rule.max_age_months} months old on {on}.",
                    rule=rule.source.cite(),
                    field="documents",
                )
            )
    if rule.searchable and not document.searchable:
        defects.append(
            Refusal(
                code=RefusalCode.DOCUMENT_NOT_SEARCHABLE,
                text=f"{document.filename} ({rule.kind}) is a scan; documents must be digital "
                "and searchable.",
                rule=rule.source.cite(),
                field="documents",
            )
        )
    return defects


def inscription_refusals(
    round_: Round, submission: SubmitInscription, received_at: datetime
) -> list[Refusal]:
    """Every reason to refuse this submission, received by the broker at `received_at`."""
    return (
        window_refusals(round_, received_at, "Inscription")
        + region_refusals(round_, submission)
        + document_refusals(round_, submission, local(received_at).date())
    )
