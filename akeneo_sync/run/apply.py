"""The event strategy: one batch of Event Platform changes applied to a destination, through the
same lifecycle as a sync run (open and lock -> write -> delete -> commit(state) -> close).

    applied = await apply_changes(client, sink, options, changes, record)

``changes`` (``changes.Changes``) names what the events said may have changed; the reader
(``changes.ChangeReader``) fetches its current state from Akeneo, and the runner's
``RunContext`` writes it, so a batch is merged, labelled, written and deleted exactly as a sync
would. ``record(previous_state, report, unseen)`` gives the state committed with the batch's
data (the caller's account of the events applied), so both survive or neither does.

Events change a complete copy: a destination that no sync has completed (never synced, or a
full run still unfinished) is left untouched and ``Applied.ready`` is False; the events wait.
The reference data (attributes, options, categories, lookups) comes from the destination plus
its upstream changes (``reference.light_reference``), or from Akeneo when the destination keeps
flat rows; ``Applied.reference`` hands it back so the next batch can start from it, as the
events keep it current for options and categories.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from akeneo_sync import extract
from akeneo_sync.client import AkeneoClient
from akeneo_sync.run.changes import ChangeReader, Changes
from akeneo_sync.run.context import ReadContext, Reference
from akeneo_sync.run.modelstore import ModelCache
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.run.pipeline import NoProgress
from akeneo_sync.run.reference import light_reference
from akeneo_sync.run.runner import RunContext
from akeneo_sync.run.state import can_run_incrementally, stored_cursors, unfinished_full
from akeneo_sync.sinks.base import Sink

__all__ = ["Applied", "Changes", "Record", "apply_changes"]

Record = Callable[[Mapping[str, Any], Report, set[str]], Mapping[str, Any]]
"""(the destination's state, this batch's report, ``Applied.unseen``) -> the state to commit
with the batch."""


@dataclass
class Applied:
    report: Report
    ready: bool = True
    """False: the destination holds no complete sync yet; nothing was written."""
    unseen: set[str] = field(default_factory=set)
    """Created products found neither upstream nor stored: maybe not in the index yet."""
    reference: Reference | None = None


async def apply_changes(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions,
    changes: Changes,
    record: Record,
    *,
    reference: Reference | None = None,
    models: ModelCache | None = None,
    stop: asyncio.Event | None = None,
) -> Applied:
    """Fetch and write what ``changes`` names, then commit ``record``'s state with it; raises
    on any failure with nothing of the batch committed (``LockedError`` when another run holds
    the destination). ``models``: the models earlier batches read, used instead of reading them
    again unless ``changes`` names them; this batch's reads are added to it."""
    clock, before = time.monotonic(), _requests(client)
    run = RunContext(client, sink, options, NoProgress(), stop or asyncio.Event())
    run.kind = "events"
    ctx = run.session.ctx
    report = run.report
    report.mode = "events"
    known: set[str] = set()
    read_at = 0.0
    if models is not None:
        models.forget(changes.models)
        known = models.fresh()
        read_at = models.now()
    reader = ChangeReader(ctx, known, stored_parents=models is not None)
    async with run:
        wanted = {r.name for r in run.chosen}
        if unfinished_full(run.previous) or not can_run_incrementally(run.previous, wanted):
            return Applied(report, ready=False)
        if reference is not None:
            ctx.use_reference(reference)
        else:
            await _read_reference(ctx, run.previous, wanted)
        own = ctx.models
        if models is not None:
            ctx.models = models.store
        try:
            run.writer.start()
            async for batch in reader.read(changes):
                await run.store(batch)
            await run.drain()
        finally:
            ctx.models = own  # the session closes its own store, never the cache's
            if models is not None:
                # Read from Akeneo whether or not the batch commits.
                models.remember(reader.models_read, read_at)
        await run.commit(record(run.previous, report, reader.unseen))
    report.requests = _requests(client) - before
    report.media_files = run.media.count if run.media else 0
    report.seconds = time.monotonic() - clock
    return Applied(report, unseen=reader.unseen, reference=ctx.reference)


async def _read_reference(ctx: ReadContext, state: Mapping[str, Any], wanted: set[str]) -> None:
    """From the destination plus what changed upstream since its cursors (a few requests);
    whole from Akeneo when the destination cannot give it (flat rows, a subset of resources)."""
    if set(extract.REFERENCE) <= wanted:
        light = await light_reference(ctx, stored_cursors(state))
        if light is not None:
            ctx.use_reference(light)
            return
    await ctx.ref()


def _requests(client: AkeneoClient) -> int:
    return client.stats.requests
