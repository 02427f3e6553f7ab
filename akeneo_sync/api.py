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
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from akeneo_sync.errors import AkeneoSyncError, LockedError
from akeneo_sync.run import runner
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.run.pipeline import Progress
from akeneo_sync.run.schedule import run_repeatedly
from akeneo_sync.settings import Connection
from akeneo_sync.sinks import open_sink

log = logging.getLogger("akeneo_sync")


async def run_async(
    destination: str,
    connection: Connection,
    options: ExportOptions | None = None,
    *,
    incremental: bool,
    format: str | None = None,
    table_prefix: str = "",
    concurrency: int = 4,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    kind: str | None = None,
) -> Report:
    """One run into ``destination`` (a path or URL, as ``--to`` takes it); ``kind`` names it
    in the run history (``sync`` or ``export``; by default from ``incremental``)."""
    sink = open_sink(destination, format=format, table_prefix=table_prefix)
    async with connection.client(concurrency=concurrency, transport=transport) as client:
        return await runner.execute(
            client,
            sink,
            options or ExportOptions(),
            progress,
            stop,
            incremental=incremental,
            kind=kind,
        )


def export(
    destination: str,
    connection: Connection,
    options: ExportOptions | None = None,
    **settings: Any,
) -> Report:
    """Export everything (resuming an unfinished export) into ``destination``. ``settings``:
    ``format``, ``table_prefix``, ``concurrency``, ``progress``, ``stop``, ``transport``."""
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
        counts = await asyncio.gather(*(client.count(name) for name in names))
    return dict(zip(names, counts, strict=True))
