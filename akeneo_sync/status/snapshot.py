"""What a destination says about its syncs, read without touching it: its state (cursors, last
run) and its run history, and what follows from them (lag, last success, health).

Read-only by construction: a destination is only ever asked ``exists``, ``read_state`` and
``runs``; nothing is opened for writing, no lock is taken, so ``akeneo-sync state`` and the
status page can look at a destination while a run writes it, and never create one (a typo in
``--to`` says "no such destination").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from akeneo_sync.errors import SinkError
from akeneo_sync.run.history import last_success
from akeneo_sync.run.state import stored_cursors
from akeneo_sync.sinks import open_sink
from akeneo_sync.sinks.base import Sink


def open_readonly(destination: str, *, format: str | None = None, table_prefix: str = "") -> Sink:
    """The sink of ``destination``, to read from only; SinkError when it is not there."""
    sink = open_sink(destination, format=format, table_prefix=table_prefix)
    if not sink.exists():
        raise SinkError(f"{sink.url}: no such destination")
    return sink


def moment(text: Any) -> datetime | None:
    """A stored time (ISO 8601, or Akeneo's naive ``YYYY-MM-DD hh:mm:ss`` in UTC)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ago(seconds: float | None) -> str:
    """``42s``, ``17m``, ``3h05m``, ``2d04h``: a lag or an age at a glance."""
    if seconds is None:
        return "-"
    s = max(int(seconds), 0)
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str


@dataclass
class Snapshot:
    """One read of a destination's state and history (``runs`` newest first)."""

    destination: str
    """Its URL with any password masked: what a page may show."""
    state: Mapping[str, Any] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    problem: str | None = None
    """Why the destination could not be read (then ``state`` and ``runs`` are the last read
    that worked, if any)."""

    @property
    def source(self) -> str | None:
        """The Akeneo it mirrors: the URL only (never a client id, user or secret)."""
        found = (self.state or {}).get("source") or {}
        return str(found["url"]) if found.get("url") else None

    @property
    def last_success(self) -> datetime | None:
        return moment(last_success(self.runs, self.state))

    def since_success(self) -> float | None:
        last = self.last_success
        return (self.taken_at - last).total_seconds() if last else None

    @property
    def last_failure(self) -> dict[str, Any] | None:
        return next((r for r in self.runs if r.get("outcome") == "failed"), None)

    def lags(self) -> dict[str, float]:
        """Per resource, how far behind now its cursor is (the overlap included): what the
        next run reads again from."""
        out: dict[str, float] = {}
        for name, cursor in stored_cursors(self.state or {}).items():
            when = moment(cursor)
            if when is not None:
                out[name] = (self.taken_at - when).total_seconds()
        return out

    def cursor_groups(self) -> list[tuple[str, list[str], float | None]]:
        """(cursor, resources, lag) per distinct cursor, the oldest first: after a complete run
        most resources share one, and a page of seventeen equal rows says nothing."""
        groups: dict[str, list[str]] = {}
        for name, cursor in sorted(stored_cursors(self.state or {}).items()):
            groups.setdefault(str(cursor), []).append(name)
        lags = self.lags()
        out = [(cursor, names, lags.get(names[0])) for cursor, names in groups.items()]
        return sorted(out, key=lambda group: -(group[2] or 0))

    def health(self, stale_after: timedelta | None) -> Health:
        """Healthy while the last run succeeded and the last success is recent enough.
        Interrupted runs (a stop signal) say nothing either way: the run before them does."""
        if self.problem:
            return Health(False, f"cannot read the destination: {self.problem}")
        judged = next((r for r in self.runs if r.get("outcome") != "interrupted"), None)
        if judged is not None and judged.get("outcome") == "failed":
            when = judged.get("finished_at", "?")
            return Health(False, f"the last run failed ({when}): {judged.get('error')}")
        since = self.since_success()
        if since is None:
            return Health(False, "no successful run yet")
        if stale_after is not None and since > stale_after.total_seconds():
            limit = ago(stale_after.total_seconds())
            return Health(False, f"the last successful run is {ago(since)} old (over {limit})")
        return Health(True, f"ok: the last successful run finished {ago(since)} ago")


class Watcher:
    """Snapshots of one destination for a server: reads are serialised (one sink, one engine),
    kept for ``ttl`` seconds (a page, a probe and a scrape at once read once), and a failed
    read keeps the last good one beside the reason."""

    def __init__(
        self,
        destination: str,
        *,
        format: str | None = None,
        table_prefix: str = "",
        limit: int = 100,
        ttl: float = 2.0,
    ) -> None:
        self.destination = destination
        self.format = format
        self.table_prefix = table_prefix
        self.limit = limit
        self.ttl = ttl
        self._sink: Sink | None = None
        self._last: Snapshot | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    @property
    def shown(self) -> str:
        return open_sink(self.destination, format=self.format).url  # password masked

    def read(self) -> Snapshot:
        with self._lock:
            if self._last is not None and time.monotonic() - self._read_at < self.ttl:
                return self._last
            try:
                snapshot = self._read()
            except Exception as exc:  # a server keeps serving: the reason goes on the page
                last = self._last
                snapshot = Snapshot(
                    self.shown,
                    last.state if last else None,
                    last.runs if last else [],
                    problem=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                )
            self._last, self._read_at = snapshot, time.monotonic()
            return snapshot

    def _read(self) -> Snapshot:
        if self._sink is None:
            self._sink = open_readonly(
                self.destination, format=self.format, table_prefix=self.table_prefix
            )
        elif not self._sink.exists():
            raise SinkError(f"{self._sink.url}: no such destination")
        sink = self._sink
        return Snapshot(sink.url, sink.read_state(), sink.runs(self.limit))
