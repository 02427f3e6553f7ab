"""What a run is asked to do, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from akeneo_sync import resources as res
from akeneo_sync.extract import Filters

Deletes = Literal["soft", "hard", "ignore"]


@dataclass
class ExportOptions:
    filters: Filters = field(default_factory=Filters)
    resources: tuple[str, ...] = tuple(r.name for r in res.ALL)
    labels: str | None = None
    """Resolve option labels, category paths, family and record labels in this locale."""
    values_table: bool | None = None
    """SQL databases: keep the long ``product_values`` table (True) or leave it out, storing the
    documents only (False); None: as the destination has it (kept, unless a run left it out)."""
    media_dir: Path | None = None
    batch_size: int = 500
    queue_pages: int = 16
    checkpoint_every: int = 10_000
    """Products between two mid-run commits of a full run (on sinks that commit cheaply)."""
    overlap: timedelta = timedelta(minutes=5)
    """How far before the last run's start the next incremental run looks (index lag, skew)."""
    deletes: Deletes = "soft"
    replace: bool = False
    """Into a destination that mirrors another Akeneo or connection: replace its content (a full
    run; what the other source wrote is deleted) instead of stopping."""
    reconcile_every: int | timedelta = timedelta(hours=1)
    """Re-read and diff the reference data when its last whole read is this old, or every Nth
    incremental run (an int; 0: never). Deleted products and models are looked for every run."""


@dataclass
class Report:
    """What a run (or one step of it) did. Steps return one; the runner adds them up."""

    mode: str = "full"
    counts: dict[str, int] = field(default_factory=dict)
    """Documents written per resource."""
    deleted: dict[str, int] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    """Per resource, how it was read: full, incremental, re-read and diffed."""
    state: dict[str, Any] = field(default_factory=dict)
    """What the step asks the next state to remember (``reconciled_at``, ...)."""
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    media_files: int = 0
    media_skipped: int = 0
    """Media files that could not be downloaded (logged one by one); the run still succeeds."""
    seconds: float = 0.0
    interrupted: bool = False

    def add(self, other: Report) -> Report:
        """Take in a step's report: its ``how`` and ``state`` win, deletions add up."""
        self.how.update(other.how)
        self.state.update(other.state)
        for name, count in other.deleted.items():
            self.deleted[name] = self.deleted.get(name, 0) + count
        return self
