"""Deletions: what is gone upstream leaves the destination (soft, hard, or not at all).

Akeneo's lists only show what exists, so deletions are found by comparing keys:
- reference data (options, categories, families, ...) is re-read whole and diffed;
- products and product models: ``reconcile_products`` counts each upstream (one request) and,
  only when the destination holds a different number, lists every upstream key with the cheapest
  request Akeneo allows (only the identifier attribute's values, one cursor per family) and
  compares them with the destination's;
- Akeneo drops a deleted product or model from other products' associations without touching
  their ``updated``, so those are read again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.client.search import chunks, in_
from akeneo_sync.extract import Doc, Filters, Partition
from akeneo_sync.run import fetch
from akeneo_sync.run.context import RunContext
from akeneo_sync.run.options import Report
from akeneo_sync.run.state import stored_cursors
from akeneo_sync.transform._types import IDENTIFIER
from akeneo_sync.transform.values import associates_with


async def after_full(ctx: RunContext, mode: str) -> Report:
    """A full run over a destination that held a complete sync: delete what is gone upstream.

    A first run has nothing to delete; a resumed one leaves it to the next sync (listing every
    key again would cost as much as the products it saved)."""
    report = Report(state={"runs_since_reconcile": 0})
    if mode == "full" and stored_cursors(ctx.previous) and ctx.options.deletes != "ignore":
        for resource in ctx.chosen:
            if resource.name in ctx.reference.docs:
                fresh = ctx.reference.docs[resource.name]
                stored = await ctx.stored(resource)
                report.add(await delete_gone(ctx, resource, fresh, stored))
        if ctx.wanted & {"products", "product_models"}:
            report.add(await reconcile_products(ctx))
    return report


async def delete_gone(
    ctx: RunContext, resource: res.Resource, fresh: Iterable[Doc], stored: Mapping[Any, Doc]
) -> Report:
    upstream = {resource.key_of(d) for d in fresh}
    gone = [k for k, d in stored.items() if k not in upstream and not d.get("deleted_at")]
    return await _delete(ctx, resource, gone)


async def reconcile_products(ctx: RunContext) -> Report:
    """Compare upstream product uuids and model codes with the destination's."""
    filters = ctx.options.filters
    identifier = next(
        (a["code"] for a in ctx.reference.docs["attributes"] if a.get("type") == IDENTIFIER),
        None,
    )
    report = Report(how={"deletions": "counts agree: none"})
    gone: dict[str, set[str]] = {}
    for resource in (res.PRODUCT_MODELS, res.PRODUCTS):
        if resource not in ctx.chosen:
            continue
        upstream: set[str] = set()
        key = resource.key[0]

        async def keep(_: Partition, page: Page, into: set[str] = upstream, key: str = key) -> None:
            into.update(item[key] for item in page)

        is_products = resource is res.PRODUCTS
        # Products with the export's own filters, models as the full run reads them.
        scope = filters if is_products else Filters(families=filters.families)
        stored = set(await ctx.thread.call(lambda r=resource: list(ctx.sink.keys(r))))
        if await _counts_agree(ctx, resource, scope, stored):
            gone[resource.name] = set()
            continue
        report.how["deletions"] = "reconciled (upstream keys listed)"
        parts = extract.partitions(scope, ctx.families, products=is_products)
        # Ask only for the identifier attribute: the smallest pages Akeneo can send.
        await extract.read_partitioned(
            ctx.client,
            resource.name,
            parts,
            scope,
            keep,
            stop=ctx.stop,
            params={"attributes": identifier or "", "locales": None},
        )
        if ctx.stop.is_set():
            return report
        keys = sorted(k for k in stored if k[0] not in upstream)
        gone[resource.name] = {k[0] for k in keys}
        report.add(await _delete(ctx, resource, keys))
    report.state["reconciled_at"] = ctx.marks.started.isoformat()
    await _refresh_associated(ctx, gone)
    return report


async def _counts_agree(
    ctx: RunContext, resource: res.Resource, scope: Filters, stored: set[tuple[Any, ...]]
) -> bool:
    """One request instead of a listing of every key: after a complete run the destination holds
    every upstream key, so when it holds exactly as many (counting what this run wrote and has
    not committed yet) nothing was deleted. A count that lags (search index) only costs a
    listing now or finds the deletion next time; it never deletes what exists."""
    is_products = resource is res.PRODUCTS
    upstream = await ctx.client.count(
        resource.name,
        scope.search(products=is_products),
        scope=scope.channel if is_products else None,
    )
    if upstream is None:
        return False
    written = ctx.writer.keys.get(resource.name, set())
    return len(stored | written) == upstream


async def _refresh_associated(ctx: RunContext, gone: Mapping[str, set[str]]) -> None:
    """Read again the products and models whose associations point at a deleted one: Akeneo
    removes the association without touching their ``updated``."""
    if not any(gone.values()) or ctx.options.deletes == "ignore":
        return
    targets = {
        "products": gone.get("products", set()),
        "product_models": gone.get("product_models", set()),
    }

    def pointing(resource: res.Resource) -> list[str]:
        key = resource.key[0]
        return [
            doc[key]
            for doc in ctx.sink.read(resource)
            if not doc.get("deleted_at") and associates_with(doc, targets)
        ]

    for resource in (res.PRODUCT_MODELS, res.PRODUCTS):
        if resource not in ctx.chosen:
            continue
        # The last committed content: what this run wrote came fresh from the API anyway.
        keys = await ctx.thread.call(pointing, resource)
        if not keys:
            continue
        if resource is res.PRODUCTS:
            await fetch.read_products(ctx, (in_("uuid", codes) for codes in chunks(keys)))
        else:
            models = await fetch.read_models(ctx, keys)
            await fetch.fetch_parents(ctx, models)
            await ctx.writer.put(res.PRODUCT_MODELS, [ctx.finish(m) for m in models])


async def _delete(ctx: RunContext, resource: res.Resource, keys: list[Any]) -> Report:
    if not keys or ctx.options.deletes == "ignore":
        return Report()
    soft = ctx.options.deletes == "soft"

    async def apply() -> None:
        await ctx.thread.call(ctx.sink.delete, resource, keys, soft=soft)

    await ctx.writer.then(apply)
    return Report(deleted={resource.name: len(keys)})
