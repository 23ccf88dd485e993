"""The audit suites' fixtures: real logs to audit, made by the services themselves on a
rehearsal clock of the 2027-2028 round, read afterwards as the auditor's roles.

- `intake_log`: portals send five inscriptions in time and one after the close, the
  chain head is checkpointed, and the relay publishes it all;
- `round_log`: intake, assessment, objection and contracting together: three
  inscriptions, then the office fixes the places, assesses and scores every party, and
  publishes the selection; the rejected party objects, is answered, and reports a kort
  geding, all in time; once the windows have closed, in October, the office signs with
  both selected parties and sets their ceilings for 2027."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit, urlunsplit

import nats
import pytest
from assessment_support import all_verdicts, scores
from intake_support import submission
from oco_assessment.bootstrap import bootstrap as assessment
from oco_contracting.bootstrap import bootstrap as contracting
from oco_intake.bootstrap import bootstrap
from oco_objection.bootstrap import bootstrap as objection
from oco_shared.addresses import embedded_user_url
from oco_shared.authority import AUDITOR
from oco_shared.messaging.checkpoint import ChainCheckpointer
from oco_shared.messaging.topology import SERVICES
from oco_shared.roles import drop_roles, provision_roles, role_name
from oco_shared.rounds import load_round
from oco_shared.settings import Settings
from plumbing_support import Isolation, Servers, projected, stream_count, stream_documents

OCO = [sys.executable, "-m", "oco_shared.cli"]
PASSWORDS = {name: f"{name}-pw" for name in (*SERVICES, AUDITOR)}


@dataclass(frozen=True)
class AuditedLog:
    servers: Servers
    isolation: Isolation
    env: dict[str, str]  # the auditor's: its PostgreSQL role and broker user
    received: list[dict[str, object]]  # what the portals sent, in order

    @property
    def schema(self) -> str:
        return f"{self.isolation.schema_prefix}intake"

    def audit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*OCO, "audit", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def oco(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([*OCO, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def as_role(database_url: str, role: str, password: str) -> str:
    parts = urlsplit(database_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


@pytest.fixture
def auditor_roles(servers: Servers, isolation: Isolation) -> Iterator[str]:
    yield role_name(isolation.schema_prefix, AUDITOR)
    drop_roles(servers.database_url, isolation.schema_prefix, SERVICES)


@pytest.fixture
async def intake_log(
    servers: Servers, isolation: Isolation, auditor_roles: str
) -> AsyncIterator[AuditedLog]:
    env = isolation.env(servers)
    oco(env, "rehearse", "start", "--round", "2027-2028", "--rate", "1000")
    service = bootstrap(isolation.settings(servers, rehearsal=True))
    await service.start()
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    stream = isolation.topology.service_stream("intake")
    sent = []
    try:

        async def send(count: int) -> None:
            for _ in range(count):
                message = submission(f"1000000{len(sent)}")
                sent.append(message)
                await js.publish(
                    isolation.topology.portal_subject("inscription"),
                    json.dumps(message).encode(),
                    stream=isolation.topology.portal_stream,
                    headers={"Nats-Msg-Id": str(message["message_id"])},
                )
            await published(js, stream, len(sent))

        await send(5)
        oco(env, "rehearse", "advance", "--to", "2026-08-01T09:00")  # past the close
        await send(1)
        assert ChainCheckpointer(service.store, "intake").checkpoint() is not None
        await published(js, stream, 7)
    finally:
        await connection.close()
        await service.stop()
        oco(env, "rehearse", "stop")
    yield AuditedLog(servers, isolation, auditor_env(servers, isolation, auditor_roles), sent)


async def published(js: nats.js.JetStreamContext, stream: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while await stream_count(js, stream) < count:
        assert time.monotonic() < deadline, f"{stream} did not reach {count} events"
        await asyncio.sleep(0.05)


def auditor_env(servers: Servers, isolation: Isolation, role: str) -> dict[str, str]:
    provision_roles(servers.database_url, isolation.schema_prefix, SERVICES, PASSWORDS)
    return isolation.env(
        servers,
        OCO_DATABASE_URL=as_role(servers.database_url, role, PASSWORDS[AUDITOR]),
        OCO_NATS_URL=embedded_user_url(Settings(), AUDITOR) or servers.nats_url,
    )


def act(type_name: str, **fields: object) -> dict[str, object]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": type_name,
        "schema_version": 1,
        "round_id": "2027-2028",
        "sent_at": "2026-08-03T09:00:00+02:00",
        "actor": {"kind": "zorgkantoor", "id": "assessor@zorgkantoor"},
        "region_code": "amsterdam",
        **fields,
    }


def objection_message(type_name: str, actor: dict[str, str], **fields: object) -> dict[str, object]:
    return {
        "message_id": str(uuid.uuid4()),
        "type": type_name,
        "schema_version": 1,
        "round_id": "2027-2028",
        "sent_at": "2026-08-04T09:00:00+02:00",
        "actor": actor,
        **fields,
    }


def objected(provider: str) -> dict[str, object]:
    """A party's objection through its portal, on the channel its outcome named."""
    uitvoerder = load_round("2027-2028").uitvoerder_of("amsterdam")
    assert uitvoerder is not None
    return objection_message(
        "SubmitObjection",
        {"kind": "provider", "id": provider},
        provider_id=provider,
        region_code="amsterdam",
        channel=uitvoerder.email or uitvoerder.name,
        grounds="De ervaring in de regio is onjuist gewogen.",
    )


def answered(objection_id: str) -> dict[str, object]:
    return objection_message(
        "AnswerObjection",
        {"kind": "zorgkantoor", "id": "jurist@zorgkantoor"},
        objection_id=objection_id,
        decision="dismissed",
        answer="Het bezwaar is ongegrond: de ervaring is juist gewogen.",
    )


def kort_geding(provider: str, objection_id: str, summoned_on: date) -> dict[str, object]:
    return objection_message(
        "ReportKortGeding",
        {"kind": "provider", "id": provider},
        provider_id=provider,
        region_code="amsterdam",
        objection_id=objection_id,
        court="Rechtbank Den Haag",
        case_number="C/09/700001 KG ZA 26-1001",
        summoned_on=str(summoned_on),
    )


@pytest.fixture
async def round_log(
    servers: Servers, isolation: Isolation, auditor_roles: str
) -> AsyncIterator[AuditedLog]:
    env = isolation.env(servers)
    topology = isolation.topology
    oco(env, "rehearse", "start", "--round", "2027-2028", "--rate", "100")
    services = [
        start(isolation.settings(servers, rehearsal=True))
        for start in (bootstrap, assessment, objection, contracting)
    ]
    for service in services:
        await service.start()
    connection = await nats.connect(servers.nats_url)
    js = connection.jetstream()
    providers = {"10000001": (3, 3, 3), "10000002": (2, 2, 2), "10000003": (1, 1, 1)}
    sent = []

    async def publish(subject: str, stream: str, message: dict[str, object]) -> None:
        await js.publish(
            subject,
            json.dumps(message).encode(),
            stream=stream,
            headers={"Nats-Msg-Id": str(message["message_id"])},
        )

    try:
        for provider in providers:
            sent.append(submission(provider))
            await publish(topology.portal_subject("inscription"), topology.portal_stream, sent[-1])
        await published(js, topology.service_stream("assessment"), len(providers))
        oco(env, "rehearse", "advance", "--to", "2026-08-03T10:00")
        office = topology.office_subject("zilveren-kruis", "assessment")
        acts = [act("SetRegionPlaces", places=2, motivation="Twee aanbieders volstaan.")]
        for provider, values in providers.items():
            acts.append(
                act(
                    "AssessSuitability",
                    provider_id=provider,
                    verdicts=all_verdicts("2027-2028"),
                )
            )
            acts.append(
                act("ScoreCriteria", provider_id=provider, scores=scores("2027-2028", *values))
            )
        acts.append(act("PublishSelection", provisional_budget_ceiling="125000.00"))
        for message in acts:
            await publish(office, topology.office_stream, message)
        # Cases, places, verdicts and assessments, scores, and the publication.
        await published(js, topology.service_stream("assessment"), 3 + 1 + 3 * 3 + 1)
        # The rejected party objects in time, is answered, and goes to court in time.
        objections = topology.service_stream("objection")
        await published(js, objections, 3)  # a window per party
        await publish(
            topology.portal_subject("objection"), topology.portal_stream, objected("10000003")
        )
        await published(js, objections, 4)
        filed = json.loads((await js.get_msg(objections, 4)).data)
        assert filed["type"] == "ObjectionFiled", filed
        await publish(
            topology.office_subject("zilveren-kruis", "objection"),
            topology.office_stream,
            answered(filed["objection_id"]),
        )
        await published(js, objections, 5)
        answer = json.loads((await js.get_msg(objections, 5)).data)
        assert answer["type"] == "ObjectionAnswered", answer
        summoned = datetime.fromisoformat(answer["occurred_at"]).date()
        await publish(
            topology.portal_subject("objection"),
            topology.portal_stream,
            kort_geding("10000003", filed["objection_id"], summoned),
        )
        await published(js, objections, 6)
        # On to the contracting month: the objection service's ticker closes each party's
        # window, the region's, and the kort geding's term; contracting notes the region's.
        oco(env, "rehearse", "advance", "--to", "2026-10-19T10:00")
        await published(js, objections, 6 + 3 + 1 + 1)
        contracts = topology.service_stream("contracting")
        # The parties, the selection, the objection, its answer, the kort geding, the closing.
        await published(js, contracts, 3 + 1 + 4)
        # The office signs with both selected parties and sets their ceilings for 2027;
        # 2028's stay the selection's provisional ones.
        office = topology.office_subject("zilveren-kruis", "contracting")
        october = "2026-10-19T10:00:00+02:00"
        for provider in ("10000001", "10000002"):
            signing = act("SignContract", provider_id=provider, new_to_oco=False, sent_at=october)
            await publish(office, topology.office_stream, signing)
        ceilings = {"10000001": "130000.00", "10000002": "110000.00"}
        budget = act(
            "SetBudgetCeilings",
            year=2027,
            region_budget="240000.00",
            ceilings=[{"provider_id": p, "amount": amount} for p, amount in ceilings.items()],
            sent_at=october,
        )
        await publish(office, topology.office_stream, budget)
        await published(js, contracts, 8 + 2 + 2)
        decided = await stream_documents(js, contracts, topology.service_subjects("contracting"))
        assert [e["type"] for e in decided[8:]] == ["ContractSigned"] * 2 + ["BudgetCeilingSet"] * 2
        await projected(servers, isolation, "contracting", "BudgetCeilingSet")
    finally:
        await connection.close()
        for service in services:
            await service.stop()
        oco(env, "rehearse", "stop")
    yield AuditedLog(servers, isolation, auditor_env(servers, isolation, auditor_roles), sent)
