"""What a person sees: progress bars on a terminal, plain log lines elsewhere, a final summary."""

from __future__ import annotations

import logging
import sys
import time
from typing import IO

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from akeneo_sync.run.options import Report
from akeneo_sync.run.pipeline import NoProgress

log = logging.getLogger("akeneo_sync")


def setup_logging(verbose: int, quiet: bool, stream: IO[str] | None = None) -> None:
    """``-v`` shows each request (method, URL, status, time; never a token), ``-vv`` the
    HTTP library too. Plain lines when stderr is not a terminal."""
    stream = stream or sys.stderr
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger("akeneo_sync")
    root.handlers.clear()
    root.setLevel(level)
    handler: logging.Handler
    if stream.isatty():
        handler = RichHandler(console=Console(file=stream), show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    root.propagate = False
    if verbose > 1:
        logging.getLogger("httpx").setLevel(logging.DEBUG)
        logging.getLogger("httpx").addHandler(handler)


class BarProgress:
    """One bar per resource: count, total, rate and ETA."""

    def __init__(self, console: Console) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<26}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>9}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._started: dict[str, float] = {}

    def __enter__(self) -> BarProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def start(self, resource: str, total: int | None) -> None:
        self._started[resource] = time.monotonic()
        self._tasks[resource] = self._bars.add_task(resource, total=total, rate="")

    def advance(self, resource: str, count: int) -> None:
        task = self._tasks.get(resource)
        if task is None:
            self.start(resource, None)
            task = self._tasks[resource]
        self._bars.advance(task, count)
        done = self._bars.tasks[self._tasks[resource]].completed
        elapsed = max(time.monotonic() - self._started[resource], 1e-6)
        self._bars.update(task, rate=f"{done / elapsed:,.0f}/s")

    def finish(self, resource: str) -> None:
        task = self._tasks.get(resource)
        if task is not None:
            done = self._bars.tasks[task].completed
            self._bars.update(task, total=done, completed=done)


class LogProgress(NoProgress):
    """For logs and pipes: a line when a resource starts, every ``every`` items, and at its end."""

    def __init__(self, every: int = 10_000) -> None:
        self.every = every
        self._done: dict[str, int] = {}
        self._totals: dict[str, int | None] = {}
        self._started: dict[str, float] = {}

    def start(self, resource: str, total: int | None) -> None:
        self._done[resource] = 0
        self._totals[resource] = total
        self._started[resource] = time.monotonic()

    def advance(self, resource: str, count: int) -> None:
        before = self._done.get(resource, 0)
        self._done[resource] = before + count
        if before // self.every != self._done[resource] // self.every:
            total = self._totals.get(resource)
            log.info("%s: %d%s", resource, self._done[resource], f"/{total}" if total else "")

    def finish(self, resource: str) -> None:
        elapsed = time.monotonic() - self._started.get(resource, time.monotonic())
        log.info("%s: %d done in %.1f s", resource, self._done.get(resource, 0), elapsed)


def print_summary(
    console: Console, summary: Report, destination: str, interrupted_by: str | None = None
) -> None:
    """The table of counts and one line of totals; a run cut short says so, how far it got and
    that nothing is lost (``interrupted_by``: the signal's name)."""
    table = Table(title=f"{summary.mode} export to {destination}", title_justify="left")
    table.add_column("resource")
    table.add_column("records", justify="right")
    incremental = summary.mode == "incremental"
    if incremental:  # say what was read only by its changes, and what was deleted
        table.add_column("deleted", justify="right")
        table.add_column("read")
    for name in dict.fromkeys([*summary.counts, *summary.deleted, *summary.how]):
        if name not in summary.counts and name not in summary.deleted and not incremental:
            continue
        row = [name, f"{summary.counts.get(name, 0):,}"]
        if incremental:
            row += [f"{summary.deleted.get(name, 0):,}", summary.how.get(name, "")]
        table.add_row(*row)
    console.print(table)
    media = f", {summary.media_files:,} media files" if summary.media_files else ""
    if summary.media_skipped:
        media += f" ({summary.media_skipped:,} skipped: see the warnings above)"
    console.print(
        f"{sum(summary.counts.values()):,} records{media} in {summary.seconds:.1f} s; "
        f"{summary.requests:,} requests, {summary.retries:,} retries, "
        f"{summary.throttled:,} throttled"
    )
    if summary.interrupted:
        by = f" by {interrupted_by}" if interrupted_by else ""
        # soft_wrap: one line even on an 80-column pipe, so logs and scripts can grep it.
        console.print(
            f"interrupted{by} after {sum(summary.counts.values()):,} records: what was read is "
            "committed, and the next run picks up where this one stopped",
            soft_wrap=True,
        )
