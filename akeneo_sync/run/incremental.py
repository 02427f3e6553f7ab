"""Incremental reads: only what changed since a cursor.

- Products and product models: ``updated > cursor``. Akeneo's filter already returns variants
  (and sub models) whose ancestor changed; for a server that does not, the sub models of every
  changed root and the direct children of every changed model are asked for with the ``parent``
  filter too. Parents a changed document needs for its merged values come from the stored data
  when it holds documents, else from Akeneo.
- Products and models showing a label that moved (``ctx.relabel``, found by the reference
  reads) are read again.
- Assets: ``updated`` filter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client.search import Search, chunks, in_, replaced, updated_after
from akeneo_sync.extract import Doc
from akeneo_sync.run.context import Batch, ReadContext
from akeneo_sync.run.full import model_filters


async def changed_models(ctx: ReadContext, since: str) -> dict[str, Doc]:
    """The models changed or relabelled since ``since``, and the sub models of those that are
    roots; kept in the model store with their parents. Read once a session per cursor."""
    ctx.marks.mark("product_models")
    filters = model_filters(ctx)
    base = filters.search(products=False)
    searches = [replaced(base, updated_after(since, "naive"))]
    searches += [replaced(base, search) for search in ctx.relabel]
    changed: dict[str, Doc] = {}
    async for page in extract.search_pages(ctx.client, "product_models", searches, filters):
        changed.update((m["code"], m) for m in page)
    roots = sorted(code for code, model in changed.items() if not model.get("parent"))
    children = (replaced(base, in_("parent", codes)) for codes in chunks(roots))
    async for page in extract.search_pages(ctx.client, "product_models", children, filters):
        changed.update((m["code"], m) for m in page)
    ctx.models.update(changed)
    await fetch_parents(ctx, changed.values())
    ctx.changed_models[since] = set(changed)
    return changed


async def read_changed_models(ctx: ReadContext, since: str) -> AsyncIterator[Batch]:
    changed = await changed_models(ctx, since)
    docs = ctx.finish(changed.values())
    ctx.remember(res.PRODUCT_MODELS, docs)
    yield Batch(res.PRODUCT_MODELS, docs)


async def read_changed_products(ctx: ReadContext, since: str) -> AsyncIterator[Batch]:
    """Products changed since ``since``, the variants of models changed since then (found by
    this session's model read when it had a cursor as old, else asked for now), and those
    showing a moved label."""
    models = next((codes for cursor, codes in ctx.changed_models.items() if cursor <= since), None)
    if models is None:
        models = set(await changed_models(ctx, since))
    ctx.marks.mark("products")
    base = ctx.options.filters.search(products=True)
    searches: list[Search] = [replaced(base, updated_after(since, "naive"))]
    searches += [replaced(base, in_("parent", codes)) for codes in chunks(sorted(models))]
    searches += [replaced(base, search) for search in ctx.relabel]
    async for batch in read_products_by(ctx, searches):
        ctx.remember(res.PRODUCTS, batch.docs)
        yield batch


async def read_products_by(ctx: ReadContext, searches: Iterable[Search]) -> AsyncIterator[Batch]:
    """The products these searches find, each once, merged and labelled."""
    seen: set[str] = set()
    filters = ctx.options.filters
    async for page in extract.search_pages(ctx.client, "products", searches, filters):
        fresh = [p for p in page if p["uuid"] not in seen]
        seen.update(p["uuid"] for p in fresh)
        await fetch_parents(ctx, fresh)
        yield Batch(res.PRODUCTS, ctx.finish(fresh))
        if ctx.stop.is_set():
            return


async def models_by_code(ctx: ReadContext, codes: Iterable[str]) -> list[Doc]:
    """The product models with these codes, from Akeneo, kept in the model store."""
    found: list[Doc] = []
    searches = (in_("identifier", chunk) for chunk in chunks(sorted(codes)))
    filters = model_filters(ctx)  # their attributes, not their families: asked by code
    async for page in extract.search_pages(ctx.client, "product_models", searches, filters):
        found.extend(page)
    ctx.models.update((m["code"], m) for m in found)
    return found


async def fetch_parents(ctx: ReadContext, docs: Iterable[Doc]) -> None:
    """Bring the models that ``docs`` hang from into the model store (two levels at most).

    They come from the stored data when it holds documents: every model changed since the
    cursor was handed out this session already (merged, so a root's values are in its sub
    models); otherwise, or when the stored data lacks one, from Akeneo."""
    missing = {d["parent"] for d in docs if d.get("parent") and d["parent"] not in ctx.models}
    if missing and ctx.stored_models():
        await _stored_models(ctx, missing)
        missing = {code for code in missing if code not in ctx.models}
    for _ in range(2):
        if not missing:
            return
        found = await models_by_code(ctx, missing)
        missing = {m["parent"] for m in found if m.get("parent") and m["parent"] not in ctx.models}


async def _stored_models(ctx: ReadContext, codes: set[str]) -> None:
    """The stored models ``codes`` and, for sub models, their roots: looked up by key."""
    stored = ctx.stored
    assert stored is not None
    for _ in range(2):
        wanted = [(code,) for code in sorted(codes)]
        docs = await ctx.call(lambda w=wanted: list(stored.get(res.PRODUCT_MODELS, w)))
        found = [d for d in docs if not d.get("deleted_at")]
        ctx.models.update((d["code"], d) for d in found)
        codes = {d["parent"] for d in found if d.get("parent") and d["parent"] not in ctx.models}
        if not codes:
            return
