"""PostgreSQL roles: one login role per service owning only its own schema, and a
read-only auditor.

Run by an administrator (`oco roles`), before the services start. A service connects
as its role: it can create and write the tables of its own schema and nothing else (no
superuser, no CREATEDB, no CREATEROLE, no other schema). The auditor may read every
service schema, including tables created later, and write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import psycopg
from psycopg import sql

AUDITOR = "auditor"


def role_name(schema_prefix: str, service: str) -> str:
    """A service's role has the name of its schema: prefix + service."""
    return f"{schema_prefix}{service}"


def provision_roles(
    admin_url: str,
    schema_prefix: str,
    services: Iterable[str],
    passwords: Mapping[str, str],
) -> None:
    """Create (or update) the roles and schemas; `passwords` by service and `auditor`."""
    auditor = role_name(schema_prefix, AUDITOR)
    with psycopg.connect(admin_url, autocommit=True) as db:
        _login_role(db, auditor, passwords[AUDITOR])
        for service in services:
            role = role_name(schema_prefix, service)
            schema = sql.Identifier(role)
            _login_role(db, role, passwords[service])
            db.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                    schema, sql.Identifier(role)
                )
            )
            db.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, sql.Identifier(role)))
            db.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
            db.execute(
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, sql.Identifier(auditor))
            )
            db.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                    schema, sql.Identifier(auditor)
                )
            )
            db.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
                ).format(sql.Identifier(role), schema, sql.Identifier(auditor))
            )


def _login_role(db: psycopg.Connection[object], role: str, password: str) -> None:
    exists = db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    statement = sql.SQL(
        "ALTER ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
        if exists
        else "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
    )
    db.execute(statement.format(sql.Identifier(role), sql.Literal(password)))


def drop_roles(admin_url: str, schema_prefix: str, services: Iterable[str]) -> None:
    """Remove the roles (and what they own): for tests and for tearing down a rehearsal."""
    with psycopg.connect(admin_url, autocommit=True) as db:
        for name in (*services, AUDITOR):
            role = role_name(schema_prefix, name)
            if db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                db.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(role)))
                db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
