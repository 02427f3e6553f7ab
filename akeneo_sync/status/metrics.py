"""``/metrics``: a destination's run history in Prometheus' text format.

The counters come from the newest history entry's running ``totals`` (``run/history.py``), not
from counting the entries kept, so they never go down when old entries are dropped, and they
survive restarts of the process serving them: Prometheus' ``rate()`` and ``increase()`` work.
Gauges describe the last run, the last success and the lag of each cursor at scrape time.
Every scrape builds its own registry from one snapshot: there is no process-wide state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from akeneo_sync.run.history import OUTCOMES
from akeneo_sync.status.snapshot import Snapshot, moment

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "akeneo_sync_"


class SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot, stale_after: timedelta | None) -> None:
        self.snapshot = snapshot
        self.stale_after = stale_after

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        newest = snap.runs[0] if snap.runs else {}
        totals = newest.get("totals") or {}

        runs = CounterMetricFamily(
            PREFIX + "runs", "Runs recorded in the destination, by outcome.", labels=["outcome"]
        )
        counted = totals.get("runs") or {}
        for outcome in (*OUTCOMES, *sorted(set(counted) - set(OUTCOMES))):
            runs.add_metric([outcome], float(counted.get(outcome, 0)))
        yield runs
        for part, verb in (("written", "written (upserted)"), ("deleted", "deleted")):
            family = CounterMetricFamily(
                f"{PREFIX}records_{part}",
                f"Records {verb} by runs that did not fail, by resource.",
                labels=["resource"],
            )
            for name, count in sorted((totals.get(part) or {}).items()):
                family.add_metric([name], float(count))
            yield family
        for counter, text in (
            ("requests", "Requests sent to Akeneo"),
            ("retries", "Requests retried"),
            ("throttled", "Requests Akeneo throttled (429)"),
        ):
            value = float(totals.get(counter, 0))
            yield CounterMetricFamily(f"{PREFIX}{counter}", f"{text}.", value)

        last_ok = snap.last_success
        if last_ok is not None:
            yield GaugeMetricFamily(
                PREFIX + "last_success_timestamp_seconds",
                "When the last successful run finished (Unix time).",
                last_ok.timestamp(),
            )
        if newest:
            yield from self._last_run(newest)
        lag = GaugeMetricFamily(
            PREFIX + "cursor_lag_seconds",
            "How far behind now each resource's cursor is (the overlap included).",
            labels=["resource"],
        )
        for name, seconds in sorted(snap.lags().items()):
            lag.add_metric([name], seconds)
        yield lag
        health = snap.health(self.stale_after)
        yield GaugeMetricFamily(
            PREFIX + "healthy", "1 while /healthz answers 200, else 0.", 1.0 if health.ok else 0.0
        )
        yield GaugeMetricFamily(
            PREFIX + "destination_readable",
            "1 when the destination could be read for this scrape, else 0.",
            0.0 if snap.problem else 1.0,
        )

    def _last_run(self, run: dict[str, object]) -> Iterator[Metric]:
        finished = moment(run.get("finished_at"))
        if finished is not None:
            yield GaugeMetricFamily(
                PREFIX + "last_run_timestamp_seconds",
                "When the last run finished (Unix time).",
                finished.timestamp(),
            )
        seconds = run.get("seconds")
        if isinstance(seconds, int | float):
            yield GaugeMetricFamily(
                PREFIX + "last_run_duration_seconds", "How long the last run took.", seconds
            )
        outcome = GaugeMetricFamily(
            PREFIX + "last_run_outcome",
            "1 for the last run's outcome (ok, failed, interrupted), 0 for the others.",
            labels=["outcome"],
        )
        for name in OUTCOMES:
            outcome.add_metric([name], 1.0 if run.get("outcome") == name else 0.0)
        yield outcome


def render(snapshot: Snapshot, stale_after: timedelta | None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot, stale_after))
    return generate_latest(registry)
