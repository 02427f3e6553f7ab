"""A session's full read of product models and products, as one job for Akeneo's slots.

Both listings are split into parts of similar size (``plan.py``); one cursor a slot reads them,
model parts first, then product parts, each largest first, so a slot freed by the last model part
goes straight to a product part: no phase waits for its slowest cursor. It starts with the session's
first answer from Akeneo, while the reference data is still being read, and goes on in the
background while the caller writes what came before:

- model pages go into the model store; ``models()`` waits until every one is there;
- product pages wait in a queue until ``products()`` takes them, which starts once the reference
  data and every model are in (a variant is merged with its models) and the caller has written
  what came before: a few pages in memory, and until the caller takes its first one, a few
  hundred more in a temporary file, so the cursors keep reading meanwhile (``PageQueue``).

A product part resumed from a checkpoint goes on from its next page; the parts themselves are
rebuilt from the checkpoint's names (``plan.from_names``), so the split is the one of the
interrupted run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import IO, Any, Protocol

import orjson

from akeneo_sync import plan
from akeneo_sync.client import AkeneoClient, Page
from akeneo_sync.extract import Filters
from akeneo_sync.run.modelstore import ModelStore
from akeneo_sync.run.options import ExportOptions
from akeneo_sync.run.state import Marks

log = logging.getLogger("akeneo_sync")

QUEUED_PAGES = 16
"""Product pages read ahead of the caller, in memory (a few MB)."""
SPILLED_PAGES = 500
"""More of them, before the caller takes its first, in a temporary file (about 200 MB at most):
what 4 slots read in 50 s at 0.4 s a page, while the caller writes the models."""

_MODELS, _PRODUCTS = 0, 1


class ReadContext(Protocol):
    """What a full read uses of its session's ``run.context.ReadContext``."""

    client: AkeneoClient
    options: ExportOptions
    stop: asyncio.Event
    marks: Marks
    models: ModelStore

    async def reached(self) -> None: ...


def model_filters(ctx: ReadContext) -> Filters:
    """Models are read unscoped: a variant in the channel's tree may have a parent that is not.
    They carry the same attributes as products (a variant's values are merged from them);
    Akeneo computes no completeness for models."""
    filters = ctx.options.filters
    return Filters(
        families=filters.families,
        attributes=filters.attributes,
        with_quality_scores=filters.with_quality_scores,
    )


class FullRead:
    def __init__(self, ctx: ReadContext) -> None:
        """The models are read at once, the products once wanted (``want_products``)."""
        self.ctx = ctx
        self.positions: dict[str, str | None] = {}
        """Every product part by name: its next page, "" before its first, None once done."""
        self._wanted = asyncio.Event()
        self.models_done = asyncio.Event()
        self.totals: dict[str, asyncio.Future[int | None]] = {
            name: asyncio.get_running_loop().create_future()
            for name in ("product_models", "products")
        }
        self.pages = PageQueue(QUEUED_PAGES, SPILLED_PAGES)
        self.task = asyncio.create_task(self._run())

    def want_products(self, positions: Mapping[str, str | None] | None = None) -> None:
        """Read the products too (after the models), from ``positions`` (a checkpoint's parts
        and how far each got) if given; the first call decides."""
        if not self._wanted.is_set():
            self.positions = dict(positions or {})
            self._wanted.set()

    def close(self) -> None:
        self.task.cancel()
        if self.task.done() and not self.task.cancelled():
            self.task.exception()  # retrieved: the caller saw it, or failed before
        self.pages.close()

    async def total(self, resource: str) -> int | None:
        return await self._until(self.totals[resource])

    async def models(self) -> None:
        """Every model in the store."""
        await self._until(asyncio.ensure_future(self.models_done.wait()))

    async def products(self) -> AsyncIterator[tuple[str, Page]]:
        """Product pages as the cursors read them, each with its part's name."""
        while (item := await self._until(asyncio.ensure_future(self.pages.get()))) is not None:
            yield item

    async def _until(self, waiter: asyncio.Future[Any]) -> Any:
        """``waiter``'s result, or what the background read raised (a failed read lets its
        waiters go too: its error comes first)."""
        if not waiter.done():
            await asyncio.wait({waiter, self.task}, return_when=asyncio.FIRST_COMPLETED)
        failed = self.task.done() and not self.task.cancelled() and self.task.exception()
        if failed or (not waiter.done() and self.task.cancelled()):
            waiter.cancel()
            self.task.result()  # raises the read's error (or CancelledError)
        return await waiter  # the read ended well: what it left is there

    async def _plan(
        self, resource: str, filters: Filters, scope: str | None
    ) -> list[plan.Partition]:
        base = filters.search(products=resource == "products")
        client, params = self.ctx.client, {"scope": scope}
        survey = await plan.take_survey(client, resource, base, params)
        self.totals[resource].set_result(survey.total)
        # Models are followed by products, which fill the slots their last parts leave.
        products = resource == "products"
        return await plan.plan(
            client,
            resource,
            base,
            slots=client.concurrency,
            params=params,
            survey=survey,
            per_slot=2 if products else 1,
            tail=products,
        )

    def _resumed(self, filters: Filters) -> list[plan.Partition] | None:
        """The checkpoint's parts not done yet, each from its next page."""
        parts = plan.from_names(filters.search(products=True), self.positions)
        if parts is None:
            log.info("the checkpoint's product cursors are of an older release: reading again")
            return None
        self.totals["products"].set_result(None)
        reached = self.positions  # "": not started; None: done
        return [
            replace(p, start_url=reached[p.name] or None)
            for p in parts
            if reached[p.name] is not None
        ]

    async def _product_parts(self) -> list[plan.Partition]:
        await self._wanted.wait()
        filters = self.ctx.options.filters
        self.ctx.marks.mark("products")
        parts = self._resumed(filters) if self.positions else None
        if parts is None:
            parts = await self._plan("products", filters, filters.channel)
            # Every part named before its first page: a checkpoint rebuilds them all.
            self.positions = {p.name: "" for p in parts}
        return parts

    async def _run(self) -> None:
        ctx = self.ctx
        await ctx.reached()
        models = model_filters(ctx)
        workers = ctx.client.concurrency
        # Model parts first (variants wait for them), then product parts, each in plan order;
        # then the end of the work, one for each cursor.
        jobs: asyncio.Queue[tuple[int, plan.Partition] | None] = asyncio.Queue()
        left = {"models": 0}

        def queue(kind: int, parts: list[plan.Partition]) -> None:
            for part in parts:
                jobs.put_nowait((kind, part))

        def end() -> None:
            for _ in range(workers):
                jobs.put_nowait(None)

        async def plan_models() -> None:
            ctx.marks.mark("product_models")  # what changes from here on, the next run reads
            try:
                parts = await self._plan("product_models", models, None)
            except BaseException:
                end()  # the cursors end, and the error is raised (products may never be wanted)
                raise
            left["models"] = len(parts)
            queue(_MODELS, parts)
            if not parts:
                self.models_done.set()

        async def plan_products() -> None:
            # Planned beside the models, queued once the model parts are: a cursor must not
            # start a product part while models are left to plan (its pages wait for them).
            try:
                parts = await self._product_parts()
                await models_planned
                queue(_PRODUCTS, parts)
            finally:
                end()

        async def on_stop() -> None:
            await ctx.stop.wait()
            end()

        async def cursor() -> None:
            while not ctx.stop.is_set():
                job = await jobs.get()
                if job is None or ctx.stop.is_set():
                    return
                kind, part = job
                if kind == _MODELS:
                    await self._read(part, "product_models", models)
                    left["models"] -= 1
                    if not left["models"]:
                        self.models_done.set()
                else:
                    await self._read(part, "products", ctx.options.filters)

        # Until products are wanted, the cursors wait for them once the models are read.
        models_planned = asyncio.ensure_future(plan_models())
        planning = [models_planned, asyncio.ensure_future(plan_products())]
        stopper = asyncio.ensure_future(on_stop())
        try:
            await asyncio.gather(*(cursor() for _ in range(workers)))
            for task in planning:
                if task.done():
                    task.result()  # raises why the models or products could not be planned
        finally:
            self.models_done.set()  # stopped early too: whoever waits goes on with what is in
            stopper.cancel()
            for task in planning:
                task.cancel()
            log.debug("product cursors waited %.1f s for pages to be taken", self.pages.waited)
        await self.pages.put(None)

    async def _read(self, part: plan.Partition, resource: str, filters: Filters) -> None:
        ctx = self.ctx
        async for page in ctx.client.pages(
            resource, search=part.search, start_url=part.start_url, **filters.params()
        ):
            if resource == "product_models":
                ctx.models.update_many(page)
            else:
                await self.pages.put((part.name, page))
            if ctx.stop.is_set():
                return


class PageQueue:
    """Product pages on their way to the caller, in the order read: ``memory`` of them held as
    they are; before the caller takes its first, up to ``spill`` more written to a temporary
    file (orjson), read back in turn. Pages read while the caller works through that backlog
    join it, up to as many again: the cursors do not stop while it drains (a caller waiting on
    Akeneo takes pages about twice as fast as they come, its writes included), and a caller
    slower than the cursors (one limited by its own CPU) soon has them wait instead of paying
    the file for every page. Past that, ``put`` waits (``waited``: for how long)."""

    def __init__(self, memory: int, spill: int) -> None:
        self.memory, self.spill = memory, spill
        self.waited = 0.0
        """Seconds product cursors waited for the caller to take a page (slots left idle)."""
        self._held: deque[tuple[str, Page] | None] = deque()
        self._spilled: deque[tuple[int, int]] = deque()  # offset, length in the file
        self._file: IO[bytes] | None = None
        self._end = 0
        self._taken = False
        self._room = spill  # pages the file may still take
        self._changed = asyncio.Condition()

    async def put(self, item: tuple[str, Page] | None) -> None:
        async with self._changed:
            if not self._fits():
                began = time.monotonic()
                await self._changed.wait_for(self._fits)
                self.waited += time.monotonic() - began
            if not self._spilled and len(self._held) < self.memory:
                self._held.append(item)
            else:
                self._write(item)
            self._changed.notify_all()

    async def get(self) -> tuple[str, Page] | None:
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._held or self._spilled))
            if not self._taken:
                self._taken = True
                self._room = len(self._spilled)
            item = self._held.popleft() if self._held else self._read()
            self._changed.notify_all()
            return item

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def _fits(self) -> bool:
        if not self._spilled and len(self._held) < self.memory:
            return True
        return self._room > 0 and len(self._spilled) < self.spill

    def _write(self, item: tuple[str, Page] | None) -> None:
        if self._file is None:
            # Closed by ``close``; the file has no name, so nothing is left behind either way.
            self._file = tempfile.TemporaryFile(prefix="akeneo-sync-pages-")  # noqa: SIM115
        data = orjson.dumps(None if item is None else (item[0], item[1].next_url, item[1]))
        os.pwrite(self._file.fileno(), data, self._end)
        self._room -= 1
        self._spilled.append((self._end, len(data)))
        self._end += len(data)

    def _read(self) -> tuple[str, Page] | None:
        assert self._file is not None
        offset, length = self._spilled.popleft()
        found = orjson.loads(os.pread(self._file.fileno(), length, offset))
        if not self._spilled:
            self._end = 0  # the file is empty again: rewritten from the start
        if found is None:
            return None
        name, next_url, items = found
        page = Page(items)
        page.next_url = next_url
        return name, page
