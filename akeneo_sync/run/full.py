"""Full reads of the streamed resources: assets, product models and products.

Product models are read first into the model store, because every variant product needs its
chain. Products are read by several search_after cursors at once (``extract.partitions``); each
batch carries how far every cursor got (``position``), so a reader that stores it can resume an
interrupted read from there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.extract import Filters, Partition
from akeneo_sync.run.context import PAGE, Batch, ReadContext


async def read_assets(ctx: ReadContext, search: Any = None) -> AsyncIterator[Batch]:
    ctx.marks.mark("assets")
    reference = await ctx.ref()
    families = [f["code"] for f in reference.docs["asset_families"]]
    async for page in extract.asset_pages(ctx.client, families, search):
        yield Batch(res.ASSETS, page)


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


async def load_models(ctx: ReadContext) -> None:
    """Every product model of the chosen families into the model store, once a session."""
    if ctx.models_loaded:
        return
    await ctx.ref()
    ctx.marks.mark("product_models")
    filters = model_filters(ctx)

    async def keep(_: Partition, page: Page) -> None:
        ctx.models.update_many(page)

    parts = extract.partitions(filters, ctx.families, products=False)
    await extract.read_partitioned(ctx.client, "product_models", parts, filters, keep)
    ctx.models_loaded = True


async def read_models(ctx: ReadContext) -> AsyncIterator[Batch]:
    await load_models(ctx)
    for batch in ctx.models.docs(PAGE):  # batch-sized pieces: memory stays flat
        yield Batch(res.PRODUCT_MODELS, [ctx.finish(m) for m in batch])


async def read_products(
    ctx: ReadContext, positions: Mapping[str, str | None] | None = None
) -> AsyncIterator[Batch]:
    """Every product; each batch's ``position`` says how far every cursor got once it is
    stored (``positions``: the ones of such a position, to go on from)."""
    await load_models(ctx)
    ctx.marks.mark("products")
    started = ctx.marks.queried["products"].isoformat()
    filters = ctx.options.filters
    reached: dict[str, str | None] = dict(positions or {})
    parts = []
    for part in extract.partitions(filters, ctx.families, products=True):
        if part.name not in reached:
            parts.append(part)
        elif reached[part.name] is not None:
            parts.append(replace(part, start_url=reached[part.name]))
    # The cursors run side by side and hand their pages over one at a time; ``room`` keeps them
    # from reading further ahead than the caller stores, and the end marker always fits.
    pages: asyncio.Queue[tuple[Partition, Page] | None] = asyncio.Queue()
    room = asyncio.Semaphore(4)

    async def on_page(part: Partition, page: Page) -> None:
        await room.acquire()
        pages.put_nowait((part, page))

    async def read() -> None:
        try:
            await extract.read_partitioned(
                ctx.client, "products", parts, filters, on_page, stop=ctx.stop
            )
        finally:
            pages.put_nowait(None)

    reader = asyncio.create_task(read())
    try:
        while (item := await pages.get()) is not None:
            part, page = item
            reached[part.name] = page.next_url
            position = {"positions": dict(reached), "started": started}
            yield Batch(res.PRODUCTS, [ctx.finish(p) for p in page], position=position)
            room.release()
        await reader  # raises what the cursors raised
    finally:
        reader.cancel()
