"""The CloudNativePG cluster: three instances, synchronous replication, backups, and the
roles of `oco_shared.roles` as managed roles. The roles' privileges are tested on a real
PostgreSQL in libs/shared/tests/integration/test_roles.py; here, that the cluster declares
those very roles, and that the migration Job's way (roles made by the operator, schemas
and grants by `oco roles --schemas-only`) leaves the same privileges."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from deploy_support import K8S, SERVICES, env_of, kustomize, named
from oco_shared.eventstore import EventStore, NewEvent
from oco_shared.roles import (
    AUDITOR,
    CNPG_ATTRIBUTES,
    ROLE_ATTRIBUTES,
    cnpg_managed_roles,
    drop_roles,
    password_secret,
    provision_schemas,
    role_name,
)
from plumbing_support import Isolation, Servers
from probe_service import PROBE, SOURCE, probe_event
from psycopg import errors, sql


@pytest.fixture(scope="module")
def postgres() -> list[dict[str, Any]]:
    return kustomize(K8S / "postgres")


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return kustomize(K8S / "overlays" / "production")


def test_the_cluster_declares_the_generated_roles(postgres: list[dict[str, Any]]) -> None:
    cluster = named(postgres, "Cluster", "oco-pg")
    assert cluster["spec"]["managed"]["roles"] == cnpg_managed_roles("oco_", SERVICES)
    names = {role["name"] for role in cluster["spec"]["managed"]["roles"]}
    assert names == {role_name("oco_", name) for name in (*SERVICES, AUDITOR)}


def test_the_managed_attributes_are_those_provision_roles_sets() -> None:
    as_sql = {
        key: (key.upper() if value else f"NO{key.upper()}")
        for key, value in CNPG_ATTRIBUTES.items()
    }
    assert set(as_sql.values()) == set(ROLE_ATTRIBUTES.split())


def test_three_instances_replicating_synchronously_with_backups(
    postgres: list[dict[str, Any]],
) -> None:
    spec = named(postgres, "Cluster", "oco-pg")["spec"]
    assert spec["instances"] == 3
    synchronous = spec["postgresql"]["synchronous"]
    assert synchronous["number"] >= 1 and synchronous["dataDurability"] == "required"
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    store = spec["backup"]["barmanObjectStore"]
    assert "BACKUP_BUCKET" in store["destinationPath"]  # a placeholder, replaced per site
    assert store["wal"] and store["data"]
    backup = named(postgres, "ScheduledBackup", "oco-pg-daily")["spec"]
    assert backup["cluster"]["name"] == "oco-pg"


def test_the_services_and_the_migration_reach_this_cluster(
    postgres: list[dict[str, Any]], production: list[dict[str, Any]]
) -> None:
    cluster = named(postgres, "Cluster", "oco-pg")
    settings = named(production, "ConfigMap", "oco-settings")["data"]
    assert settings["DATABASE_HOST"] == f"{cluster['metadata']['name']}-rw"
    assert settings["DATABASE_NAME"] == cluster["spec"]["bootstrap"]["initdb"]["database"]
    # The migration hands schemas over as the superuser, whose Secret the operator makes.
    assert cluster["spec"]["enableSuperuserAccess"] is True
    job = named(production, "Job", "oco-migrate")["spec"]["template"]["spec"]["containers"][0]
    secret = env_of(job)["DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"]
    assert secret == f"{cluster['metadata']['name']}-superuser"
    secrets = {role["passwordSecret"]["name"] for role in cluster["spec"]["managed"]["roles"]}
    assert secrets == {password_secret(name) for name in (*SERVICES, AUDITOR)}


# As the migration Job does it, on a real PostgreSQL.

NAMES = (PROBE, SOURCE)


def as_role(servers: Servers, role: str) -> str:
    parts = urlsplit(servers.database_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:pw-{role}@{host}"))


@pytest.fixture
def operator_roles(servers: Servers, isolation: Isolation) -> Iterator[str]:
    """The roles as CloudNativePG makes them from the managed roles: login, no schema."""
    prefix = isolation.schema_prefix
    with psycopg.connect(servers.database_url, autocommit=True) as db:
        for role in cnpg_managed_roles(prefix, NAMES):
            db.execute(
                sql.SQL("CREATE ROLE {} PASSWORD {} " + ROLE_ATTRIBUTES).format(
                    sql.Identifier(role["name"]), sql.Literal(f"pw-{role['name']}")
                )
            )
    yield prefix
    drop_roles(servers.database_url, prefix, NAMES)


@pytest.mark.integration
def test_the_migration_job_leaves_each_schema_to_its_role_and_readable_by_the_auditor(
    servers: Servers, operator_roles: str
) -> None:
    prefix = operator_roles
    probe, source, auditor = (role_name(prefix, n) for n in (PROBE, SOURCE, AUDITOR))
    for role in (probe, source):  # `oco migrate`, as the superuser
        admin_store = EventStore(servers.database_url, role)
        admin_store.migrate()
        admin_store.close()
    provision_schemas(servers.database_url, prefix, NAMES)  # `oco roles --schemas-only`
    provision_schemas(servers.database_url, prefix, NAMES)  # and again: nothing changes

    store = EventStore(as_role(servers, probe), probe)
    store.migrate()
    store.append([NewEvent(uuid.uuid4(), 1, probe_event())])
    store.close()
    count = sql.SQL("SELECT count(*) FROM {}.stored_events").format(sql.Identifier(probe))
    with psycopg.connect(as_role(servers, auditor), autocommit=True) as db:
        assert db.execute(count).fetchone() == (1,)
        with pytest.raises(errors.InsufficientPrivilege):
            db.execute(sql.SQL("DELETE FROM {}.stored_events").format(sql.Identifier(probe)))
    with (
        psycopg.connect(as_role(servers, source), autocommit=True) as db,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        db.execute(count)
    with psycopg.connect(servers.database_url, autocommit=True) as db:
        owners = db.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = %s", (probe,)
        ).fetchall()
    assert owners == [(probe,)]
