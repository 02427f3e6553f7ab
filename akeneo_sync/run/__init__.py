"""The runner: one run of an export or a sync into a sink (``runner.execute``), its options and
its report. ``context`` holds what a run shares; ``full``, ``incremental`` and ``deletions`` are
its steps; ``state`` is the run state stored in the destination."""

from akeneo_sync.run.options import Deletes, ExportOptions, Report
from akeneo_sync.run.pipeline import NoProgress, Progress
from akeneo_sync.run.runner import execute, export, sync

__all__ = [
    "Deletes",
    "ExportOptions",
    "NoProgress",
    "Progress",
    "Report",
    "execute",
    "export",
    "sync",
]
