"""The push side: one run of an export or a sync into a sink, the one place that composes a
read ``Session`` with a destination.

    Session.read(resource, state) ─▶ batches ─▶ Writer ─▶ sink (upserts, deletions)
                                               └─▶ checkpoints, then the final state

``execute`` opens the destination (taking its lock) before any request to Akeneo and reads its
state: an unfinished full run is resumed, a destination holding cursors for every streamed
resource gets an incremental run, anything else a full run. Every resource is then read through
the session in the registry's order (reference data, assets, product models, products) and its
batches written in order; the state (``state.py``) is committed with the last of the data.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Mapping
from typing import Any

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient
from akeneo_sync.client.search import iso_cursor
from akeneo_sync.errors import SourceMismatchError
from akeneo_sync.run import history
from akeneo_sync.run.context import Batch
from akeneo_sync.run.media import MediaFetcher
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.run.pipeline import NoProgress, Progress, SinkThread, Writer
from akeneo_sync.run.reference import light_reference
from akeneo_sync.run.session import Session
from akeneo_sync.run.state import (
    Marks,
    can_run_incrementally,
    checkpoint_state,
    final_state,
    reconcile_due,
    stored_cursors,
    unfinished_full,
)
from akeneo_sync.sinks.base import Sink, SinkContext

log = logging.getLogger("akeneo_sync")


class RunContext:
    """One run's parts, built once: the session (client, options, reference data, lookups,
    model store, stop signal), the sink behind its thread and writer, progress and report."""

    def __init__(
        self,
        client: AkeneoClient,
        sink: Sink,
        options: ExportOptions,
        progress: Progress,
        stop: asyncio.Event,
    ) -> None:
        self.sink = sink
        self.options = options = dataclasses.replace(options)  # a run may adjust its copy
        self.source = client.source
        self.progress = progress
        self.thread = SinkThread(sink)
        documents = sink.shape != "flat"  # flat rows are no way back to documents
        self.session = Session(client, options, stored=sink, documents=documents, stop=stop)
        self.session.ctx.off_loop = self.thread.call
        # The session fills the attributes in place before any product is read.
        self.writer = Writer(
            self.thread,
            progress,
            options.batch_size,
            options.queue_pages,
            attributes=self.session.ctx.attributes,
        )
        self.chosen = [r for r in res.ALL if r.name in set(options.resources)]
        self.media = MediaFetcher(client, options.media_dir) if options.media_dir else None
        self.report = Report()
        self.previous: Mapping[str, Any] = {}
        self._since_checkpoint = 0
        self._committed = False
        self.kind = "sync"
        """What the run history calls this run: ``export``, ``sync`` or ``events``."""
        self.clock = history.RunClock(client)
        self._opened = self._recorded = False

    async def __aenter__(self) -> RunContext:
        """Open the destination (taking its lock) and read its state: before any request to
        Akeneo, so a second run is refused and a destination that cannot be written fails."""
        await self.thread.call(self.sink.open, SinkContext(self.chosen, self.options.values_table))
        self._opened = True  # from here on the run is the destination's: it is recorded
        stored: dict[str, Any] | None = await self.thread.call(self.sink.read_state)
        self.previous = stored or {}
        return self

    async def drain(self) -> None:
        """Everything queued written, media files downloaded."""
        if self.media:
            await self.media.wait()
        await self.writer.drain()
        self.report.counts = self.writer.counts

    async def commit(self, state: Mapping[str, Any]) -> None:
        """``state`` committed with the data written: the run succeeded."""
        await self.thread.call(self.sink.commit, state)
        self._committed = True
        await self.record(None)

    async def __aexit__(self, *exc: object) -> None:
        """Close the destination: what was not committed is rolled back; a run that failed
        is recorded in the history after that."""
        self.writer.cancel()
        self.session.close()
        error = exc[1] if len(exc) > 1 and isinstance(exc[1], BaseException) else None
        try:
            await self.thread.call(self.sink.close, self._committed)
        finally:
            try:
                if error is not None and self._opened and not self._recorded:
                    await self.record(error)
            finally:
                self.thread.shutdown()

    async def record(self, error: BaseException | None) -> None:
        """This run's history entry, once (``run/history.py``); a history that cannot be
        written is logged, never the run's failure nor in the way of the error it had."""
        self._recorded = True
        entry = self.clock.entry(self.kind, self.report, self.writer.counts, error)
        try:
            await self.thread.call(history.record, self.sink, entry)
        except Exception as exc:
            # A failed run's own error line says what is wrong with the destination: its
            # history's failure would only say it again, differently.
            level = logging.DEBUG if error is not None else logging.WARNING
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.log(level, "%s: the run was not recorded in its history: %s", self.sink.url, first)

    @property
    def marks(self) -> Marks:
        return self.session.ctx.marks

    async def store(self, batch: Batch) -> None:
        """A batch to the sink, in order: documents, then deletions, then its position."""
        resource = batch.resource
        if batch.docs:
            if resource is res.PRODUCTS and self.media:
                attributes = self.session.ctx.attributes
                self.media.fetch(c for d in batch.docs for c in extract.media_codes(d, attributes))
            await self.writer.put(resource, batch.docs)
        if batch.deleted:
            keys, soft = batch.deleted, self.options.deletes == "soft"
            deleted = self.report.deleted
            deleted[resource.name] = deleted.get(resource.name, 0) + len(keys)

            async def apply() -> None:
                await self.thread.call(self.sink.delete, resource, keys, soft=soft)

            await self.writer.then(apply)
        if batch.position is not None:
            # Recorded once the batch is written (without cutting the sink's batches short);
            # a checkpoint then commits the data and how far each cursor got, together.
            positions = self.marks.positions.setdefault(resource.name, {})
            reached = dict(batch.position["positions"])
            await self.writer.after(functools.partial(positions.update, reached))
            self._since_checkpoint += len(batch.docs)
            if self._since_checkpoint >= self.options.checkpoint_every:
                self._since_checkpoint = 0
                await self.writer.then(self.checkpoint)

    async def checkpoint(self) -> None:
        state = checkpoint_state({**self.previous, "source": self.source}, self.marks)
        await self.thread.call(self.sink.checkpoint, state)

    def check_source(self) -> bool:
        """Whether this run replaces the content of a destination that mirrors another
        Akeneo or connection (``replace``); without ``replace`` that stops the run, before
        anything is written. A state from before sources were recorded is adopted."""
        theirs = self.previous.get("source")
        if not theirs or theirs == self.source:
            return False
        if not self.options.replace:
            raise SourceMismatchError(
                f"{self.sink.url} mirrors {_who(theirs)}, this run reads {_who(self.source)}: "
                "sync into another destination (or --table-prefix), or give --replace to "
                "replace its content"
            )
        self.options.deletes = "hard"  # what the other source wrote goes
        return True


async def execute(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    *,
    incremental: bool,
    kind: str | None = None,
    known: Mapping[str, list[extract.Doc]] | None = None,
) -> Report:
    """One run into ``sink``; raises on any failure, leaving the destination at its last
    checkpoint (databases; files keep their outputs as they were and the checkpoint aside for
    the next run). ``kind`` names it in the run history (default: ``sync`` when
    ``incremental``, else ``export``); ``known``: reference listings read already
    (``api.check_options``)."""
    unknown = set(options.resources) - set(res.BY_NAME)
    if unknown:
        raise ValueError(f"unknown resources: {', '.join(sorted(unknown))}")
    clock = time.monotonic()
    run = RunContext(client, sink, options, progress or NoProgress(), stop or asyncio.Event())
    run.kind = kind or ("sync" if incremental else "export")
    run.session.ctx.known = dict(known or {})
    report = run.report
    async with run:
        await _read_all(run, incremental=incremental)
        await run.drain()
        ctx = run.session.ctx
        report.interrupted = ctx.stop.is_set()
        chosen = [r.name for r in run.chosen]
        light = ctx.reference is not None and ctx.reference.light
        await run.commit(final_state(run.previous, report, run.marks, chosen, options, light=light))
    stats = client.stats
    report.requests, report.retries = stats.requests, stats.retries
    report.throttled = stats.throttled
    report.media_files = run.media.count if run.media else 0
    report.media_skipped = len(run.media.skipped) if run.media else 0
    report.seconds = time.monotonic() - clock
    return report


async def _read_all(run: RunContext, *, incremental: bool) -> None:
    """Pick the mode, then read every chosen resource through the session."""
    ctx, report, previous = run.session.ctx, run.report, run.previous
    replacing = run.check_source()
    report.state["source"] = run.source
    cursors = stored_cursors(previous)
    wanted = {r.name for r in run.chosen}
    # Read from Akeneo (not from the destination), the reference holds what this run stores or
    # shows, no more.
    ctx.reference_names = extract.reference_needed(wanted, labels=bool(run.options.labels))
    resume = None if replacing else unfinished_full(previous)
    incremental = (
        incremental and not replacing and not resume and can_run_incrementally(previous, wanted)
    )
    reconcile = incremental and reconcile_due(previous, run.options, ctx.marks.started)
    if resume:
        report.mode = "resumed full"
        ctx.marks = Marks.resumed(resume)
    elif incremental:
        report.mode = "incremental"
    if incremental and not reconcile and set(extract.REFERENCE) <= wanted:
        light = await light_reference(ctx, cursors)
        if light is not None:
            ctx.use_reference(light)
            report.how.update(light.how)
    # A full run over a destination that held a complete sync deletes what is gone upstream (a
    # resumed one leaves that to the next sync: listing every key again would cost as much as
    # the products it saved).
    recheck = report.mode == "full" and bool(cursors) and run.options.deletes != "ignore"
    if not incremental and wanted & {"product_models", "products"}:
        # Models and products are read in the background from Akeneo's first answer on,
        # while the reference data is read and written.
        positions = ctx.marks.positions.get("products") if resume else None
        ctx.full_read(positions, products="products" in wanted)
    await ctx.ref()  # locales first: a wrong URL or password fails once, plainly
    run.writer.start()
    for resource in run.chosen:
        name = resource.name
        if name in ("product_models", "products") and ctx.stop.is_set():
            break
        state: dict[str, Any] | None = None
        if incremental or recheck:
            state = {"cursor": cursors[name]} if name in cursors else None
        elif resume and name == "products":
            state = {"positions": ctx.marks.positions.get("products", {})}
        run.progress.start(name, await run.session.total(name, None if recheck else state))
        # Assets cannot be counted: whether some are gone costs a listing of them all, which
        # reconciling runs (and full runs over a synced destination) pay.
        deep = recheck or reconcile
        async for batch in run.session.read(name, state, full_read=recheck, deep=deep):
            await run.store(batch)
        await run.writer.then(functools.partial(run.progress.finish, name))
        report.how.setdefault(name, _how(name, incremental, cursors))
    report.how.update(ctx.how)
    if report.mode != "incremental" and not ctx.stop.is_set():
        report.state["runs_since_reconcile"] = 0
    elif incremental:
        since = int(previous.get("runs_since_reconcile", 0))
        report.state["runs_since_reconcile"] = 0 if reconcile else since + 1
    checked = recheck or (incremental and run.options.deletes != "ignore")
    if checked and wanted & {"products", "product_models"} and not ctx.stop.is_set():
        report.state["reconciled_at"] = ctx.marks.started.isoformat()


def _who(source: Mapping[str, Any]) -> str:
    user = source.get("username") or source.get("client_id")
    return f"{source.get('url')} (as {user})" if user else f"{source.get('url')} (an App token)"


def _how(name: str, incremental: bool, cursors: Mapping[str, str]) -> str:
    if not incremental:
        return "full"
    if name in ("products", "product_models"):
        return f"incremental (updated > {cursors[name]})"
    if name == "assets":
        return f"incremental (updated > {iso_cursor(cursors[name])})"
    return "re-read and diffed"


async def export(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
) -> Report:
    """A full export (resuming an unfinished one)."""
    options = options or ExportOptions()
    return await execute(client, sink, options, progress, stop, incremental=False)


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
    options = options or ExportOptions()
    return await execute(client, sink, options, progress, stop, incremental=not full, kind="sync")
