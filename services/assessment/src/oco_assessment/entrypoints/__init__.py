"""Entry points of assessment: the table of subjects and the CLI."""
