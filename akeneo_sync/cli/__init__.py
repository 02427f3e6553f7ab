"""The ``akeneo-sync`` command line: ``commands`` (click), ``console`` (progress, summary)."""

from akeneo_sync.cli.commands import cli, main

__all__ = ["cli", "main"]
