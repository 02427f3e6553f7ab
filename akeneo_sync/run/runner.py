"""The runner: the one place that composes client, extract, transforms and a sink.

    reference data ──(concurrent)──▶ lookups ──┐
    product models ──(partitions)──▶ model store├─▶ transform ─▶ Writer ─▶ sink
    products ────────(partitions, streamed)────┘

``execute`` opens the destination (taking its lock) before any request to Akeneo, reads its
state, then runs one strategy: a resumed full run (``state.unfinished_full``), an incremental
run (``incremental.py``) when every streamed resource has a cursor, else a full run
(``full.py``). Either way the state is committed with the data it covers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient
from akeneo_sync.run import deletions
from akeneo_sync.run.context import RunContext
from akeneo_sync.run.full import run_full
from akeneo_sync.run.incremental import run_incremental
from akeneo_sync.run.media import MediaFetcher
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.run.pipeline import NoProgress, Progress, SinkThread, Writer
from akeneo_sync.run.reference import read_reference
from akeneo_sync.run.state import Marks, can_run_incrementally, final_state, unfinished_full
from akeneo_sync.sinks.base import Sink, SinkContext


async def execute(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    *,
    incremental: bool,
) -> Report:
    """One run into ``sink``; raises on any failure, leaving the destination at its last
    checkpoint (databases; files keep their outputs as they were and the checkpoint aside for
    the next run)."""
    unknown = set(options.resources) - set(res.BY_NAME)
    if unknown:
        raise ValueError(f"unknown resources: {', '.join(sorted(unknown))}")
    clock = time.monotonic()
    thread = SinkThread(sink)
    progress = progress or NoProgress()
    attributes: dict[str, Any] = {}
    ctx = RunContext(
        client=client,
        sink=sink,
        thread=thread,
        writer=Writer(thread, progress, options.batch_size, options.queue_pages),
        options=options,
        progress=progress,
        stop=stop or asyncio.Event(),
        chosen=[r for r in res.ALL if r.name in set(options.resources)],
        attributes=attributes,
        media=MediaFetcher(client, options.media_dir) if options.media_dir else None,
    )
    # The sink reads ``attributes`` when it writes: it is filled in place below.
    context = SinkContext(ctx.chosen, attributes=attributes, label_locale=options.labels)
    report = Report()
    ok = False
    try:
        # The destination first: a second run is refused by its lock, and a destination that
        # cannot be written fails, before any request to Akeneo.
        await thread.call(sink.open, context)
        stored: dict[str, Any] | None = await thread.call(sink.read_state)
        ctx.previous = stored or {}
        resume = unfinished_full(ctx.previous)
        incremental = incremental and not resume and can_run_incrementally(ctx.previous, ctx.wanted)
        ctx.use_reference(await read_reference(ctx, incremental=incremental))
        ctx.writer.start()
        report.how.update(ctx.reference.how)
        if resume:
            report.mode = "resumed full"
            ctx.marks = Marks.resumed(resume)
            report.add(await run_full(ctx))
        elif incremental:
            report.mode = "incremental"
            report.add(await run_incremental(ctx))
        else:
            report.add(await run_full(ctx))
        if report.mode != "incremental" and not ctx.stop.is_set():
            report.add(await deletions.after_full(ctx, report.mode))
        if ctx.media:
            await ctx.media.wait()
        await ctx.writer.drain()
        report.counts = ctx.writer.counts
        report.interrupted = ctx.stop.is_set()
        state = final_state(
            ctx.previous,
            report,
            ctx.marks,
            [r.name for r in ctx.chosen],
            options,
            light=ctx.reference.light,
        )
        await thread.call(sink.commit, state)
        ok = True
    finally:
        ctx.writer.cancel()
        ctx.models.close()
        try:
            await thread.call(sink.close, ok)
        finally:
            thread.shutdown()
    stats = client.stats
    report.requests, report.retries, report.throttled = (
        stats.requests,
        stats.retries,
        stats.throttled,
    )
    report.media_files = ctx.media.count if ctx.media else 0
    report.seconds = time.monotonic() - clock
    return report


async def export(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
) -> Report:
    """A full export (resuming an unfinished one)."""
    return await execute(
        client, sink, options or ExportOptions(), progress, stop, incremental=False
    )


async def sync(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    *,
    full: bool = False,
) -> Report:
    """The first run (or ``full``) exports everything; later runs read only what changed."""
    return await execute(
        client, sink, options or ExportOptions(), progress, stop, incremental=not full
    )
