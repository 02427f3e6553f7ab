"""The runner: the one place that composes client, extract, transforms and a sink.

    reference data ──(concurrent)──▶ lookups ──┐
    product models ──(partitions)──▶ in memory ├─▶ transform ─▶ Writer ─▶ sink
    products ────────(partitions, streamed)────┘

A *full* run reads everything; it commits a checkpoint (how far each product cursor got) every
``checkpoint_every`` products, so a run killed at any point resumes from there. An *incremental*
run (``incremental.py``) reads only what changed since the stored cursor. Either way the state is
committed with the data it covers, and the cursor is the time the run started minus an overlap,
never the largest ``updated`` seen.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from akeneo_sync import deletions, extract
from akeneo_sync import incremental as inc
from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient, Page
from akeneo_sync.extract import Doc, Filters, Partition
from akeneo_sync.media import MediaFetcher
from akeneo_sync.modelstore import ModelStore
from akeneo_sync.pipeline import NoProgress, Progress, SinkThread, Writer
from akeneo_sync.sinks.base import Sink, SinkContext
from akeneo_sync.transform.lookups import Lookups, apply_labels, enrich_category
from akeneo_sync.transform.variants import merge_chain, restrict_values

log = logging.getLogger("akeneo_sync")

STATE_VERSION = 1
PAGE = 100  # documents per queued piece, as Akeneo pages them
Deletes = Literal["soft", "hard", "ignore"]


@dataclass
class ExportOptions:
    filters: Filters = field(default_factory=Filters)
    resources: tuple[str, ...] = tuple(r.name for r in res.ALL)
    labels: str | None = None
    """Resolve option labels, category paths, family and record labels in this locale."""
    media_dir: Path | None = None
    batch_size: int = 500
    queue_pages: int = 16
    checkpoint_every: int = 10_000
    """Products between two mid-run commits of a full run (on sinks that commit cheaply)."""
    overlap: timedelta = timedelta(minutes=5)
    """How far before the last run's start the next incremental run looks (index lag, skew)."""
    deletes: Deletes = "soft"
    reconcile_every: int | timedelta = timedelta(hours=1)
    """Re-read and diff the reference data when its last whole read is this old, or every Nth
    incremental run (an int; 0: never). Deleted products and models are looked for every run."""


@dataclass
class Summary:
    mode: str = "full"
    counts: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    """Per resource, how it was read: full, incremental, re-read and diffed."""
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    media_files: int = 0
    seconds: float = 0.0
    interrupted: bool = False


class Run:
    """One run against one sink; ``execute`` picks full, resumed full or incremental."""

    def __init__(
        self,
        client: AkeneoClient,
        sink: Sink,
        options: ExportOptions,
        progress: Progress | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.client = client
        self.sink = sink
        self.options = options
        self.progress = progress or NoProgress()
        self.stop = stop or asyncio.Event()
        self.thread = SinkThread(sink)
        self.attributes: dict[str, Doc] = {}
        # The writer shapes products with ``self.attributes``: it is filled before any is written.
        self.writer = Writer(
            self.thread, self.progress, options.batch_size, options.queue_pages, self.attributes
        )
        self.summary = Summary()
        self.state: dict[str, Any] = {}
        self.started = datetime.now(UTC)
        self.wanted = set(options.resources)
        unknown = self.wanted - set(res.BY_NAME)
        if unknown:
            raise ValueError(f"unknown resources: {', '.join(sorted(unknown))}")
        self.chosen = [r for r in res.ALL if r.name in self.wanted]
        self.media = MediaFetcher(client, options.media_dir) if options.media_dir else None
        self.reference: dict[str, list[Doc]] = {}
        self.lookups = Lookups()
        self.families: list[str] = []
        self.value_locales: list[str] | None = None
        self.models = ModelStore()
        # Per partition of a full run: the next page to read, None once done.
        self.positions: dict[str, dict[str, str | None]] = {}
        # Per resource: when this run's query of it started (its next cursor, minus overlap).
        self.marks: dict[str, datetime] = {}
        self.light = False
        """Reference data came from the destination plus its ``updated`` changes."""
        self.stored_reference: dict[str, dict[Any, Doc]] = {}
        """The destination's reference documents by key, as ``inc.stored_docs`` read them."""

    async def execute(self, *, incremental: bool) -> Summary:
        clock = time.monotonic()
        context = SinkContext(self.chosen)
        ok = False
        try:
            # The destination first: a second run is refused by its lock, and a destination that
            # cannot be written fails, before any request to Akeneo.
            await self.thread.call(self.sink.open, context)
            stored: dict[str, Any] | None = await self.thread.call(self.sink.read_state)
            self.state = stored or {}
            self.reference = await self.read_reference(incremental)
            self.attributes.update((a["code"], a) for a in self.reference["attributes"])
            self.families = [f["code"] for f in self.reference["families"]]
            self.lookups = self.build_lookups(self.reference)
            filters = self.options.filters
            # With a channel and no locales, Akeneo limits values to the channel's locales.
            channel = next(
                (c for c in self.reference["channels"] if c["code"] == filters.channel), {}
            )
            self.value_locales = filters.locales or channel.get("locales")
            self.writer.start()
            resume = self.state.get("resume")
            if resume and resume.get("kind") == "full":
                self.summary.mode = "resumed full"
                await self.full(resume)
            elif incremental and inc.can_run_incrementally(self):
                self.summary.mode = "incremental"
                await inc.run_incremental(self)
            else:
                await self.full(None)
            await deletions.after_full(self)
            if self.media:
                await self.media.wait()
            await self.writer.drain()
            await self.thread.call(self.sink.commit, self.final_state())
            ok = True
        finally:
            self.writer.cancel()
            self.models.close()
            try:
                await self.thread.call(self.sink.close, ok)
            finally:
                self.thread.shutdown()
        stats = self.client.stats
        self.summary.counts = self.writer.counts
        self.summary.requests, self.summary.retries = stats.requests, stats.retries
        self.summary.throttled = stats.throttled
        self.summary.media_files = self.media.count if self.media else 0
        self.summary.seconds = time.monotonic() - clock
        self.summary.interrupted = self.stop.is_set()
        return self.summary

    # -- shared steps ------------------------------------------------------------------------

    def stored_models_usable(self) -> bool:
        """Whether the destination holds the product models as documents this run can merge
        with (flat file rows cannot be turned back into documents)."""
        return "product_models" in self.wanted and self.sink.shape != "flat"

    async def read_reference(self, incremental: bool) -> dict[str, list[Doc]]:
        """Between two reconciling incremental runs, from the destination and its upstream
        changes; otherwise all of it from Akeneo."""
        if incremental and not self.state.get("resume") and inc.can_run_incrementally(self):
            light = await inc.light_reference(self)
            if light is not None:
                return light
        self.light = False
        self.summary.how.clear()
        return await extract.read_reference(self.client, self.wanted)

    def build_lookups(self, reference: Mapping[str, list[Doc]]) -> Lookups:
        return Lookups.build(
            self.options.labels,
            attributes=self.attributes,
            attribute_options=reference["attribute_options"],
            categories=reference["categories"],
            families=reference["families"],
            reference_entity_records=reference["reference_entity_records"],
        )

    def finish(self, doc: Doc) -> Doc:
        """A product or model merged with its chain (``self.models``) and labelled."""
        merged = merge_chain(doc, self.models, self.attributes)
        if self.value_locales is not None or self.options.filters.channel:
            merged = restrict_values(merged, self.value_locales, self.options.filters.channel)
        return apply_labels(merged, self.lookups) if self.options.labels else merged

    def prepare(self, resource: res.Resource, docs: list[Doc]) -> list[Doc]:
        if resource is res.CATEGORIES:
            return [enrich_category(doc, self.lookups) for doc in docs]
        return docs

    async def write_products(self, docs: list[Doc]) -> None:
        if self.media:
            self.media.fetch(
                code for doc in docs for code in extract.media_codes(doc, self.attributes)
            )
        await self.writer.put(res.PRODUCTS, docs)

    async def done(self, name: str) -> None:
        await self.writer.then(functools.partial(self.progress.finish, name))

    def mark(self, name: str) -> None:
        """``name``'s query starts now: what changes from here on, the next run reads."""
        self.marks.setdefault(name, datetime.now(UTC))

    def cursors(self) -> dict[str, str]:
        cursors = inc.stored_cursors(self.state)
        for resource in self.chosen:
            start = self.marks.get(resource.name, self.started)
            cursors[resource.name] = extract.akeneo_datetime(start - self.options.overlap)
        return cursors

    def final_state(self) -> dict[str, Any]:
        state = {k: v for k, v in self.state.items() if k not in ("resume", "cursor")}
        state["version"] = STATE_VERSION
        state["last_run"] = {
            "mode": self.summary.mode,
            "started_at": self.started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "counts": dict(self.writer.counts),
            "deleted": dict(self.summary.deleted),
        }
        if self.stop.is_set():
            # Not everything was read: keep the old cursor, and how far a full run got.
            state["last_run"]["interrupted"] = True
            if self.positions:
                state["resume"] = self.resume_state()
        else:
            state["cursors"] = self.cursors()
            state["runs"] = int(self.state.get("runs", 0)) + 1
            if not self.light:
                state["reference_read_at"] = self.started.isoformat()
        return state

    # -- a full run --------------------------------------------------------------------------

    async def full(self, resume: Mapping[str, Any] | None) -> None:
        if resume:
            self.started = datetime.fromisoformat(resume["started_at"])
            marks = resume.get("marks", {}).items()
            self.marks = {k: datetime.fromisoformat(v) for k, v in marks}
            self.positions = {k: dict(v) for k, v in resume.get("positions", {}).items()}
        for resource in self.chosen:
            self.summary.how[resource.name] = "full"
            if resource.name in self.reference:
                docs = self.prepare(resource, self.reference[resource.name])
                self.progress.start(resource.name, len(docs))
                await self.writer.put(resource, docs)
                await self.done(resource.name)
        if res.ASSETS in self.chosen:
            self.mark("assets")
            self.progress.start("assets", None)
            asset_families = [f["code"] for f in self.reference["asset_families"]]
            async for page in extract.asset_pages(self.client, asset_families):
                await self.writer.put(res.ASSETS, page)
            await self.done("assets")
        if self.wanted & {"products", "product_models"}:
            await self.read_all_models()
        if "products" in self.wanted and not self.stop.is_set():
            await self.read_all_products()

    async def read_all_models(self) -> None:
        """All product models of the chosen families, held in memory (a few per cent of
        products) because every variant product needs its chain; written merged."""
        self.mark("product_models")
        model_filters = Filters(families=self.options.filters.families)
        total = await self.client.count("/product-models", model_filters.search(products=False))
        self.progress.start("product_models", total)

        async def keep(_: Partition, page: Page) -> None:
            self.models.update_many(page)

        # Models are read unscoped: a variant in the channel's tree may have a parent that is not.
        parts = extract.partitions(model_filters, self.families, products=False)
        await extract.read_partitioned(self.client, res.PRODUCT_MODELS, parts, model_filters, keep)
        if "product_models" in self.wanted:
            for batch in self.models.docs(PAGE):  # queue-sized pieces: memory stays flat
                await self.writer.put(res.PRODUCT_MODELS, [self.finish(m) for m in batch])
        await self.done("product_models")

    async def read_all_products(self) -> None:
        self.mark("products")
        filters = self.options.filters
        total = await self.client.count("/products-uuid", filters.search(products=True))
        self.progress.start("products", total)
        positions = self.positions.setdefault("products", {})
        parts = []
        for part in extract.partitions(filters, self.families, products=True):
            if part.name not in positions:
                parts.append(part)
            elif positions[part.name] is not None:
                parts.append(replace(part, start_url=positions[part.name]))
        since_checkpoint = 0
        # A page's products and its position are queued back to back, so a checkpoint never
        # commits products whose position it does not record (they would be read again).
        queueing = asyncio.Lock()

        async def on_page(part: Partition, page: Page) -> None:
            nonlocal since_checkpoint
            docs = [self.finish(p) for p in page]
            async with queueing:
                await self.write_products(docs)
                await self.writer.after(
                    functools.partial(positions.__setitem__, part.name, page.next_url)
                )
                since_checkpoint += len(page)
                if since_checkpoint >= self.options.checkpoint_every:
                    since_checkpoint = 0
                    await self.writer.then(self.checkpoint)

        await extract.read_partitioned(
            self.client, res.PRODUCTS, parts, filters, on_page, stop=self.stop
        )
        await self.done("products")

    def resume_state(self) -> dict[str, Any]:
        return {
            "kind": "full",
            "started_at": self.started.isoformat(),
            "marks": {k: v.isoformat() for k, v in self.marks.items()},
            "positions": {k: dict(v) for k, v in self.positions.items()},
        }

    async def checkpoint(self) -> None:
        state = {**self.state, "version": STATE_VERSION, "resume": self.resume_state()}
        await self.thread.call(self.sink.checkpoint, state)


async def export(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
) -> Summary:
    """A full export (resuming an unfinished one); raises on any failure, leaving the destination
    at its last checkpoint (databases; files keep their outputs as they were and the checkpoint
    aside for the next run)."""
    return await Run(client, sink, options or ExportOptions(), progress, stop).execute(
        incremental=False
    )


async def sync(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    *,
    full: bool = False,
) -> Summary:
    """The first run (or ``full``) exports everything; later runs read only what changed."""
    return await Run(client, sink, options or ExportOptions(), progress, stop).execute(
        incremental=not full
    )
