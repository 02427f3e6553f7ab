"""The ``akeneo-sync`` commands: parse flags, call the library (``akeneo_sync.api``), map errors to
exit codes."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from akeneo_sync import __version__, api
from akeneo_sync import resources as res
from akeneo_sync.cli.console import BarProgress, LogProgress, print_summary, setup_logging
from akeneo_sync.errors import AkeneoSyncError, ConfigError
from akeneo_sync.extract import Filters
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.run.pipeline import NoProgress
from akeneo_sync.run.schedule import install_stop_handlers, parse_cadence, parse_duration
from akeneo_sync.settings import Connection, load_connection
from akeneo_sync.sinks import FORMATS, open_sink
from akeneo_sync.status.app import serving_beside, stale_limit

DEFAULT_DEMO_DB = "akeneo-demo.db"
log = logging.getLogger("akeneo_sync")


def connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--url, --client-id, ... --config; flags win over AKENEO_* variables over the file."""
    for flag, help_text in reversed(
        [
            ("--url", "Akeneo base URL, e.g. https://my-pim.cloud.akeneo.com [env AKENEO_URL]"),
            ("--client-id", "Connection client id [env AKENEO_CLIENT_ID]"),
            ("--client-secret", "Connection secret [env AKENEO_CLIENT_SECRET]"),
            ("--username", "Connection username [env AKENEO_USERNAME]"),
            ("--password", "Connection password [env AKENEO_PASSWORD]"),
            ("--token", "An App access token instead of the four above [env AKENEO_TOKEN]"),
        ]
    ):
        fn = click.option(flag, help=help_text)(fn)
    fn = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        help="TOML file with an [akeneo] table (url, client_id, ...).",
    )(fn)
    fn = click.option(
        "--concurrency", default=4, show_default=True, help="Requests in flight (SaaS allows 4)."
    )(fn)
    return fn


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("-q", "--quiet", is_flag=True, help="Only errors and the summary.")(fn)
    fn = click.option("-v", "--verbose", count=True, help="Log each request (-vv: more).")(fn)
    return fn


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
        except KeyboardInterrupt:
            click.echo("interrupted; nothing after the last commit was kept", err=True)
            sys.exit(130)

    return wrapper


def _connection(kwargs: dict[str, Any]) -> Connection:
    flags = {
        k: kwargs.pop(k)
        for k in ("url", "client_id", "client_secret", "username", "password", "token")
    }
    return load_connection(flags, kwargs.pop("config_file"))


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"--updated-since {value!r}: use an ISO date or time, e.g. 2024-05-01 or "
            "2024-05-01T08:00:00+02:00 (no offset means UTC)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="akeneo-sync")
def cli() -> None:
    """Export an Akeneo PIM catalog to files and databases, and keep it in sync.

    \b
    Try it without credentials:  akeneo-sync demo
    Export a real catalog:       akeneo-sync export --to catalog.db --config akeneo.toml
    """


def export_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """What to read and where to write it: shared by export and sync."""
    for decorator in reversed(
        [
            click.option(
                "--to",
                "destination",
                required=True,
                help="catalog.json, a directory, a .db/.sqlite file, sqlite:///, postgresql://, "
                "mysql://, mongodb://",
            ),
            click.option(
                "--format",
                "file_format",
                type=click.Choice(list(FORMATS)),
                help="File format when --to is a directory (default jsonl).",
            ),
            click.option(
                "--labels",
                metavar="LOCALE",
                help="Resolve option labels, category paths, family and record labels in LOCALE.",
            ),
            click.option(
                "--channel", help="Only this channel's scopable values and category tree."
            ),
            click.option("--locales", help="Comma-separated locales of localizable values."),
            click.option("--families", help="Comma-separated family codes."),
            click.option("--categories", help="Comma-separated category codes (and children)."),
            click.option("--enabled-only", is_flag=True, help="Skip disabled products."),
            click.option("--updated-since", help="Products updated after this ISO date/time."),
            click.option(
                "--attributes",
                help="Comma-separated attribute codes: only their values are asked for "
                "(products and models; list the identifier, e.g. sku,name,price).",
            ),
            click.option(
                "--with-completenesses",
                is_flag=True,
                help="Products carry Akeneo's completeness per channel and locale.",
            ),
            click.option(
                "--with-quality-scores",
                is_flag=True,
                help="Products and models carry Akeneo's quality scores (A-E).",
            ),
            click.option(
                "--media",
                "media_dir",
                type=click.Path(file_okay=False),
                help="Download product media files into this directory.",
            ),
            click.option(
                "--resources", help=f"Comma-separated subset of: {', '.join(res.BY_NAME)}."
            ),
            click.option("--table-prefix", default="", help="Prefix for table/collection names."),
            # Products between two mid-run commits (databases); hidden: for tests and tuning.
            click.option("--checkpoint-every", type=int, default=10_000, hidden=True),
        ]
    ):
        fn = decorator(fn)
    return fn


def _export_options(kwargs: dict[str, Any]) -> ExportOptions:
    options = ExportOptions(
        filters=Filters(
            channel=kwargs["channel"],
            locales=_csv(kwargs["locales"]),
            families=_csv(kwargs["families"]),
            categories=_csv(kwargs["categories"]),
            enabled_only=kwargs["enabled_only"],
            updated_since=_since(kwargs["updated_since"]),
            attributes=_csv(kwargs["attributes"]),
            with_completenesses=kwargs["with_completenesses"],
            with_quality_scores=kwargs["with_quality_scores"],
        ),
        labels=kwargs["labels"],
        media_dir=Path(kwargs["media_dir"]) if kwargs["media_dir"] else None,
        checkpoint_every=kwargs["checkpoint_every"],
    )
    if kwargs["resources"]:
        chosen = _csv(kwargs["resources"]) or []
        unknown = sorted(set(chosen) - set(res.BY_NAME))
        if unknown:
            raise ConfigError(f"--resources: unknown {', '.join(unknown)}")
        options.resources = tuple(chosen)
    return options


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
      akeneo-sync export --to postgresql://me@localhost/shop --families shoes,tshirts
    """
    connection = _connection(kwargs)
    run_command(connection, kwargs, _export_options(kwargs), incremental=False)


@cli.command("sync")
@export_options
@click.option("--full", is_flag=True, help="Read everything, not only what changed.")
@click.option(
    "--overlap",
    default="5m",
    show_default=True,
    help="Look this far before the last run's start (search index lag, clock skew).",
)
@click.option(
    "--deletes",
    type=click.Choice(["soft", "hard", "ignore"]),
    default="soft",
    show_default=True,
    help="Deleted upstream: mark deleted_at (soft), remove (hard) or keep (ignore).",
)
@click.option(
    "--reconcile-every",
    default="1h",
    show_default=True,
    help="Re-read and diff the reference data (option labels, deleted options, categories, "
    "families) once its last whole read is this old (e.g. 1h, 1d), or every N runs (a number; "
    "1: every run, 0: never). Deleted products and models are looked for every run.",
)
@click.option("--every", help="Run forever, one run every DURATION (e.g. 15m, 1h).")
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
    connection = _connection(kwargs)
    options = _export_options(kwargs)
    options.overlap = parse_duration(kwargs["overlap"])
    options.deletes = kwargs["deletes"]
    options.reconcile_every = parse_cadence(kwargs["reconcile_every"])
    every = parse_duration(kwargs["every"]) if kwargs["every"] else None
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
    shown = open_sink(destination, format=kwargs.get("file_format")).url  # secrets masked

    async def once(stop: asyncio.Event) -> Report:
        with _progress(err, kwargs["quiet"]) as progress:
            return await api.run_async(
                destination,
                connection,
                options,
                incremental=incremental,
                format=kwargs.get("file_format"),
                table_prefix=kwargs["table_prefix"],
                concurrency=kwargs["concurrency"],
                progress=progress,
                stop=stop,
                kind=kind,
            )

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_handlers(stop)
        page = serving_beside(
            destination,
            port=kwargs.get("status_port"),
            host=kwargs.get("status_host") or "127.0.0.1",
            format=kwargs.get("file_format"),
            table_prefix=kwargs["table_prefix"],
            stale_after=stale_limit(kwargs.get("stale_after"), every),
        )
        async with page:
            await api.sync_every(every, once, stop, lambda r: print_summary(Console(), r, shown))

    asyncio.run(main())


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
    connection = _connection(kwargs)
    setup_logging(kwargs["verbose"], kwargs["quiet"])
    counts = asyncio.run(api.count(connection, concurrency=kwargs["concurrency"]))
    click.echo(f"connected to {connection.url} as {connection.username or 'an App token'}")
    for name, count in counts.items():
        click.echo(f"  {name:<20} {'?' if count is None else f'{count:,}'}")


@cli.command("demo")
@click.option("--products", default=10_000, show_default=True, help="Catalog size.")
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
    cli(prog_name="akeneo-sync")
