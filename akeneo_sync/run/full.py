"""A full run: every resource read whole, products checkpointed as they come.

Product models are read first into the model store, because every variant product needs its
chain; products are then read by several search_after cursors at once (``extract.partitions``).
Every ``checkpoint_every`` products a checkpoint commits how far each cursor got, so a run
killed at any point resumes from there (``state.Marks``)."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import replace

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.extract import Filters, Partition
from akeneo_sync.run.context import PAGE, RunContext
from akeneo_sync.run.options import Report
from akeneo_sync.run.state import checkpoint_state


async def run_full(ctx: RunContext) -> Report:
    report = Report()
    for resource in ctx.chosen:
        report.how[resource.name] = "full"
        if resource.name in ctx.reference.docs:
            docs = ctx.prepare(resource, ctx.reference.docs[resource.name])
            ctx.progress.start(resource.name, len(docs))
            await ctx.writer.put(resource, docs)
            await ctx.done(resource.name)
    if res.ASSETS in ctx.chosen:
        ctx.marks.mark("assets")
        ctx.progress.start("assets", None)
        families = [f["code"] for f in ctx.reference.docs["asset_families"]]
        async for page in extract.asset_pages(ctx.client, families):
            await ctx.writer.put(res.ASSETS, page)
        await ctx.done("assets")
    if ctx.wanted & {"products", "product_models"}:
        await _read_all_models(ctx)
    if "products" in ctx.wanted and not ctx.stop.is_set():
        await _read_all_products(ctx)
    return report


async def _read_all_models(ctx: RunContext) -> None:
    """All product models of the chosen families, kept in the model store because every
    variant product needs its chain; written merged."""
    ctx.marks.mark("product_models")
    model_filters = Filters(families=ctx.options.filters.families)
    total = await ctx.client.count("product_models", model_filters.search(products=False))
    ctx.progress.start("product_models", total)

    async def keep(_: Partition, page: Page) -> None:
        ctx.models.update_many(page)

    # Models are read unscoped: a variant in the channel's tree may have a parent that is not.
    parts = extract.partitions(model_filters, ctx.families, products=False)
    await extract.read_partitioned(ctx.client, "product_models", parts, model_filters, keep)
    if "product_models" in ctx.wanted:
        for batch in ctx.models.docs(PAGE):  # queue-sized pieces: memory stays flat
            await ctx.writer.put(res.PRODUCT_MODELS, [ctx.finish(m) for m in batch])
    await ctx.done("product_models")


async def _read_all_products(ctx: RunContext) -> None:
    ctx.marks.mark("products")
    filters = ctx.options.filters
    total = await ctx.client.count("products", filters.search(products=True))
    ctx.progress.start("products", total)
    positions = ctx.marks.positions.setdefault("products", {})
    parts = []
    for part in extract.partitions(filters, ctx.families, products=True):
        if part.name not in positions:
            parts.append(part)
        elif positions[part.name] is not None:
            parts.append(replace(part, start_url=positions[part.name]))
    since_checkpoint = 0
    # A page's products and its position are queued back to back, so a checkpoint never
    # commits products whose position it does not record (they would be read again).
    queueing = asyncio.Lock()

    async def checkpoint() -> None:
        state = checkpoint_state(ctx.previous, ctx.marks)
        await ctx.thread.call(ctx.sink.checkpoint, state)

    async def on_page(part: Partition, page: Page) -> None:
        nonlocal since_checkpoint
        docs = [ctx.finish(p) for p in page]
        async with queueing:
            await ctx.write_products(docs)
            await ctx.writer.after(
                functools.partial(positions.__setitem__, part.name, page.next_url)
            )
            since_checkpoint += len(page)
            if since_checkpoint >= ctx.options.checkpoint_every:
                since_checkpoint = 0
                await ctx.writer.then(checkpoint)

    await extract.read_partitioned(ctx.client, "products", parts, filters, on_page, stop=ctx.stop)
    await ctx.done("products")
