"""An incremental run: only what changed since the stored cursor, and what was deleted.

- Products and product models: ``updated > cursor`` (Akeneo's filter already returns variants
  whose ancestor changed; for a server that does not, the descendants of every changed model are
  asked for with the ``parent`` filter too). Parents a changed product needs are fetched by code.
- Labels that move no ``updated`` (attribute options, category and family labels): the reference
  data is re-read and diffed with the destination, and the products that show a changed label
  are read again.
- Reference data: small, so re-read and diffed; only changed documents are written, and the ones
  gone upstream are deleted. Assets, which can be many, are read incrementally
  and not checked for deletions.
- Deletions of products and models: every ``reconcile_every``-th run lists upstream keys with the
  cheapest request Akeneo allows (only the identifier attribute) and compares with the destination.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.extract import Doc, Filters, Partition, chunks

if TYPE_CHECKING:
    from akeneo_sync.sync import Run

Search = dict[str, list[dict[str, Any]]]
IDENTIFIER_TYPE = "pim_catalog_identifier"
# Fields the destination adds that Akeneo does not send.
LOCAL_FIELDS = frozenset({"deleted_at"})


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in doc.items() if k not in LOCAL_FIELDS}, option=orjson.OPT_SORT_KEYS
    )


async def run_incremental(run: Run) -> None:
    since: str = run.state["cursor"]
    runs = int(run.state.get("runs", 0))
    reconcile = run.options.deletes != "ignore" and (
        run.options.reconcile_every > 0 and (runs % run.options.reconcile_every == 0)
    )
    relabel = await _diff_reference(run)
    if run.stop.is_set():
        return
    if run.wanted & {"products", "product_models"}:
        changed_models = await _changed_models(run, since)
        if "products" in run.wanted:
            await _changed_products(run, since, changed_models, relabel)
        if reconcile:
            await _reconcile(run)
    run.summary.how.setdefault("products", "incremental")
    run.summary.how.setdefault("product_models", "incremental")


# -- reference data ---------------------------------------------------------------------------


async def _diff_reference(run: Run) -> list[Search]:
    """Write reference documents that changed, delete the ones gone; return the product searches
    whose labels changed (options, categories, families)."""
    relabel: list[Search] = []
    for resource in run.chosen:
        if resource.name not in run.reference:
            continue
        fresh = run.prepare(resource, run.reference[resource.name])
        stored = {
            resource.key_of(doc): doc
            for doc in await run.thread.call(lambda r=resource: list(run.sink.read(r)))
        }
        changed = [d for d in fresh if _changed(stored.get(resource.key_of(d)), d)]
        run.progress.start(resource.name, len(changed))
        await run.writer.put(resource, changed)
        await run.done(resource.name)
        run.summary.how[resource.name] = "re-read and diffed"
        upstream = {resource.key_of(d) for d in fresh}
        gone = [k for k, d in stored.items() if k not in upstream and not d.get("deleted_at")]
        await _delete(run, resource, gone)
        if run.options.labels:
            relabel.extend(_label_searches(run, resource, changed, stored))
    if res.ASSETS in run.chosen:
        await _changed_assets(run)
    return relabel


def _changed(stored: Doc | None, fresh: Doc) -> bool:
    return (
        stored is None or bool(stored.get("deleted_at")) or _canonical(stored) != _canonical(fresh)
    )


def _label_searches(
    run: Run, resource: res.Resource, changed: list[Doc], stored: Mapping[Any, Doc]
) -> Iterable[Search]:
    """Product searches that find every product showing a label among ``changed``."""
    locale = run.options.labels
    moved = [
        d
        for d in changed
        if (old := stored.get(resource.key_of(d))) is not None
        and (old.get("labels") or {}).get(locale) != (d.get("labels") or {}).get(locale)
    ]
    if not moved:
        return
    if resource is res.FAMILIES:
        for codes in chunks(d["code"] for d in moved):
            yield {"family": [{"operator": "IN", "value": codes}]}
    elif resource is res.CATEGORIES:
        for codes in chunks(d["code"] for d in moved):
            yield {"categories": [{"operator": "IN CHILDREN", "value": codes}]}
    elif resource is res.ATTRIBUTE_OPTIONS:
        by_attribute: dict[str, list[str]] = {}
        for option in moved:
            by_attribute.setdefault(option["attribute"], []).append(option["code"])
        for attribute, codes in by_attribute.items():
            yield from _value_searches(run, attribute, codes)


def _value_searches(run: Run, attribute: str, codes: list[str]) -> Iterable[Search]:
    """An attribute filter must name a locale / channel when the attribute has them."""
    spec = run.attributes.get(attribute, {})
    locales = [loc["code"] for loc in run.reference["locales"] if loc.get("enabled")]
    channels = [c["code"] for c in run.reference["channels"]]
    for value_chunk in chunks(codes):
        for locale in locales if spec.get("localizable") else [None]:
            for channel in channels if spec.get("scopable") else [None]:
                condition: dict[str, Any] = {"operator": "IN", "value": value_chunk}
                if locale:
                    condition["locale"] = locale
                if channel:
                    condition["scope"] = channel
                yield {attribute: [condition]}


async def _changed_assets(run: Run) -> None:
    cursor = run.state.get("cursor", "")
    since = cursor.replace(" ", "T") + "Z" if cursor else None  # assets take ISO 8601
    search = {"updated": [{"operator": ">", "value": since}]} if since else None
    run.progress.start("assets", None)
    for family in (f["code"] for f in run.reference["asset_families"]):
        async for page in run.client.assets(family, search=search):
            for item in page:
                extract.strip_links(item)
                item.setdefault("asset_family_code", family)
            await run.writer.put(res.ASSETS, page)
    run.summary.how["assets"] = "incremental"
    await run.done("assets")


# -- products and models ----------------------------------------------------------------------


def _since(since: str) -> Search:
    return {"updated": [{"operator": ">", "value": since}]}


async def _changed_models(run: Run, since: str) -> set[str]:
    """Changed models (and, for servers that do not propagate ``updated``, the sub models of
    changed roots), merged and written; returns their codes."""
    filters = Filters(families=run.options.filters.families)
    changed: dict[str, Doc] = {}
    run.progress.start("product_models", None)

    async def take(pages: AsyncIterator[Page]) -> None:
        async for page in pages:
            for model in page:
                changed[model["code"]] = model

    base = filters.search(products=False)
    await take(
        extract.search_pages(run.client, res.PRODUCT_MODELS, [{**base, **_since(since)}], filters)
    )
    roots = [code for code, model in changed.items() if not model.get("parent")]
    await take(
        extract.search_pages(
            run.client,
            res.PRODUCT_MODELS,
            ({**base, "parent": [{"operator": "IN", "value": c}]} for c in chunks(roots)),
            filters,
        )
    )
    run.models.update(changed)
    await _fetch_parents(run, changed.values())
    if "product_models" in run.wanted:
        await run.writer.put(res.PRODUCT_MODELS, [run.finish(m) for m in changed.values()])
    await run.done("product_models")
    return set(changed)


async def _fetch_parents(run: Run, docs: Iterable[Doc]) -> None:
    """Bring the models that ``docs`` hang from into ``run.models`` (two levels at most)."""
    missing = {d["parent"] for d in docs if d.get("parent") and d["parent"] not in run.models}
    for _ in range(2):
        if not missing:
            return
        found: list[Doc] = []
        searches = (
            {"identifier": [{"operator": "IN", "value": c}]} for c in chunks(sorted(missing))
        )
        async for page in extract.search_pages(run.client, res.PRODUCT_MODELS, searches, Filters()):
            found.extend(page)
        run.models.update((m["code"], m) for m in found)
        missing = {m["parent"] for m in found if m.get("parent") and m["parent"] not in run.models}


async def _changed_products(
    run: Run, since: str, changed_models: set[str], relabel: list[Search]
) -> None:
    filters = run.options.filters
    base = filters.search(products=True)
    searches: list[Search] = [{**base, **_since(since)}]
    searches += [
        {**base, "parent": [{"operator": "IN", "value": codes}]}
        for codes in chunks(sorted(changed_models))
    ]
    searches += [{**base, **search} for search in relabel]
    seen: set[str] = set()
    run.progress.start("products", None)
    async for page in extract.search_pages(run.client, res.PRODUCTS, searches, filters):
        fresh = [p for p in page if p["uuid"] not in seen]
        seen.update(p["uuid"] for p in fresh)
        await _fetch_parents(run, fresh)
        await run.write_products([run.finish(p) for p in fresh])
        if run.stop.is_set():
            break
    await run.done("products")


# -- deletions --------------------------------------------------------------------------------


async def _reconcile(run: Run) -> None:
    """Compare upstream product uuids and model codes with the destination's."""
    filters = run.options.filters
    identifier = next(
        (a["code"] for a in run.reference["attributes"] if a.get("type") == IDENTIFIER_TYPE), None
    )
    for resource, key in ((res.PRODUCTS, "uuid"), (res.PRODUCT_MODELS, "code")):
        if resource not in run.chosen:
            continue
        upstream: set[str] = set()

        async def keep(_: Partition, page: Page, into: set[str] = upstream, key: str = key) -> None:
            into.update(item[key] for item in page)

        is_products = resource is res.PRODUCTS
        # Products with the export's own filters, models as the full run reads them.
        scope = filters if is_products else Filters(families=filters.families)
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
        stored = await run.thread.call(lambda r=resource: list(run.sink.keys(r)))
        await _delete(run, resource, [k for k in stored if k[0] not in upstream])
    run.state["reconciled_at"] = run.started.isoformat()


async def _delete(run: Run, resource: res.Resource, keys: list[Any]) -> None:
    if not keys or run.options.deletes == "ignore":
        return

    async def apply() -> None:
        await run.thread.call(run.sink.delete, resource, keys, soft=run.options.deletes == "soft")

    await run.writer.then(apply)
    run.summary.deleted[resource.name] = run.summary.deleted.get(resource.name, 0) + len(keys)
