"""Reading a few products and models by search, with the parents their merged values need.

Shared by the incremental run (what changed) and the deletion check (products whose associations
pointed at something deleted)."""

from __future__ import annotations

from collections.abc import Iterable

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client.search import Search, chunks, in_
from akeneo_sync.extract import Doc, Filters
from akeneo_sync.run.context import RunContext


async def read_products(ctx: RunContext, searches: Iterable[Search]) -> None:
    """The products these searches find, each once, merged, labelled and written."""
    seen: set[str] = set()
    filters = ctx.options.filters
    async for page in extract.search_pages(ctx.client, "products", searches, filters):
        fresh = [p for p in page if p["uuid"] not in seen]
        seen.update(p["uuid"] for p in fresh)
        await fetch_parents(ctx, fresh)
        await ctx.write_products([ctx.finish(p) for p in fresh])
        if ctx.stop.is_set():
            break


async def read_models(ctx: RunContext, codes: Iterable[str]) -> list[Doc]:
    """The product models with these codes, from Akeneo, kept in ``ctx.models``."""
    found: list[Doc] = []
    searches = (in_("identifier", chunk) for chunk in chunks(sorted(codes)))
    async for page in extract.search_pages(ctx.client, "product_models", searches, Filters()):
        found.extend(page)
    ctx.models.update((m["code"], m) for m in found)
    return found


async def fetch_parents(ctx: RunContext, docs: Iterable[Doc]) -> None:
    """Bring the models that ``docs`` hang from into ``ctx.models`` (two levels at most).

    They come from the destination when it holds documents: every model changed since the
    cursor was written this run already (merged, so a root's values are in its sub models);
    otherwise, or when the destination lacks one, from Akeneo."""
    missing = {d["parent"] for d in docs if d.get("parent") and d["parent"] not in ctx.models}
    if missing and ctx.stored_models_usable():
        await _models_from_destination(ctx, missing)
        missing = {code for code in missing if code not in ctx.models}
    for _ in range(2):
        if not missing:
            return
        found = await read_models(ctx, missing)
        missing = {m["parent"] for m in found if m.get("parent") and m["parent"] not in ctx.models}


async def _models_from_destination(ctx: RunContext, codes: set[str]) -> None:
    """The stored models ``codes`` and, for sub models, their roots: looked up by key."""
    for _ in range(2):
        wanted = [(code,) for code in sorted(codes)]
        docs = await ctx.thread.call(lambda w=wanted: list(ctx.sink.get(res.PRODUCT_MODELS, w)))
        found = [d for d in docs if not d.get("deleted_at")]
        ctx.models.update((d["code"], d) for d in found)
        codes = {d["parent"] for d in found if d.get("parent") and d["parent"] not in ctx.models}
        if not codes:
            return
