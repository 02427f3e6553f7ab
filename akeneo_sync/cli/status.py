"""``akeneo-sync state`` and ``akeneo-sync status``: a destination's syncs for a person, in the
terminal or in a browser, read-only (``akeneo_sync.status``).

Registered on the main group by ``cli/__init__.py``, built on the helpers of ``commands``.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Mapping
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from akeneo_sync.cli.commands import cli, handle_errors
from akeneo_sync.cli.console import setup_logging
from akeneo_sync.run.schedule import parse_duration, stale_limit
from akeneo_sync.sinks import FORMATS
from akeneo_sync.status.page import duration, when
from akeneo_sync.status.snapshot import Snapshot, Watcher, ago, open_readonly

COLORS = {"ok": "green", "failed": "red", "interrupted": "yellow"}


def destination_options(fn: Any) -> Any:
    for decorator in reversed(
        [
            click.option("--to", "destination", required=True, help="The destination to read."),
            click.option(
                "--format",
                "file_format",
                type=click.Choice(list(FORMATS)),
                help="File format when --to is a directory (default jsonl).",
            ),
            click.option("--table-prefix", default="", help="Prefix for table/collection names."),
        ]
    ):
        fn = decorator(fn)
    return fn


@cli.command("state")
@destination_options
@click.option("--runs", "limit", default=10, show_default=True, help="How many runs to show.")
@click.option("--json", "as_json", is_flag=True, help="The raw state and runs, as JSON.")
@handle_errors
def state_command(
    destination: str, file_format: str | None, table_prefix: str, limit: int, as_json: bool
) -> None:
    """Show what DEST knows: cursors and their lag, the last success, the last runs.

    Reads only: never creates, locks or changes the destination.

    \b
    Examples:
      akeneo-sync state --to catalog.db
      akeneo-sync state --to postgresql://me@localhost/shop --json | jq .state.cursors
    """
    sink = open_readonly(destination, format=file_format, table_prefix=table_prefix)
    snapshot = Snapshot(sink.url, sink.read_state(), sink.runs(limit))
    if as_json:
        raw = {"state": snapshot.state, "runs": snapshot.runs}
        click.echo(orjson.dumps(raw, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
        return
    if snapshot.state is None and not snapshot.runs:
        click.echo(f"{sink.url}: never synced")
        return
    console = Console()
    if not console.is_terminal:  # a pipe or a log: wide enough not to fold the tables
        console = Console(width=120)
    print_state(console, snapshot)


def print_state(console: Console, snapshot: Snapshot) -> None:
    state: Mapping[str, Any] = snapshot.state or {}
    source = f" (mirrors {snapshot.source})" if snapshot.source else ""
    console.print(f"[bold]{snapshot.destination}[/bold]{source}", highlight=False)
    last = snapshot.last_success
    since = (
        f"{when(last.isoformat())} UTC, {ago(snapshot.since_success())} ago" if last else "never"
    )
    console.print(f"last successful run: {since}", highlight=False)
    runs = int(state.get("runs", 0))
    facts = [f"{runs:,} complete run{'' if runs == 1 else 's'}"]
    if state.get("reconciled_at"):
        facts.append(f"deletions last reconciled {when(state['reconciled_at'])} UTC")
    if state.get("resume"):
        facts.append(f"an unfinished full run (started {when(state['resume'].get('started_at'))})")
    console.print(", ".join(facts), highlight=False)
    events = state.get("events")
    if events:
        console.print(
            f"events: {int(events.get('applied', 0)):,} applied in "
            f"{int(events.get('batches', 0)):,} batches, lag {events.get('lag_seconds')} s, "
            f"{events.get('pending', 0)} pending",
            highlight=False,
        )
    groups = snapshot.cursor_groups()
    if groups:
        table = Table(title="cursors (the next run reads what changed after them)")
        table.title_justify = "left"
        table.add_column("cursor (UTC)")
        table.add_column("lag", justify="right")
        table.add_column("resources")
        for cursor, names, lag in groups:
            table.add_row(cursor, ago(lag), ", ".join(names))
        console.print(table)
    if snapshot.runs:
        console.print(_runs_table(snapshot.runs))
    failure = snapshot.last_failure
    if failure:
        console.print(
            f"last error ({when(failure.get('finished_at'))} UTC): {failure.get('error')}",
            style="red",
            highlight=False,
        )


def _runs_table(runs: list[dict[str, Any]]) -> Table:
    table = Table(title="last runs", title_justify="left")
    for name, right in (
        ("started (UTC)", False),
        ("run", False),
        ("outcome", False),
        ("duration", True),
        ("written", True),
        ("deleted", True),
        ("requests", True),
        ("retries", True),
    ):
        table.add_column(name, justify="right" if right else "left")
    for run in runs:
        outcome = str(run.get("outcome"))
        table.add_row(
            when(run.get("started_at")),
            f"{run.get('kind')} ({run.get('mode')})",
            f"[{COLORS.get(outcome, 'white')}]{outcome}[/]",
            duration(run.get("seconds")),
            f"{sum((run.get('written') or {}).values()):,}",
            f"{sum((run.get('deleted') or {}).values()):,}",
            f"{int(run.get('requests') or 0):,}",
            f"{int(run.get('retries') or 0):,}",
        )
    return table


@cli.command("status")
@destination_options
@click.option("--port", default=8080, show_default=True, help="Port to serve on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (the page names the destination: keep it private).",
)
@click.option("--every", help="How often DEST is synced (e.g. 15m): --stale-after counts in it.")
@click.option(
    "--stale-after",
    help="/healthz answers 503 once the last success is older than this: a multiple of "
    "--every (default 3) or a duration (e.g. 1h); off: only failures.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@handle_errors
def status_command(
    destination: str,
    file_format: str | None,
    table_prefix: str,
    port: int,
    host: str,
    every: str | None,
    stale_after: str | None,
    quiet: bool,
) -> None:
    """Serve a status page of DEST: / (runs, lag, last error, a chart), /healthz, /metrics.

    Reads the destination's state and run history on each request, read-only, so it runs
    beside cron jobs or `sync --every` (which can serve the same pages: --status-port).

    \b
    Examples:
      akeneo-sync status --to catalog.db --every 15m
      akeneo-sync status --to postgresql://me@db/shop --port 9108 --stale-after 2h
    """
    from akeneo_sync.status.app import serving  # the server, only when served

    setup_logging(0, quiet)
    limit = stale_limit(stale_after, parse_duration(every) if every else None)
    open_readonly(destination, format=file_format, table_prefix=table_prefix)  # a typo fails now
    watcher = Watcher(destination, format=file_format, table_prefix=table_prefix)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)  # nothing to commit: stop at once
        async with serving(watcher, host=host, port=port, stale_after=limit):
            await stop.wait()

    asyncio.run(main())
