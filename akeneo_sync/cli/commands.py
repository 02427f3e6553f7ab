"""The ``akeneo-sync`` commands: parse flags, call the library (``akeneo_sync.api``), map errors to
exit codes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import click
from rich.console import Console

from akeneo_sync import __version__, api
from akeneo_sync.cli.console import BarProgress, LogProgress, print_summary, setup_logging
from akeneo_sync.cli.options import (
    connection_from,
    connection_options,
    deletes_option,
    export_options,
    export_options_from,
    output_options,
    parsed,
)
from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.run.pipeline import NoProgress
from akeneo_sync.run.schedule import (
    Interruption,
    install_stop_handlers,
    parse_cadence,
    parse_duration,
    stale_limit,
)
from akeneo_sync.settings import Connection
from akeneo_sync.sinks import mask_url

DEFAULT_DEMO_DB = "akeneo-demo.db"
log = logging.getLogger("akeneo_sync")


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One line on stderr naming the problem, and the error's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AkeneoSyncError as exc:
            # One line: drivers append hints ("Background on this error at ...") we don't need.
            click.echo(
                f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", err=True
            )
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:  # a second signal (Aborted), or Ctrl-C before the loop
            signum = int(getattr(exc, "signum", signal.SIGINT))
            name = signal.Signals(signum).name
            click.echo(
                f"error: interrupted by {name}; nothing after the last commit was kept", err=True
            )
            sys.exit(128 + signum)

    return wrapper


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


# click >= 8.2 raises this for a group called without a command; older ones print the help.
_NO_ARGS: tuple[type[click.UsageError], ...] = tuple(
    getattr(click.exceptions, name)
    for name in ["NoArgsIsHelpError"]
    if hasattr(click.exceptions, name)
)


class OneLineErrors(click.Group):
    """Click's own errors (a bad flag, a value out of range) as one line and exit 2, like ours,
    instead of a usage block: a script's log then shows the one line that matters."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except _NO_ARGS as exc:  # `akeneo-sync` alone: the help, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            message = _one_line(exc.format_message()).rstrip(".")
            click.echo(f"error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:  # Ctrl-C outside a command's own handling
            click.echo("error: interrupted by SIGINT", err=True)
            sys.exit(128 + signal.SIGINT)
        # Without standalone mode, click returns the code of --help, --version and ctx.exit().
        sys.exit(result if isinstance(result, int) else 0)


@click.group(
    cls=OneLineErrors,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="akeneo-sync")
def cli() -> None:
    """Export an Akeneo PIM catalog to files and databases, and keep it in sync.

    \b
    Try it without credentials:  akeneo-sync demo
    Export a real catalog:       akeneo-sync export --to catalog.db --config akeneo.toml
    """


@cli.command("export")
@export_options
@connection_options
@output_options
@handle_errors
def export_command(**kwargs: Any) -> None:
    """Export the whole catalog (or a filtered part) to DEST.

    A run that was stopped or killed resumes from its last checkpoint (databases).

    \b
    Examples:
      akeneo-sync export --to catalog.db
      akeneo-sync export --to out/ --format csv --labels en_US --channel ecommerce
      akeneo-sync export --to catalog.xlsx --labels en_US
      akeneo-sync export --to postgresql://me@localhost/shop --families shoes,tshirts
    """
    connection = connection_from(kwargs)
    run_command(connection, kwargs, export_options_from(kwargs), incremental=False)


@cli.command("sync")
@export_options
@click.option("--full", is_flag=True, help="Read everything, not only what changed.")
@click.option(
    "--overlap",
    callback=parsed(parse_duration),
    default="5m",
    show_default=True,
    help="Look this far before the last run's start (search index lag, clock skew).",
)
@deletes_option
@click.option(
    "--reconcile-every",
    callback=parsed(parse_cadence),
    default="1h",
    show_default=True,
    help="Re-read and diff the reference data (option labels, deleted options, categories, "
    "families) once its last whole read is this old (e.g. 1h, 1d), or every N runs (a number; "
    "1: every run, 0: never). Deleted products and models are looked for every run.",
)
@click.option(
    "--every",
    callback=parsed(parse_duration),
    help="Run forever, one run every DURATION (e.g. 15m, 1h).",
)
@click.option(
    "--status-port", type=int, help="With --every: serve the status page (/, /healthz, /metrics)."
)
@click.option("--status-host", default="127.0.0.1", show_default=True, help="Its address.")
@click.option(
    "--stale-after",
    help="/healthz answers 503 once the last success is older: a multiple of --every "
    "(default 3) or a duration (e.g. 1h).",
)
@connection_options
@output_options
@handle_errors
def sync_command(**kwargs: Any) -> None:
    """Keep DEST in sync: the first run exports everything, later runs only what changed.

    \b
    Examples:
      akeneo-sync sync --to catalog.db
      akeneo-sync sync --to postgresql://me@localhost/shop --every 15m --deletes hard
    """
    connection = connection_from(kwargs)
    options = export_options_from(kwargs)
    options.overlap = kwargs["overlap"]
    options.deletes = kwargs["deletes"]
    options.reconcile_every = kwargs["reconcile_every"]
    every = kwargs["every"]
    run_command(
        connection, kwargs, options, incremental=not kwargs["full"], every=every, kind="sync"
    )


def run_command(
    connection: Connection,
    kwargs: dict[str, Any],
    options: ExportOptions,
    *,
    incremental: bool,
    every: timedelta | None = None,
    kind: str = "export",
) -> None:
    setup_logging(kwargs["verbose"], kwargs["quiet"])
    err = Console(stderr=True)
    destination = kwargs["destination"]
    sink_options: dict[str, Any] = {
        "format": kwargs.get("file_format"),
        "table_prefix": kwargs["table_prefix"],
        "flat": kwargs.get("flat", False),
        "raw_cells": kwargs.get("raw_cells", False),
    }
    api.check_destination(
        destination,
        format=sink_options["format"],
        table_prefix=sink_options["table_prefix"],
        flat=sink_options["flat"],
    )
    shown = mask_url(destination)
    interruption = Interruption()
    last: list[Report] = []

    def on_report(report: Report) -> None:
        last[:] = [report]
        by = interruption.name if report.interrupted else None
        print_summary(Console(), report, shown, interrupted_by=by)

    async def once(stop: asyncio.Event) -> Report:
        with _progress(err, kwargs["quiet"]) as progress:
            return await api.run_async(
                destination,
                connection,
                options,
                incremental=incremental,
                **sink_options,
                concurrency=kwargs["concurrency"],
                progress=progress,
                stop=stop,
                kind=kind,
            )

    stale_after = stale_limit(kwargs.get("stale_after"), every)

    def status_page() -> contextlib.AbstractAsyncContextManager[str | None]:
        """``--status-port``: the status pages beside the runs (their server, Starlette and
        uvicorn, loaded only then)."""
        port = kwargs.get("status_port")
        if port is None:
            return contextlib.nullcontext()
        from akeneo_sync.status.app import serving_beside

        return serving_beside(
            destination,
            port=port,
            host=kwargs.get("status_host") or "127.0.0.1",
            format=kwargs.get("file_format"),
            table_prefix=kwargs["table_prefix"],
            stale_after=stale_after,
        )

    async def main() -> None:
        nonlocal interruption
        stop = asyncio.Event()
        interruption = install_stop_handlers(stop)
        async with status_page():
            await api.sync_every(every, once, stop, on_report)

    asyncio.run(main())
    # A run a signal cut short is not a success; a signal between two runs (--every) is a
    # clean stop.
    if last and last[0].interrupted:
        sys.exit(interruption.exit_code or 128 + signal.SIGINT)


def _progress(console: Console, quiet: bool) -> Any:
    if quiet:
        return NoProgress()
    return BarProgress(console) if console.is_terminal else LogProgress()


@cli.command("check")
@connection_options
@output_options
@handle_errors
def check_command(**kwargs: Any) -> None:
    """Test the connection and show what the credentials can see.

    \b
    Example:
      AKENEO_URL=https://my-pim.cloud.akeneo.com akeneo-sync check --config akeneo.toml
    """
    connection = connection_from(kwargs)
    setup_logging(kwargs["verbose"], kwargs["quiet"])
    counts = asyncio.run(api.count(connection, concurrency=kwargs["concurrency"]))
    click.echo(f"connected to {connection.url} as {connection.username or 'an App token'}")
    for name, count in counts.items():
        click.echo(f"  {name:<20} {'?' if count is None else f'{count:,}'}")


@cli.command("demo")
@click.option(
    "--products",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Catalog size.",
)
@click.option("--seed", default=1, show_default=True, help="Catalog seed.")
@click.option(
    "--to", "destination", default=DEFAULT_DEMO_DB, show_default=True, help="Destination."
)
@click.option(
    "--labels", default="en_US", show_default=True, metavar="LOCALE", help="Label locale."
)
@output_options
@handle_errors
def demo_command(products: int, seed: int, destination: str, labels: str, **kwargs: Any) -> None:
    """Export a generated catalog from a built-in Akeneo emulator: no credentials needed.

    \b
    Example:
      akeneo-sync demo --products 2000 && sqlite3 akeneo-demo.db 'SELECT count(*) FROM products'
    """
    from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

    config = EmulatorConfig(products=products, seed=seed, port=0)
    click.echo(f"starting the Akeneo emulator with {products:,} products ...", err=True)
    with EmulatorServer(config) as server:
        connection = Connection(**server.credentials())
        kwargs.update(destination=destination, table_prefix="", concurrency=4)
        run_command(connection, kwargs, ExportOptions(labels=labels), incremental=False)
    if destination.endswith((".db", ".sqlite")) or destination.startswith("sqlite:"):
        path = destination.removeprefix("sqlite:///")
        click.echo(DEMO_QUERIES.format(db=path))


DEMO_QUERIES = """
Try these:
  sqlite3 {db} "SELECT family, count(*) FROM products GROUP BY family ORDER BY 2 DESC"
  sqlite3 {db} "SELECT p.identifier, v.text_value, v.label FROM products p
                JOIN product_values v ON v.uuid = p.uuid
                WHERE v.attribute = 'color' LIMIT 10"
  sqlite3 {db} "SELECT identifier, root_parent, json_extract(document, '$.category_paths[0]')
                FROM products WHERE parent IS NOT NULL LIMIT 10"
"""


def _register_emulator() -> None:
    from akeneo_sync.emulator.cli import emulator_command

    cli.add_command(emulator_command)


_register_emulator()


def main() -> None:
    """The console script: the command, then a quick exit. When a command returns, its data is
    committed and its files closed; freeing every object one by one (0.3 s after a 20,000-product
    export, more after a larger one) is left to the operating system."""
    try:
        cli(prog_name="akeneo-sync")
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # as the interpreter would
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
