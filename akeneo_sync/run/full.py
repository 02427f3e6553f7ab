"""Full reads of the streamed resources: assets, product models and products.

Product models and products are read together by one set of cursors (``fullread.py``): every
model is in the model store before the first product is handed out, because a variant needs its
chain. Each product batch carries how far every cursor got (``position``), so a reader that
stores it can resume an interrupted read from there."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.run.context import PAGE, Batch, ReadContext
from akeneo_sync.run.fullread import model_filters

__all__ = ["model_filters", "read_assets", "read_models", "read_products"]


async def read_assets(ctx: ReadContext, search: Any = None) -> AsyncIterator[Batch]:
    ctx.marks.mark("assets")
    reference = await ctx.ref()
    families = [f["code"] for f in reference.docs["asset_families"]]
    async for page in extract.asset_pages(ctx.client, families, search):
        yield Batch(res.ASSETS, page)


async def read_models(ctx: ReadContext) -> AsyncIterator[Batch]:
    full = ctx.full_read()
    await full.models()
    for batch in ctx.models.docs(PAGE):  # batch-sized pieces: memory stays flat
        yield Batch(res.PRODUCT_MODELS, ctx.finish(batch))


async def read_products(
    ctx: ReadContext, positions: Mapping[str, str | None] | None = None
) -> AsyncIterator[Batch]:
    """Every product; each batch's ``position`` says how far every cursor got once it is
    stored (``positions``: the ones of such a position, to go on from)."""
    full = ctx.full_read(positions, products=True)
    await ctx.ref()
    ctx.marks.mark("products")  # the cursors' first request, if they had not started yet
    started = ctx.marks.queried["products"].isoformat()
    await full.models()
    reached: dict[str, str | None] | None = None
    async for name, page in full.products():
        if reached is None:  # every part, named once planned
            reached = dict(full.positions)
        reached[name] = page.next_url
        position = {"positions": dict(reached), "started": started}
        yield Batch(res.PRODUCTS, ctx.finish(page), position=position)
