"""An incremental run: only what changed since the stored cursors, and what was deleted.

- Products and product models: ``updated > cursor``. Akeneo's filter already returns variants
  (and sub models) whose ancestor changed; for a server that does not, the sub models of every
  changed root and the direct children of every changed model are asked for with the ``parent``
  filter too. Parents a changed document needs for its merged values are fetched by code.
- Reference data: diffed with the destination (``reference.py``); the products and models that
  show a label that moved are read again.
- Assets: ``updated`` filter (deletions are not detected yet).
- Deleted products and models: counted every run (``deletions.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.client.search import Search, chunks, in_, iso_cursor, replaced, updated_after
from akeneo_sync.extract import Doc, Filters
from akeneo_sync.run import deletions, fetch
from akeneo_sync.run.context import RunContext
from akeneo_sync.run.options import Report
from akeneo_sync.run.reference import diff_reference
from akeneo_sync.run.state import reconcile_due, stored_cursors


async def run_incremental(ctx: RunContext) -> Report:
    ctx.writer.track(res.PRODUCTS.name, res.PRODUCT_MODELS.name)  # for the deletion count check
    cursors = stored_cursors(ctx.previous)
    reconcile = not ctx.reference.light and reconcile_due(
        ctx.previous, ctx.options, ctx.marks.started
    )
    report, relabel = await diff_reference(ctx)
    if res.ASSETS in ctx.chosen:
        report.add(await _changed_assets(ctx, cursors["assets"]))
    if ctx.stop.is_set():
        return report
    if ctx.wanted & {"products", "product_models"}:
        ctx.marks.mark("product_models")
        changed_models = await _changed_models(ctx, cursors["product_models"], relabel)
        if "products" in ctx.wanted and not ctx.stop.is_set():
            ctx.marks.mark("products")
            await _changed_products(ctx, cursors["products"], changed_models, relabel)
        for name in ("products", "product_models"):
            report.how[name] = f"incremental (updated > {cursors[name]})"
        if ctx.options.deletes != "ignore" and not ctx.stop.is_set():
            # Every run: a count per resource is one request; keys are listed only when the
            # counts say something is gone.
            report.add(await deletions.reconcile_products(ctx))
    since = int(ctx.previous.get("runs_since_reconcile", 0))
    report.state["runs_since_reconcile"] = 0 if reconcile else since + 1
    return report


async def _changed_assets(ctx: RunContext, cursor: str) -> Report:
    ctx.marks.mark("assets")
    ctx.progress.start("assets", None)
    families = [f["code"] for f in ctx.reference.docs["asset_families"]]
    async for page in extract.asset_pages(ctx.client, families, updated_after(cursor, "iso")):
        await ctx.writer.put(res.ASSETS, page)
    await ctx.done("assets")
    return Report(how={"assets": f"incremental (updated > {iso_cursor(cursor)})"})


async def _changed_models(ctx: RunContext, since: str, relabel: list[Search]) -> set[str]:
    """Changed and relabelled models, and the sub models of those that are roots (for servers
    that do not propagate ``updated``), merged and written; returns their codes."""
    filters = Filters(families=ctx.options.filters.families)
    changed: dict[str, Doc] = {}
    ctx.progress.start("product_models", None)

    async def take(pages: AsyncIterator[Page]) -> None:
        async for page in pages:
            for model in page:
                changed[model["code"]] = model

    base = filters.search(products=False)
    searches = [replaced(base, updated_after(since, "naive"))]
    searches += [replaced(base, search) for search in relabel]
    await take(extract.search_pages(ctx.client, "product_models", searches, filters))
    roots = sorted(code for code, model in changed.items() if not model.get("parent"))
    children = (replaced(base, in_("parent", codes)) for codes in chunks(roots))
    await take(extract.search_pages(ctx.client, "product_models", children, filters))
    ctx.models.update(changed)
    await fetch.fetch_parents(ctx, changed.values())
    if "product_models" in ctx.wanted:
        await ctx.writer.put(res.PRODUCT_MODELS, [ctx.finish(m) for m in changed.values()])
    await ctx.done("product_models")
    return set(changed)


async def _changed_products(
    ctx: RunContext, since: str, changed_models: set[str], relabel: list[Search]
) -> None:
    base = ctx.options.filters.search(products=True)
    searches: list[Search] = [replaced(base, updated_after(since, "naive"))]
    searches += [replaced(base, in_("parent", codes)) for codes in chunks(sorted(changed_models))]
    searches += [replaced(base, search) for search in relabel]
    ctx.progress.start("products", None)
    await fetch.read_products(ctx, searches)
    await ctx.done("products")
