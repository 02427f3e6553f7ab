"""The run history: one entry per run, kept in the destination beside the state.

    {"seq": 42, "kind": "sync", "mode": "incremental", "outcome": "ok",
     "started_at": "...", "finished_at": "...", "seconds": 3.2,
     "written": {"products": 12}, "deleted": {}, "requests": 14, "retries": 0, "throttled": 0,
     "error": null,
     "totals": {"runs": {"ok": 40, "failed": 2}, "written": {...}, "deleted": {...},
                "requests": 5120, "retries": 3, "throttled": 0}}

The state says where the next run starts; the history says how the runs went, so it also holds
the runs that failed, whose data and state were rolled back: ``RunContext`` records a run after
its commit, or after the rollback. Each sink keeps the entries in its state's own storage
(``Sink.record_run``: a table, a collection, a JSONL file) and only the last ``KEEP_RUNS``.

``totals`` add this entry to the previous one's, so the Prometheus counters of the status page
(``status/metrics.py``) never go down when old entries are dropped. Written and deleted counts
of a failed run are in its entry (what it did before failing) but not in the totals: they were
rolled back (to its last checkpoint, for a full run into a database).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from akeneo_sync.client import AkeneoClient
from akeneo_sync.run.options import Report
from akeneo_sync.sinks.base import Sink

Entry = dict[str, Any]
OUTCOMES = ("ok", "failed", "interrupted")
KINDS = ("export", "sync", "events")

# ``scheme://user:secret@host``: whatever an error line quotes, its password is masked.
_CREDENTIALS = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)


def outcome(error: BaseException | None, interrupted: bool) -> str:
    """``ok``, ``interrupted`` (a stop signal: what was read is committed, or a second signal
    aborted) or ``failed``."""
    if error is None:
        return "interrupted" if interrupted else "ok"
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return "interrupted"
    return "failed"


def error_line(error: BaseException | None) -> str | None:
    """The one line the CLI prints for ``error``, any URL's password masked."""
    if error is None:
        return None
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return _CREDENTIALS.sub(r"\g<head>***@", line)


class RunClock:
    """When a run started and where the client's counters stood then: a client may serve
    several runs (``listen``'s event batches), the entry counts only this one's requests."""

    def __init__(self, client: AkeneoClient) -> None:
        self.client = client
        self.started = datetime.now(UTC)
        stats = client.stats
        self._base = (stats.requests, stats.retries, stats.throttled)

    def entry(
        self,
        kind: str,
        report: Report,
        written: Mapping[str, int],
        error: BaseException | None,
    ) -> Entry:
        finished = datetime.now(UTC)
        stats = self.client.stats
        requests, retries, throttled = (
            now - then
            for now, then in zip(
                (stats.requests, stats.retries, stats.throttled), self._base, strict=True
            )
        )
        return {
            "kind": kind,
            "mode": report.mode,
            "outcome": outcome(error, report.interrupted),
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": finished.isoformat(timespec="seconds"),
            "seconds": round((finished - self.started).total_seconds(), 3),
            "written": dict(written),
            "deleted": dict(report.deleted),
            "requests": requests,
            "retries": retries,
            "throttled": throttled,
            "error": error_line(error),
        }


def with_totals(entry: Mapping[str, Any], previous: Mapping[str, Any] | None) -> Entry:
    """``entry`` numbered after ``previous`` (the newest stored entry), with running totals."""
    before: Mapping[str, Any] = (previous or {}).get("totals") or {}
    totals: dict[str, Any] = {
        "runs": dict(before.get("runs") or {}),
        "written": dict(before.get("written") or {}),
        "deleted": dict(before.get("deleted") or {}),
    }
    result = entry["outcome"]
    totals["runs"][result] = int(totals["runs"].get(result, 0)) + 1
    if result != "failed":  # a failed run's writes were rolled back
        for part in ("written", "deleted"):
            for name, count in (entry.get(part) or {}).items():
                totals[part][name] = int(totals[part].get(name, 0)) + int(count)
    for counter in ("requests", "retries", "throttled"):
        totals[counter] = int(before.get(counter, 0)) + int(entry.get(counter) or 0)
    seq = int((previous or {}).get("seq", 0)) + 1
    return {"seq": seq, **entry, "totals": totals}


def record(sink: Sink, entry: Mapping[str, Any]) -> Entry:
    """Number ``entry``, add the totals, and keep it in ``sink`` (on the sink's thread)."""
    newest = sink.runs(1)
    full = with_totals(entry, newest[0] if newest else None)
    sink.record_run(full)
    return full


def last_success(runs: Sequence[Mapping[str, Any]], state: Mapping[str, Any] | None) -> str | None:
    """When the newest successful run finished (``runs`` newest first); for a destination
    synced before the history existed, the state's last run."""
    for run in runs:
        if run.get("outcome") == "ok":
            return str(run.get("finished_at"))
    last = (state or {}).get("last_run") or {}
    if last.get("finished_at") and not last.get("interrupted"):
        return str(last["finished_at"])
    return None
