"""Deletions: which stored products and models are gone upstream.

Akeneo's lists only show what exists, so deletions are found by comparing keys (reference data is
diffed whole, ``reference.py``). For products and product models, ``read_deleted`` counts each
upstream (one request) and, only when the stored data holds a different number, lists every
upstream key with the cheapest request Akeneo allows (only the identifier attribute's values,
parts of similar size read side by side) and compares them with the stored keys. Akeneo drops a
deleted product or model from other products' associations without touching their ``updated``,
so the stored products and models that pointed at one are read again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from akeneo_sync import extract, plan
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.client.search import chunks, in_
from akeneo_sync.extract import Filters
from akeneo_sync.plan import Partition
from akeneo_sync.run import incremental
from akeneo_sync.run.context import Batch, Key, ReadContext
from akeneo_sync.transform._types import IDENTIFIER
from akeneo_sync.transform.values import associates_with


async def read_deleted(ctx: ReadContext, resource: res.Resource) -> AsyncIterator[Batch]:
    """The stored keys of ``resource`` gone upstream, then the stored products and models whose
    associations pointed at them, read again."""
    stored = ctx.stored
    if stored is None:
        return
    is_products = resource is res.PRODUCTS
    filters = ctx.options.filters
    # Products with the run's own filters, models as a full read reads them.
    scope = filters if is_products else Filters(families=filters.families)
    keys = set(await ctx.call(lambda: list(stored.keys(resource))))
    ctx.how.setdefault("deletions", "counts agree: none")
    if await _counts_agree(ctx, resource, scope, keys):
        return
    ctx.how["deletions"] = "reconciled (upstream keys listed)"
    upstream = await _upstream_keys(ctx, resource, scope)
    if ctx.stop.is_set():
        return
    gone = sorted(k for k in keys if k[0] not in upstream)
    if not gone:
        return
    yield Batch(resource, deleted=gone)
    async for batch in _read_associated(ctx, resource, {k[0] for k in gone}):
        yield batch


async def read_deleted_assets(ctx: ReadContext) -> AsyncIterator[Batch]:
    """The stored assets gone upstream. Akeneo cannot count assets, so this lists every asset
    of every asset family (a whole read's requests): callers ask for it on reconciling runs."""
    stored = ctx.stored
    if stored is None:
        return
    keys = set(await ctx.call(lambda: list(stored.keys(res.ASSETS))))
    if not keys:
        return
    reference = await ctx.ref()
    families = [f["code"] for f in reference.docs["asset_families"]]
    upstream: set[Key] = set()
    async for page in extract.asset_pages(ctx.client, families):
        upstream.update(res.ASSETS.key_of(asset) for asset in page)
        if ctx.stop.is_set():
            return
    gone = sorted(keys - upstream)
    if gone:
        yield Batch(res.ASSETS, deleted=gone)


async def _counts_agree(
    ctx: ReadContext, resource: res.Resource, scope: Filters, stored: set[Key]
) -> bool:
    """One request instead of a listing of every key: after a complete run the stored data
    holds every upstream key, so when it holds exactly as many (counting what this session
    handed out and may not be stored yet) nothing was deleted. A count that lags (search index)
    only costs a listing now or finds the deletion next time; it never deletes what exists."""
    is_products = resource is res.PRODUCTS
    upstream = await ctx.client.count(
        resource.name,
        scope.search(products=is_products),
        scope=scope.channel if is_products else None,
    )
    if upstream is None:
        return False
    return len(stored | ctx.written.get(resource.name, set())) == upstream


async def _upstream_keys(ctx: ReadContext, resource: res.Resource, scope: Filters) -> set[Any]:
    reference = await ctx.ref()
    identifier = next(
        (a["code"] for a in reference.docs["attributes"] if a.get("type") == IDENTIFIER), None
    )
    key = resource.key[0]
    upstream: set[Any] = set()

    async def keep(_: Partition, page: Page) -> None:
        upstream.update(item[key] for item in page)

    is_products = resource is res.PRODUCTS
    base = scope.search(products=is_products)
    scoped = {"scope": scope.channel if is_products else None}
    parts = await plan.plan(ctx.client, resource.name, base, params=scoped)
    # Ask only for the identifier attribute: the smallest pages Akeneo can send.
    await extract.read_partitioned(
        ctx.client,
        resource.name,
        parts,
        scope,
        keep,
        stop=ctx.stop,
        params={
            "attributes": identifier or "",
            "locales": None,
            "with_completenesses": None,
            "with_quality_scores": None,
        },
    )
    return upstream


async def _read_associated(
    ctx: ReadContext, resource: res.Resource, gone: set[Any]
) -> AsyncIterator[Batch]:
    """The stored products and models whose associations point at ``gone`` (keys of
    ``resource``), read again: Akeneo removes the association without touching their
    ``updated``."""
    stored = ctx.stored
    assert stored is not None
    targets = {resource.name: gone}

    def pointing(kind: res.Resource) -> list[Any]:
        key = kind.key[0]
        return [
            doc[key]
            for doc in stored.read(kind)
            if not doc.get("deleted_at") and associates_with(doc, targets)
        ]

    for kind in (res.PRODUCT_MODELS, res.PRODUCTS):
        if kind.name not in ctx.options.resources:
            continue
        # The last stored content: what this session handed out came fresh from the API anyway.
        keys = await ctx.call(pointing, kind)
        if not keys:
            continue
        if kind is res.PRODUCTS:
            searches = (in_("uuid", codes) for codes in chunks(keys))
            async for batch in incremental.read_products_by(ctx, searches):
                yield batch
        else:
            models = await incremental.models_by_code(ctx, keys)
            await incremental.fetch_parents(ctx, models)
            yield Batch(res.PRODUCT_MODELS, ctx.finish(models))
