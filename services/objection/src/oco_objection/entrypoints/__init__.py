"""Entry points of objection: the table of subjects and the CLI."""
