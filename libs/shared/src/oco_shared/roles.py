"""PostgreSQL roles: one login role per service owning only its own schema, and a
read-only auditor.

Run by an administrator (`oco roles`), before the services start. A service connects
as its role: it can create and write the tables of its own schema and nothing else (no
superuser, no CREATEDB, no CREATEROLE, no other schema). The auditor may read every
service schema, including tables created later, and write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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
    services = tuple(services)
    with psycopg.connect(admin_url, autocommit=True) as db:
        _login_role(db, role_name(schema_prefix, AUDITOR), passwords[AUDITOR])
        for service in services:
            _login_role(db, role_name(schema_prefix, service), passwords[service])
    provision_schemas(admin_url, schema_prefix, services)


def provision_schemas(admin_url: str, schema_prefix: str, services: Iterable[str]) -> None:
    """Give each service's existing role its own schema, hand over what another user made
    in it, and let the auditor read it: the part of `provision_roles` that remains where
    the roles themselves are managed elsewhere (CloudNativePG). Safe to run again."""
    auditor = role_name(schema_prefix, AUDITOR)
    with psycopg.connect(admin_url, autocommit=True) as db:
        for service in services:
            role = role_name(schema_prefix, service)
            schema = sql.Identifier(role)
            db.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                    schema, sql.Identifier(role)
                )
            )
            db.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, sql.Identifier(role)))
            _hand_over(db, role, role)
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


# The attributes every role gets, in SQL (`_login_role`) and as CloudNativePG declares them.
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
CNPG_ATTRIBUTES = {
    "login": True,
    "superuser": False,
    "createdb": False,
    "createrole": False,
    "inherit": False,
}


def password_secret(name: str) -> str:
    """The Kubernetes Secret (`kubernetes.io/basic-auth`: `username`, `password`) of the
    role of a service, or of the auditor."""
    return f"oco-db-{name}"


def cnpg_managed_roles(schema_prefix: str, services: Iterable[str]) -> list[dict[str, Any]]:
    """The roles as CloudNativePG managed roles (`Cluster.spec.managed.roles`): the same
    names and attributes as `provision_roles`, each password from its Secret. The schemas
    and grants follow from `provision_schemas` (the migration Job)."""
    return [
        {
            "name": role_name(schema_prefix, name),
            "ensure": "present",
            **CNPG_ATTRIBUTES,
            "connectionLimit": -1,
            "passwordSecret": {"name": password_secret(name)},
        }
        for name in (*services, AUDITOR)
    ]


def _login_role(db: psycopg.Connection[Any], role: str, password: str) -> None:
    exists = db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    statement = sql.SQL(f"{verb} ROLE {{}} PASSWORD {{}} {ROLE_ATTRIBUTES}")
    db.execute(statement.format(sql.Identifier(role), sql.Literal(password)))


# What an earlier start made as another user in a service's schema becomes its role's:
# tables (with their sequences and indexes), standalone composite types and functions.
_OWNED_ELSEWHERE = """
SELECT format('ALTER TABLE %%I.%%I OWNER TO %%I', n.nspname, c.relname, %(role)s::text)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v')
   AND pg_get_userbyid(c.relowner) <> %(role)s
UNION ALL
SELECT format('ALTER TYPE %%I.%%I OWNER TO %%I', n.nspname, t.typname, %(role)s::text)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  JOIN pg_class c ON c.oid = t.typrelid
 WHERE n.nspname = %(schema)s AND c.relkind = 'c' AND pg_get_userbyid(t.typowner) <> %(role)s
UNION ALL
SELECT format('ALTER FUNCTION %%I.%%I(%%s) OWNER TO %%I', n.nspname, p.proname,
              pg_get_function_identity_arguments(p.oid), %(role)s::text)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = %(schema)s AND pg_get_userbyid(p.proowner) <> %(role)s
"""


def _hand_over(db: psycopg.Connection[Any], schema: str, role: str) -> None:
    statements = db.execute(_OWNED_ELSEWHERE, {"schema": schema, "role": role}).fetchall()
    for (statement,) in statements:  # each quoted by the server's format(%I)
        db.execute(statement)


def drop_roles(admin_url: str, schema_prefix: str, services: Iterable[str]) -> None:
    """Remove the roles (and what they own): for tests and for tearing down a rehearsal."""
    with psycopg.connect(admin_url, autocommit=True) as db:
        for name in (*services, AUDITOR):
            role = role_name(schema_prefix, name)
            if db.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                db.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(role)))
                db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
