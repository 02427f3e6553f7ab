"""Deletions: what is gone upstream leaves the destination (soft, hard, or not at all).

Akeneo's lists only show what exists, so deletions are found by comparing keys:
- reference data (options, categories, families, ...) is re-read whole and diffed;
- products and product models: ``reconcile_products`` lists every upstream key with the cheapest
  request Akeneo allows (only the identifier attribute's values, one cursor per family) and
  compares them with the destination's;
- Akeneo drops a deleted product or model from other products' associations without touching
  their ``updated``, so those are read again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from akeneo_sync import extract
from akeneo_sync import incremental as inc
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.extract import Doc, Filters, Partition, chunks

if TYPE_CHECKING:
    from akeneo_sync.sync import Run

IDENTIFIER_TYPE = "pim_catalog_identifier"


async def after_full(run: Run) -> None:
    """A full run over a destination that held a complete sync: delete what is gone upstream.

    A first run has nothing to delete; a resumed one leaves it to the next sync (listing every
    key again would cost as much as the products it saved)."""
    if run.stop.is_set() or run.summary.mode not in ("full", "resumed full"):
        return
    previous = run.summary.mode == "full" and inc.stored_cursors(run.state)
    if previous and run.options.deletes != "ignore":
        for resource in run.chosen:
            if resource.name in run.reference:
                fresh = run.reference[resource.name]
                await delete_gone(run, resource, fresh, await inc.stored_docs(run, resource))
        if run.wanted & {"products", "product_models"}:
            await reconcile_products(run)
    run.state["runs_since_reconcile"] = 0


async def delete_gone(
    run: Run, resource: res.Resource, fresh: Iterable[Doc], stored: Mapping[Any, Doc]
) -> None:
    upstream = {resource.key_of(d) for d in fresh}
    gone = [k for k, d in stored.items() if k not in upstream and not d.get("deleted_at")]
    await _delete(run, resource, gone)


async def reconcile_products(run: Run) -> None:
    """Compare upstream product uuids and model codes with the destination's."""
    filters = run.options.filters
    identifier = next(
        (a["code"] for a in run.reference["attributes"] if a.get("type") == IDENTIFIER_TYPE), None
    )
    gone: dict[str, set[str]] = {}
    run.summary.how["deletions"] = "counts agree: none"
    for resource, key in ((res.PRODUCT_MODELS, "code"), (res.PRODUCTS, "uuid")):
        if resource not in run.chosen:
            continue
        upstream: set[str] = set()

        async def keep(_: Partition, page: Page, into: set[str] = upstream, key: str = key) -> None:
            into.update(item[key] for item in page)

        is_products = resource is res.PRODUCTS
        # Products with the export's own filters, models as the full run reads them.
        scope = filters if is_products else Filters(families=filters.families)
        stored = set(await run.thread.call(lambda r=resource: list(run.sink.keys(r))))
        if await _counts_agree(run, resource, scope, stored):
            gone[resource.name] = set()
            continue
        run.summary.how["deletions"] = "reconciled (upstream keys listed)"
        parts = extract.partitions(scope, run.families, products=is_products)
        # Ask only for the identifier attribute: the smallest pages Akeneo can send.
        await extract.read_partitioned(
            run.client,
            resource,
            parts,
            scope,
            keep,
            stop=run.stop,
            params={"attributes": identifier or "", "locales": None},
        )
        if run.stop.is_set():
            return
        keys = sorted(k for k in stored if k[0] not in upstream)
        gone[resource.name] = {k[0] for k in keys}
        await _delete(run, resource, keys)
    run.state["reconciled_at"] = run.started.isoformat()
    await _refresh_associated(run, gone)


async def _counts_agree(
    run: Run, resource: res.Resource, scope: Filters, stored: set[tuple[Any, ...]]
) -> bool:
    """One request instead of a listing of every key: after a complete run the destination holds
    every upstream key, so when it holds exactly as many (counting what this run wrote and has
    not committed yet) nothing was deleted. A count that lags (search index) only costs a
    listing now or finds the deletion next time; it never deletes what exists."""
    is_products = resource is res.PRODUCTS
    path = "/products-uuid" if is_products else "/product-models"
    upstream = await run.client.count(
        path, scope.search(products=is_products), scope=scope.channel if is_products else None
    )
    if upstream is None:
        return False
    written = run.writer.keys.get(resource.name, set())
    return len(stored | written) == upstream


async def _refresh_associated(run: Run, gone: Mapping[str, set[str]]) -> None:
    """Read again the products and models whose associations point at a deleted one: Akeneo
    removes the association without touching their ``updated``."""
    if not any(gone.values()) or run.options.deletes == "ignore":
        return
    targets = {
        "products": gone.get("products", set()),
        "product_models": gone.get("product_models", set()),
    }

    def pointing(resource: res.Resource) -> list[str]:
        found = []
        for doc in run.sink.read(resource):
            if not doc.get("deleted_at") and _points_at(doc, targets):
                found.append(doc["uuid" if resource is res.PRODUCTS else "code"])
        return found

    for resource in (res.PRODUCT_MODELS, res.PRODUCTS):
        if resource not in run.chosen:
            continue
        # The last committed content: what this run wrote came fresh from the API anyway.
        keys = await run.thread.call(pointing, resource)
        if not keys:
            continue
        if resource is res.PRODUCTS:
            await inc.read_products(run, (inc.in_("uuid", codes) for codes in chunks(keys)))
        else:
            models: list[Doc] = []
            searches = (inc.in_("identifier", codes) for codes in chunks(keys))
            async for page in extract.search_pages(
                run.client, res.PRODUCT_MODELS, searches, Filters()
            ):
                models.extend(page)
            run.models.update((m["code"], m) for m in models)
            await inc.fetch_parents(run, models)
            await run.writer.put(res.PRODUCT_MODELS, [run.finish(m) for m in models])


def _points_at(doc: Mapping[str, Any], targets: Mapping[str, set[str]]) -> bool:
    for column, cell in doc.items():  # a flat row: ``X_SELL-products`` = "uuid1,uuid2"
        kind = column.rsplit("-", 1)[-1] if isinstance(cell, str) else ""
        if kind in targets and targets[kind] & set(cell.split(",")):
            return True
    for kind in ("associations", "quantified_associations"):
        for links in (doc.get(kind) or {}).values():
            if not isinstance(links, Mapping):
                continue
            for name, items in links.items():
                wanted = targets.get(name)
                if not wanted or not isinstance(items, list):
                    continue
                for item in items:
                    ref = (
                        item.get("uuid") or item.get("identifier")
                        if isinstance(item, dict)
                        else item
                    )
                    if ref in wanted:
                        return True
    return False


async def _delete(run: Run, resource: res.Resource, keys: list[Any]) -> None:
    if not keys or run.options.deletes == "ignore":
        return

    async def apply() -> None:
        await run.thread.call(run.sink.delete, resource, keys, soft=run.options.deletes == "soft")

    await run.writer.then(apply)
    run.summary.deleted[resource.name] = run.summary.deleted.get(resource.name, 0) + len(keys)
