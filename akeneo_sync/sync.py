"""The runner: the one place that composes client, extract, transforms and a sink.

    reference data ──(concurrent)──▶ lookups ──┐
    product models ──(partitions)──▶ in memory ├─▶ transform ─▶ queue ─▶ writer ─▶ sink
    products ────────(partitions, streamed)────┘

Pages flow through a bounded queue to one writer task, so memory stays flat however large the
catalog and HTTP keeps going while the sink writes. The sink runs on one dedicated thread (its
driver may not like being called from several) and commits data together with the run state.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient
from akeneo_sync.errors import SinkError
from akeneo_sync.extract import Doc, Filters, Partition
from akeneo_sync.sinks.base import Sink, SinkContext
from akeneo_sync.transform.lookups import Lookups, apply_labels, enrich_category
from akeneo_sync.transform.variants import merge_chain

log = logging.getLogger("akeneo_sync")

T = TypeVar("T")

REFERENCE = tuple(r.name for r in res.ALL if r.name not in ("products", "product_models", "assets"))


class Progress(Protocol):
    def start(self, resource: str, total: int | None) -> None: ...
    def advance(self, resource: str, count: int) -> None: ...
    def finish(self, resource: str) -> None: ...


class NoProgress:
    def start(self, resource: str, total: int | None) -> None:
        pass

    def advance(self, resource: str, count: int) -> None:
        pass

    def finish(self, resource: str) -> None:
        pass


@dataclass
class ExportOptions:
    filters: Filters = field(default_factory=Filters)
    resources: tuple[str, ...] = tuple(r.name for r in res.ALL)
    labels: str | None = None
    """Resolve option labels, category paths, family and record labels in this locale."""
    media_dir: Path | None = None
    batch_size: int = 1000
    queue_pages: int = 16


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    media_files: int = 0
    seconds: float = 0.0
    mode: str = "full"


class SinkThread:
    """Runs every call of one sink on one thread, off the event loop."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sink")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


class Writer:
    """Batches documents per resource and writes them in queue order; ``after`` callbacks run
    once everything queued before them is written (used to record checkpoints)."""

    def __init__(self, sink: SinkThread, progress: Progress, batch_size: int, depth: int) -> None:
        self.sink = sink
        self.progress = progress
        self.batch_size = batch_size
        self.counts: dict[str, int] = {}
        self._queue: asyncio.Queue[tuple[res.Resource, list[Doc]] | Callable[[], Any] | None] = (
            asyncio.Queue(maxsize=depth)
        )
        self._buffers: dict[str, tuple[res.Resource, list[Doc]]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def put(self, resource: res.Resource, docs: list[Doc]) -> None:
        await self._send((resource, docs))

    async def then(self, callback: Callable[[], Any]) -> None:
        await self._send(callback)

    async def drain(self) -> None:
        await self._send(None)
        assert self._task is not None
        await self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _send(self, item: Any) -> None:
        """Queue an item, or raise the writer's error if it died (a full queue would otherwise
        block the readers forever)."""
        assert self._task is not None
        sending = asyncio.ensure_future(self._queue.put(item))
        await asyncio.wait({sending, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not sending.done():
            sending.cancel()
        if self._task.done():
            self._task.result()  # raises the writer's error

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None or callable(item):
                await self._flush()
                if item is None:
                    return
                item()
                continue
            resource, docs = item
            _, buffer = self._buffers.setdefault(resource.name, (resource, []))
            buffer.extend(docs)
            if len(buffer) >= self.batch_size:
                await self._write(resource, buffer)
                self._buffers[resource.name] = (resource, [])

    async def _flush(self) -> None:
        for resource, buffer in list(self._buffers.values()):
            if buffer:
                await self._write(resource, buffer)
        self._buffers.clear()

    async def _write(self, resource: res.Resource, docs: list[Doc]) -> None:
        await self.sink.call(self.sink.sink.write, resource, docs)
        self.counts[resource.name] = self.counts.get(resource.name, 0) + len(docs)
        self.progress.advance(resource.name, len(docs))


async def export(
    client: AkeneoClient,
    sink: Sink,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
) -> Summary:
    """A full export of the chosen resources into ``sink``; raises on any failure, leaving the
    destination as it was before (file sinks) or at its last commit (databases)."""
    options = options or ExportOptions()
    progress = progress or NoProgress()
    started = time.monotonic()
    run_started = datetime.now(UTC)
    wanted = set(options.resources)
    unknown = wanted - set(res.BY_NAME)
    if unknown:
        raise ValueError(f"unknown resources: {', '.join(sorted(unknown))}")

    reference = await extract.read_reference(client, wanted)
    attributes = {a["code"]: a for a in reference["attributes"]}
    lookups = Lookups.build(
        options.labels,
        attributes=attributes,
        attribute_options=reference["attribute_options"],
        categories=reference["categories"],
        families=reference["families"],
        reference_entity_records=reference["reference_entity_records"],
    )
    chosen = [r for r in res.ALL if r.name in wanted]
    thread = SinkThread(sink)
    writer = Writer(thread, progress, options.batch_size, options.queue_pages)
    media = _MediaFetcher(client, options.media_dir) if options.media_dir else None
    ok = False
    try:
        context = SinkContext(chosen, attributes=attributes, label_locale=options.labels)
        await thread.call(sink.open, context)
        writer.start()
        await _write_reference(client, reference, chosen, lookups, progress, writer)
        families = [f["code"] for f in reference["families"]]
        models = await _read_models(client, options, families, progress, writer, lookups, wanted)
        if "products" in wanted:
            await _read_products(
                client, options, families, models, attributes, lookups, progress, writer, media
            )
        if media:
            await media.wait()
        await writer.drain()
        state = {
            "version": 1,
            "last_run": {
                "mode": "full",
                "started_at": run_started.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "counts": writer.counts,
            },
        }
        await thread.call(sink.commit, state)
        ok = True
    finally:
        writer.cancel()
        try:
            await thread.call(sink.close, ok)
        finally:
            thread.shutdown()
    stats = client.stats
    return Summary(
        counts=writer.counts,
        requests=stats.requests,
        retries=stats.retries,
        throttled=stats.throttled,
        media_files=media.count if media else 0,
        seconds=time.monotonic() - started,
    )


async def _write_reference(
    client: AkeneoClient,
    reference: Mapping[str, list[Doc]],
    chosen: list[res.Resource],
    lookups: Lookups,
    progress: Progress,
    writer: Writer,
) -> None:
    for resource in chosen:
        if resource.name in reference:
            docs = reference[resource.name]
            if resource is res.CATEGORIES:
                docs = [enrich_category(doc, lookups) for doc in docs]
            progress.start(resource.name, len(docs))
            await writer.put(resource, docs)
            await writer.then(functools.partial(progress.finish, resource.name))
    if res.ASSETS in chosen:
        progress.start("assets", None)
        families = [f["code"] for f in reference["asset_families"]]
        async for page in extract.asset_pages(client, families):
            await writer.put(res.ASSETS, page)
        await writer.then(lambda: progress.finish("assets"))


async def _read_models(
    client: AkeneoClient,
    options: ExportOptions,
    families: list[str],
    progress: Progress,
    writer: Writer,
    lookups: Lookups,
    wanted: set[str],
) -> dict[str, Doc]:
    """All product models of the chosen families, held in memory (a few per cent of products)
    because every variant product needs its chain; written merged and labelled."""
    if not wanted & {"products", "product_models"}:
        return {}
    models: dict[str, Doc] = {}
    model_filters = Filters(families=options.filters.families)
    parts = extract.partitions(model_filters, families, products=False)
    total = await client.count("/product-models", model_filters.search(products=False))
    progress.start("product_models", total)

    async def keep(_: Partition, page: list[Doc]) -> None:
        for model in page:
            models[model["code"]] = model

    # Models are read unscoped: a variant in the channel's tree may have a parent that is not.
    await extract.read_partitioned(client, res.PRODUCT_MODELS, parts, model_filters, keep)
    if "product_models" in wanted:
        docs = [
            _finish(merge_chain(m, models, lookups.attributes), lookups) for m in models.values()
        ]
        for start in range(0, len(docs), options.batch_size):
            await writer.put(res.PRODUCT_MODELS, docs[start : start + options.batch_size])
    await writer.then(lambda: progress.finish("product_models"))
    return models


async def _read_products(
    client: AkeneoClient,
    options: ExportOptions,
    families: list[str],
    models: Mapping[str, Doc],
    attributes: Mapping[str, Doc],
    lookups: Lookups,
    progress: Progress,
    writer: Writer,
    media: _MediaFetcher | None,
) -> None:
    filters = options.filters
    progress.start("products", await client.count("/products-uuid", filters.search(products=True)))

    async def on_page(_: Partition, page: list[Doc]) -> None:
        docs = [_finish(merge_chain(p, models, attributes), lookups) for p in page]
        if media:
            media.fetch(code for doc in docs for code in extract.media_codes(doc, attributes))
        await writer.put(res.PRODUCTS, docs)

    parts = extract.partitions(filters, families, products=True)
    await extract.read_partitioned(client, res.PRODUCTS, parts, filters, on_page)
    await writer.then(lambda: progress.finish("products"))


def _finish(doc: Doc, lookups: Lookups) -> Doc:
    return apply_labels(doc, lookups) if lookups.locale else doc


class _MediaFetcher:
    """Downloads media files into a directory, each once, never outside it."""

    def __init__(self, client: AkeneoClient, root: Path) -> None:
        self.client = client
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def fetch(self, codes: Iterable[str]) -> None:
        for code in codes:
            if code in self._seen:
                continue
            self._seen.add(code)
            target = (self.root / code).resolve()
            if not target.is_relative_to(self.root):
                raise SinkError(f"media code {code!r} would be written outside {self.root}")
            if target.exists():
                continue
            task = asyncio.create_task(self._download(code, target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _download(self, code: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as out:

            def write(chunk: bytes) -> None:
                if not chunk:  # a (re)start: drop what an earlier attempt wrote
                    out.seek(0)
                    out.truncate()
                out.write(chunk)

            await self.client.download_media(code, write)
        partial.replace(target)
        self.count += 1

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
