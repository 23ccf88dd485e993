"""The fixtures of the audit suites (in `audit_support`, beside the types they yield)."""

from audit_support import auditor_roles, intake_log, round_log

__all__ = ["auditor_roles", "intake_log", "round_log"]
