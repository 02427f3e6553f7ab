"""The ``akeneo-sync`` command line: ``commands`` (click), ``events`` (``listen`` and ``events``,
built on the helpers of ``commands``), ``status`` (``state`` and ``status``), ``console``
(progress, summary)."""

from akeneo_sync.cli import events as _events  # noqa: F401  (registers its commands on ``cli``)
from akeneo_sync.cli import status as _status  # noqa: F401  (registers state and status)
from akeneo_sync.cli.commands import cli, main

__all__ = ["cli", "main"]
