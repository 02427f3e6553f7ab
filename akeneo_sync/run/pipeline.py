"""The moving parts between reading and storing: the sink's thread, the writer queue, progress.

Pages flow through a bounded queue to one writer task, so memory stays flat however large the
catalog and HTTP keeps going while the sink writes. The sink runs on one dedicated thread (its
driver may not like being called from several). Callbacks queued with ``Writer.then`` run once
everything queued before them is written: that is how a checkpoint never runs ahead of its data.

Between the event loop and a database there are two hand-offs, for two different reasons:

    event loop ──(Writer queue)──▶ sink thread: shape rows ──(SqlSink's writer)──▶ store
                 keeps the loop free              Python, holds the GIL          the driver's C
                 for HTTP                                                          code and the
                                                                                   server's work

Shaping a batch (JSON, ``product_value_tuples``) is Python work that would stall the HTTP reads if
it ran on the loop; storing it is mostly outside the GIL (SQLite's B-trees, a PostgreSQL or
MySQL server on the other core). The SQL sink's own background writer (``sinks/_sqlwriter.py``)
stores batch N while this thread shapes batch N+1, so the two overlap; sinks whose writes are
cheap store inline.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from akeneo_sync.errors import AkeneoSyncError, SinkError
from akeneo_sync.resources import Resource
from akeneo_sync.sinks.base import Doc, Sink
from akeneo_sync.transform.shapes import shape_rows

T = TypeVar("T")


class Progress(Protocol):
    def start(self, resource: str, total: int | None) -> None: ...
    def advance(self, resource: str, count: int) -> None: ...
    def finish(self, resource: str) -> None: ...


class NoProgress:
    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def start(self, resource: str, total: int | None) -> None:
        pass

    def advance(self, resource: str, count: int) -> None:
        pass

    def finish(self, resource: str) -> None:
        pass


class SinkThread:
    """Runs every call of one sink on one thread, off the event loop; a failure that is not
    already one of ours becomes a ``SinkError`` naming the destination."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sink")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))
        except AkeneoSyncError:
            raise
        except Exception as exc:
            raise SinkError(f"{self.sink.url}: {type(exc).__name__}: {exc}") from exc

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


# The documents of an export are trees that reference counting frees; the garbage collector
# finds nothing in them, yet with CPython's default thresholds it traverses nearly every one of
# them twice (a decoded page of 100 products holds ~6,500 tracked lists and dicts: 9 young
# collections while it is decoded, and what survives is traversed again by the middle ones):
# 9-18 % of an export's CPU (bench/cpu_per_product.py, "of it GC"), all of it holding the GIL.
# While any writer runs:
# - a young collection waits for 100,000 more tracked objects alive than at the last one
#   (instead of 700): ~100 of them in a 20,000-product export instead of ~6,000, each
#   traversing what is alive then (up to ~0.3 s); into PostgreSQL 0.6 s in all instead of 2.4,
#   into JSONL 0.3 s instead of 1.3, into SQLite 1.3-1.8 s instead of 1.6-2.0 (its batches of
#   rows are alive when a collection comes). Garbage in cycles (asyncio's and httpx's, rare)
#   waits for at most that many objects: tens of MB at worst;
# - a full collection waits for 1,000 middle ones (instead of 10): it would traverse every
#   object alive, ~100 ms each, stopping the event loop and Akeneo's slots with it. That much is
#   safe because an httpx response no longer waits for one (``client/http.py`` lets its
#   stream go): it sat in a reference cycle with its ~400 KB body.
# The caller's thresholds come back when the last writer stops.
_SPACED_YOUNG_COLLECTIONS = 100_000
_SPACED_FULL_COLLECTIONS = 1000
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved = gc.get_threshold()


def _space_collections() -> None:
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            young, middle, old = _gc_saved
            gc.set_threshold(
                max(young, _SPACED_YOUNG_COLLECTIONS), middle, max(old, _SPACED_FULL_COLLECTIONS)
            )
        _gc_users += 1


def _restore_collections() -> None:
    global _gc_users
    with _gc_lock:
        _gc_users -= 1
        if _gc_users == 0:
            gc.set_threshold(*_gc_saved)


class Writer:
    """Batches documents per resource, shapes them for the sink and writes them in queue order."""

    def __init__(
        self,
        sink: SinkThread,
        progress: Progress,
        batch_size: int,
        depth: int,
        attributes: Mapping[str, Doc] | None = None,
    ) -> None:
        self.sink = sink
        self.attributes: Mapping[str, Doc] = {} if attributes is None else attributes
        """Attribute code -> document, read when shaping (so filled before any product)."""
        self.progress = progress
        self.batch_size = batch_size
        self.counts: dict[str, int] = {}
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=depth)
        self._buffers: dict[str, tuple[Resource, list[Doc]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._deferred: list[Callable[[], None]] = []
        self._spacing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        if not self._spacing:
            self._spacing = True
            _space_collections()

    async def put(self, resource: Resource, docs: list[Doc]) -> None:
        if docs:
            await self._send((resource, docs))

    async def then(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` (sync or async) after everything queued so far is written; the
        batches in hand are written at once (a checkpoint, the end of a resource)."""
        await self._send(callback)

    async def after(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once everything queued before it is written, without cutting the
        batches short: it waits for the next ``then`` or ``drain`` (cursor positions)."""
        await self._send(_After(callback))

    async def drain(self) -> None:
        await self._send(None)
        assert self._task is not None
        await self._task
        self._stop_spacing()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._stop_spacing()

    def _stop_spacing(self) -> None:
        if self._spacing:
            self._spacing = False
            _restore_collections()

    async def _send(self, item: Any) -> None:
        """Queue an item, or raise the writer's error if it died (a full queue would otherwise
        block the readers forever)."""
        assert self._task is not None, "Writer.start() was not called"
        sending = asyncio.ensure_future(self._queue.put(item))
        await asyncio.wait({sending, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not sending.done():
            sending.cancel()
        # The end marker may be taken and the task finish before this wakes up: not an error.
        if self._task.done() and not (item is None and sending.done()):
            self._task.result()  # raises the writer's error
            raise RuntimeError("the writer stopped before the run ended")

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            if isinstance(item, _After):
                self._deferred.append(item.callback)
                continue
            if item is None or callable(item):
                await self._flush()
                for deferred in self._deferred:
                    deferred()
                self._deferred.clear()
                if item is None:
                    return
                result = item()
                if inspect.isawaitable(result):
                    await result
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

    async def _write(self, resource: Resource, docs: list[Doc]) -> None:
        await self.sink.call(self._store, resource, docs)
        self.counts[resource.name] = self.counts.get(resource.name, 0) + len(docs)
        self.progress.advance(resource.name, len(docs))

    def _store(self, resource: Resource, docs: list[Doc]) -> None:
        """On the sink's thread: shape the documents as the sink stores them, and write."""
        sink = self.sink.sink
        shaped = shape_rows(sink.shape, resource, docs, self.attributes)
        sink.write(resource, shaped.rows, shaped.values)


class _After:
    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
