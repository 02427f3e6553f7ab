"""The run state stored in the destination: cursors, the reconcile cadence and the resume point.

    {"version": 1,
     "cursors": {"products": "2024-05-01 08:55:00", ...},   # per resource, naive UTC
     "runs": 12, "runs_since_reconcile": 3,
     "reference_read_at": "...", "reconciled_at": "...",
     "last_run": {"mode": ..., "started_at": ..., "counts": {...}, "deleted": {...}},
     "resume": {"kind": "full", "started_at": ..., "marks": {...}, "positions": {...}}}

A cursor is when that resource's query started in the run that read it, minus the overlap, never
the largest ``updated`` seen (variants come back because a parent changed while keeping their own
older ``updated``; Akeneo's search index also lags writes). ``resume`` is there only while a
full run is unfinished: how far each of its product cursors got.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from akeneo_sync import resources as res
from akeneo_sync.client.search import akeneo_datetime
from akeneo_sync.run.options import ExportOptions, Report

STATE_VERSION = 1
STREAMED = frozenset({"products", "product_models", "assets"})
"""Resources that an incremental run reads by their cursor: each needs one."""


def stored_cursors(state: Mapping[str, Any]) -> dict[str, str]:
    """Per resource cursors of a state (a single ``cursor`` of older states counts for all)."""
    cursors = dict(state.get("cursors") or {})
    if not cursors and state.get("cursor"):
        cursors = {r.name: state["cursor"] for r in res.ALL}
    return cursors


def can_run_incrementally(state: Mapping[str, Any], wanted: Collection[str]) -> bool:
    """Every streamed resource of this run has a cursor (it was fully read before)."""
    cursors = stored_cursors(state)
    return bool(cursors) and STREAMED & set(wanted) <= set(cursors)


def unfinished_full(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    resume = state.get("resume")
    return resume if resume and resume.get("kind") == "full" else None


def reconcile_due(state: Mapping[str, Any], options: ExportOptions, started: datetime) -> bool:
    """Whether this run re-reads and diffs the reference data (labels, deleted options...)."""
    every = options.reconcile_every
    if isinstance(every, timedelta):
        last = state.get("reference_read_at")
        return last is None or started - datetime.fromisoformat(last) >= every
    if every <= 0:
        return False
    return int(state.get("runs_since_reconcile", 0)) + 1 >= every


@dataclass
class Marks:
    """When this run's queries started, and how far each product cursor of a full run got."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    queried: dict[str, datetime] = field(default_factory=dict)
    """Per resource: when this run's query of it started (its next cursor, minus overlap)."""
    positions: dict[str, dict[str, str | None]] = field(default_factory=dict)
    """Per resource and partition of a full run: the next page to read, None once done."""

    def mark(self, name: str) -> None:
        """``name``'s query starts now: what changes from here on, the next run reads."""
        self.queried.setdefault(name, datetime.now(UTC))

    @classmethod
    def resumed(cls, resume: Mapping[str, Any]) -> Marks:
        return cls(
            started=datetime.fromisoformat(resume["started_at"]),
            queried={k: datetime.fromisoformat(v) for k, v in resume.get("marks", {}).items()},
            positions={k: dict(v) for k, v in resume.get("positions", {}).items()},
        )

    def resume_state(self) -> dict[str, Any]:
        return {
            "kind": "full",
            "started_at": self.started.isoformat(),
            "marks": {k: v.isoformat() for k, v in self.queried.items()},
            "positions": {k: dict(v) for k, v in self.positions.items()},
        }

    def cursors(
        self, previous: Mapping[str, Any], chosen: Collection[str], overlap: timedelta
    ) -> dict[str, str]:
        cursors = stored_cursors(previous)
        for name in chosen:
            cursors[name] = akeneo_datetime(self.queried.get(name, self.started) - overlap)
        return cursors


def checkpoint_state(previous: Mapping[str, Any], marks: Marks) -> dict[str, Any]:
    """The state a mid-run checkpoint of a full run commits: the old one plus the resume point."""
    return {**previous, "version": STATE_VERSION, "resume": marks.resume_state()}


def final_state(
    previous: Mapping[str, Any],
    report: Report,
    marks: Marks,
    chosen: Collection[str],
    options: ExportOptions,
    *,
    light: bool,
) -> dict[str, Any]:
    """The state committed with the last data of a run."""
    state = {k: v for k, v in previous.items() if k not in ("resume", "cursor")}
    state.update(report.state)
    state["version"] = STATE_VERSION
    state["last_run"] = {
        "mode": report.mode,
        "started_at": marks.started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "counts": dict(report.counts),
        "deleted": dict(report.deleted),
    }
    if report.interrupted:
        # Not everything was read: keep the old cursor, and how far a full run got.
        state["last_run"]["interrupted"] = True
        if marks.positions:
            state["resume"] = marks.resume_state()
    else:
        state["cursors"] = marks.cursors(previous, chosen, options.overlap)
        state["runs"] = int(previous.get("runs", 0)) + 1
        if not light:
            state["reference_read_at"] = marks.started.isoformat()
    return state
