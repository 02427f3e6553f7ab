"""The library: what the CLI does, callable from Python (a script, an Airflow or Dagster task).

    import akeneo_sync
    connection = akeneo_sync.Connection(url=..., client_id=..., client_secret=..., username=...,
                                        password=...)
    report = akeneo_sync.export("catalog.db", connection, akeneo_sync.ExportOptions(labels="en_US"))
    report = akeneo_sync.sync("catalog.db", connection)      # only what changed since

Each call opens the destination, runs, commits and closes it, and returns a ``Report``; it raises
an ``AkeneoSyncError`` subclass on failure (``errors.py``). ``*_async`` variants run in an event
loop the caller owns.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from akeneo_sync.client import AkeneoClient
from akeneo_sync.errors import AkeneoSyncError, ConfigError, LockedError
from akeneo_sync.extract import Doc, collect
from akeneo_sync.run import runner
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.run.pipeline import Progress
from akeneo_sync.run.schedule import run_repeatedly
from akeneo_sync.settings import Connection
from akeneo_sync.sinks import Sink, kind_of, mask_url, open_sink
from akeneo_sync.sinks._fresh import fresh_target, remove_if_uncommitted

log = logging.getLogger("akeneo_sync")
TABLE_PREFIX = re.compile(r"[A-Za-z0-9_]+")


async def run_async(
    destination: str,
    connection: Connection,
    options: ExportOptions | None = None,
    *,
    incremental: bool,
    format: str | None = None,
    table_prefix: str = "",
    flat: bool = False,
    raw_cells: bool = False,
    concurrency: int = 4,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    kind: str | None = None,
) -> Report:
    """One run into ``destination`` (a path or URL, as ``--to`` takes it); ``flat``: a ``.json``
    file of flat product rows; ``raw_cells``: CSV / XLSX text without the formula guard;
    ``kind`` names it in the run history (``sync`` or ``export``; by default from
    ``incremental``)."""
    options = options or ExportOptions()
    check_destination(destination, format=format, table_prefix=table_prefix, flat=flat)
    fresh = fresh_target(destination)
    # The destination's modules load on a thread while the token and the options' check go to
    # the PIM (SQLAlchemy alone takes 0.3-0.5 s to import; an Akeneo answer, 0.4 s or more).
    # Their errors, such as a missing driver, still come before the PIM's.
    opening = asyncio.ensure_future(
        asyncio.to_thread(
            open_sink,
            destination,
            format=format,
            table_prefix=table_prefix,
            flat=flat,
            raw_cells=raw_cells,
        )
    )
    sink: Sink | None = None
    try:
        async with connection.client(concurrency=concurrency, transport=transport) as client:
            checking = asyncio.ensure_future(check_options(client, options))
            try:
                sink = await opening
            except BaseException:
                checking.cancel()
                await asyncio.gather(checking, return_exceptions=True)
                raise
            known = await checking
            return await runner.execute(
                client,
                sink,
                options,
                progress,
                stop,
                incremental=incremental,
                kind=kind,
                known=known,
            )
    except LockedError:
        raise  # the destination is another run's, which may not have committed yet
    except BaseException:
        # The client may have failed before the sink was awaited: let the thread end.
        await asyncio.gather(opening, return_exceptions=True)
        # A wrong URL or refused credentials must not leave an empty destination behind.
        if fresh is not None and sink is not None:
            remove_if_uncommitted(fresh, sink)
        raise


def check_destination(
    destination: str,
    *,
    format: str | None = None,
    table_prefix: str = "",
    flat: bool = False,
) -> None:
    """Refuse an option that does not apply to ``destination`` (silently ignored, it would
    leave the user wondering where the CSV files went), before anything is loaded or asked."""
    kind = kind_of(destination, flat=flat)
    what = {
        "directory": "a directory",
        "json": "a JSON file",
        "workbook": "a workbook",
    }.get(kind, "a database")
    shown = mask_url(destination)
    if format and kind != "directory":
        raise ConfigError(
            f"--format {format} does not apply to {shown} ({what}): --format jsonl, csv or "
            "parquet is for a directory destination (e.g. --to out/); drop --format"
        )
    if table_prefix and not TABLE_PREFIX.fullmatch(table_prefix):
        # Checked before anything is created: the prefix is spliced into DDL (MariaDB's index
        # names are backtick-quoted, and a backtick in them broke the schema half-way).
        raise ConfigError(
            f"--table-prefix {table_prefix!r} may hold only letters, digits and underscores "
            "(e.g. pim_)"
        )
    if table_prefix and kind != "database":
        raise ConfigError(
            f"--table-prefix does not apply to {shown} ({what}): it is for a database "
            "destination (a .db file, sqlite:///, postgresql://, mysql://, mongodb://)"
        )


async def check_options(client: AkeneoClient, options: ExportOptions) -> dict[str, list[Doc]]:
    """Options that only the PIM can validate, checked before the destination is touched: a
    wrong locale would otherwise give a whole export of null labels, or fail at the products,
    after everything else was read. One small listing each, which the run's reference data
    takes as read (returned by name)."""
    filters = options.filters
    wanted = [("--labels", options.labels)] if options.labels else []
    wanted += [("--locales", code) for code in filters.locales or ()]
    read: dict[str, list[Doc]] = {}

    async def codes(resource: str) -> dict[str, Doc]:
        read[resource] = await collect(client.pages(resource))
        return {str(doc["code"]): doc for doc in read[resource]}

    if wanted:
        locales = await codes("locales")
        enabled = sorted(code for code, locale in locales.items() if locale.get("enabled"))
        for flag, code in wanted:
            if code not in enabled:
                state = (
                    "is disabled in this PIM" if code in locales else "is not a locale of this PIM"
                )
                raise ConfigError(f"{flag} {code} {state}; enabled locales: {', '.join(enabled)}")
    if filters.channel:
        channels = await codes("channels")
        if filters.channel not in channels:
            raise ConfigError(
                f"--channel {filters.channel} is not a channel of this PIM; channels: "
                f"{', '.join(sorted(channels))}"
            )
    return read


def export(
    destination: str,
    connection: Connection,
    options: ExportOptions | None = None,
    **settings: Any,
) -> Report:
    """Export everything (resuming an unfinished export) into ``destination``. ``settings``:
    ``format``, ``table_prefix``, ``flat``, ``raw_cells``, ``concurrency``, ``progress``,
    ``stop``, ``transport``."""
    return asyncio.run(run_async(destination, connection, options, incremental=False, **settings))


def sync(
    destination: str,
    connection: Connection,
    options: ExportOptions | None = None,
    *,
    full: bool = False,
    **settings: Any,
) -> Report:
    """The first run (or ``full``) exports everything, later ones read only what changed."""
    settings.setdefault("kind", "sync")
    return asyncio.run(
        run_async(destination, connection, options, incremental=not full, **settings)
    )


async def sync_every(
    every: timedelta | None,
    once: Callable[[asyncio.Event], Awaitable[Report]],
    stop: asyncio.Event,
    on_report: Callable[[Report], None] = lambda _: None,
) -> None:
    """Run ``once`` now and then every ``every`` until ``stop`` is set (once only for None).

    The first run's failure is raised; a destination another process holds is refused, not
    queued. Later failures are logged and the next tick tries again: a scheduled sync outlives
    an Akeneo outage."""
    runs = 0

    async def tick(stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        try:
            on_report(await once(stop))
        except AkeneoSyncError as exc:
            if every is None or (runs == 1 and isinstance(exc, LockedError)):
                raise
            log.error("run failed: %s", exc)

    await run_repeatedly(tick, every, stop)


async def count(connection: Connection, *, concurrency: int = 4) -> dict[str, int | None]:
    """How many of each countable resource the connection sees (``akeneo-sync check``)."""
    names = (
        "products",
        "product_models",
        "families",
        "attributes",
        "categories",
        "channels",
        "locales",
        "currencies",
        "association_types",
    )
    async with connection.client(concurrency=concurrency) as client:
        # One request alone: a wrong URL or password fails once. Then a task group, which on a
        # failure cancels and awaits the others (gather would leave them to die unawaited).
        first = await client.count(names[0])
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(client.count(name)) for name in names[1:]]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
    return dict(zip(names, [first, *(task.result() for task in tasks)], strict=True))
