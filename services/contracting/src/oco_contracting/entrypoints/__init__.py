"""Entry points of contracting: the table of subjects and the CLI."""
