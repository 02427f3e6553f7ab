"""An incremental run: only what changed since the stored cursors, and what was deleted.

- Cursors: per resource, the time that resource's query started in the run that read it, minus
  ``overlap``, in Akeneo's naive ``YYYY-MM-DD hh:mm:ss`` (UTC, as SaaS servers run); never the
  largest ``updated`` seen. What the overlap brings twice is absorbed by the sinks' upserts.
- Products and product models: ``updated > cursor``. Akeneo's filter already returns variants
  (and sub models) whose ancestor changed; for a server that does not, the sub models of every
  changed root and the direct children of every changed model are asked for with the ``parent``
  filter too. Parents a changed document needs for its merged values are fetched by code.
- Labels that move no ``updated`` (attribute options, category labels and tree, family labels,
  record labels, with ``--labels``): the reference data is re-read and diffed with the
  destination, and the products and models showing a changed label are read again.
- Reference data: small, so re-read and diffed; only changed documents are written, and the ones
  gone upstream are deleted. Assets, which can be many, are read with an ``updated`` filter and
  not checked for deletions.
- Deletions of products and models: every ``reconcile_every``-th run lists upstream keys with the
  cheapest request Akeneo allows (only the identifier attribute, one partition per family) and
  compares them with the destination. Akeneo drops a deleted product from other products'
  associations without touching their ``updated``, so those are read again too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, datetime
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
RECORD_TYPES = frozenset({"akeneo_reference_entity", "akeneo_reference_entity_collection"})
# Fields the destination adds that Akeneo does not send.
LOCAL_FIELDS = frozenset({"deleted_at"})


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in doc.items() if k not in LOCAL_FIELDS}, option=orjson.OPT_SORT_KEYS
    )


def stored_cursors(state: Mapping[str, Any]) -> dict[str, str]:
    """Per resource cursors of a state (a single ``cursor`` of older states counts for all)."""
    cursors = dict(state.get("cursors") or {})
    if not cursors and state.get("cursor"):
        cursors = {r.name: state["cursor"] for r in res.ALL}
    return cursors


def can_run_incrementally(run: Run) -> bool:
    """Every product-like resource of this run has a cursor (it was fully read before)."""
    cursors = stored_cursors(run.state)
    needed = {"products", "product_models", "assets"} & run.wanted
    return bool(cursors) and needed <= set(cursors)


def _now() -> datetime:
    return datetime.now(UTC)


async def run_incremental(run: Run) -> None:
    cursors = stored_cursors(run.state)
    reconcile = _reconcile_due(run)
    relabel = await _diff_reference(run, cursors)
    if run.stop.is_set():
        return
    if run.wanted & {"products", "product_models"}:
        run.mark("product_models")
        changed_models = await _changed_models(run, cursors["product_models"], relabel)
        if "products" in run.wanted and not run.stop.is_set():
            run.mark("products")
            await _changed_products(run, cursors["products"], changed_models, relabel)
        run.summary.how.setdefault("products", f"incremental (updated > {cursors['products']})")
        run.summary.how.setdefault(
            "product_models", f"incremental (updated > {cursors['product_models']})"
        )
        if reconcile and not run.stop.is_set():
            await reconcile_products(run)
            run.summary.how["deletions"] = "reconciled (upstream keys listed)"
        elif run.options.deletes != "ignore" and run.options.reconcile_every > 0:
            run.state["runs_since_reconcile"] = int(run.state.get("runs_since_reconcile", 0)) + 1
            run.summary.how["deletions"] = "not checked this run (--reconcile-every)"


async def after_full(run: Run) -> None:
    """A full run over a destination that held a complete sync: delete what is gone upstream.

    A first run has nothing to delete; a resumed one leaves it to the next sync (listing every
    key again would cost as much as the products it saved)."""
    if run.stop.is_set():
        return
    previous = run.summary.mode == "full" and stored_cursors(run.state)
    if previous and run.options.deletes != "ignore":
        for resource in run.chosen:
            if resource.name in run.reference:
                fresh = run.reference[resource.name]
                await delete_gone(run, resource, fresh, await _stored(run, resource))
        if run.wanted & {"products", "product_models"}:
            await reconcile_products(run)
            run.summary.how["deletions"] = "reconciled (upstream keys listed)"
    run.state["runs_since_reconcile"] = 0


def _reconcile_due(run: Run) -> bool:
    every = run.options.reconcile_every
    if run.options.deletes == "ignore" or every <= 0:
        return False
    return int(run.state.get("runs_since_reconcile", 0)) + 1 >= every


# -- reference data ---------------------------------------------------------------------------


async def _diff_reference(run: Run, cursors: Mapping[str, str]) -> list[Search]:
    """Write reference documents that changed, delete the ones gone; return the product and
    model searches that find every document showing a changed label."""
    relabel: list[Search] = []
    for resource in run.chosen:
        if resource.name not in run.reference:
            continue
        fresh = run.prepare(resource, run.reference[resource.name])
        stored = await _stored(run, resource)
        changed = [d for d in fresh if _changed(stored.get(resource.key_of(d)), d)]
        run.progress.start(resource.name, len(changed))
        await run.writer.put(resource, changed)
        await run.done(resource.name)
        run.summary.how[resource.name] = "re-read and diffed"
        await delete_gone(run, resource, fresh, stored)
        if run.options.labels:
            relabel.extend(_label_searches(run, resource, changed, stored))
    if res.ASSETS in run.chosen:
        await _changed_assets(run, cursors["assets"])
    return relabel


async def _stored(run: Run, resource: res.Resource) -> dict[Any, Doc]:
    docs = await run.thread.call(lambda: list(run.sink.read(resource)))
    return {resource.key_of(doc): doc for doc in docs}


async def delete_gone(
    run: Run, resource: res.Resource, fresh: Iterable[Doc], stored: Mapping[Any, Doc]
) -> None:
    upstream = {resource.key_of(d) for d in fresh}
    gone = [k for k, d in stored.items() if k not in upstream and not d.get("deleted_at")]
    await _delete(run, resource, gone)


def _changed(stored: Doc | None, fresh: Doc) -> bool:
    return (
        stored is None or bool(stored.get("deleted_at")) or _canonical(stored) != _canonical(fresh)
    )


def _shown(resource: res.Resource, doc: Mapping[str, Any], locale: str) -> Any:
    """What a product or model shows of a reference document (with ``--labels``)."""
    if resource is res.CATEGORIES:
        return doc.get("label_path")
    if resource is res.REFERENCE_ENTITY_RECORDS:
        return (doc.get("values") or {}).get("label")
    return (doc.get("labels") or {}).get(locale)


def _label_searches(
    run: Run, resource: res.Resource, changed: list[Doc], stored: Mapping[Any, Doc]
) -> Iterable[Search]:
    """Searches that find every product and model showing a label among ``changed``."""
    locale = run.options.labels or ""
    moved = [
        d
        for d in changed
        if (old := stored.get(resource.key_of(d))) is not None
        and _shown(resource, old, locale) != _shown(resource, d, locale)
    ]
    if not moved:
        return
    if resource is res.FAMILIES:
        for codes in chunks(d["code"] for d in moved):
            yield {"family": [{"operator": "IN", "value": codes}]}
    elif resource is res.CATEGORIES:
        # label_path moved: the category was relabelled, or one above it, or it moved.
        for codes in chunks(d["code"] for d in moved):
            yield {"categories": [{"operator": "IN", "value": codes}]}
    elif resource is res.ATTRIBUTE_OPTIONS:
        by_attribute: dict[str, list[str]] = {}
        for option in moved:
            by_attribute.setdefault(option["attribute"], []).append(option["code"])
        for attribute, codes in by_attribute.items():
            yield from _value_searches(run, attribute, codes)
    elif resource is res.REFERENCE_ENTITY_RECORDS:
        by_entity: dict[str, list[str]] = {}
        for record in moved:
            by_entity.setdefault(record["reference_entity"], []).append(record["code"])
        for spec in run.attributes.values():
            records = by_entity.get(spec.get("reference_data_name") or "")
            if spec.get("type") in RECORD_TYPES and records:
                yield from _value_searches(run, spec["code"], records)


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


async def _changed_assets(run: Run, cursor: str) -> None:
    run.mark("assets")
    since = cursor.replace(" ", "T") + "Z"  # assets take ISO 8601
    search = {"updated": [{"operator": ">", "value": since}]}
    run.progress.start("assets", None)
    for family in (f["code"] for f in run.reference["asset_families"]):
        async for page in run.client.assets(family, search=search):
            for item in page:
                extract.strip_links(item)
                item.setdefault("asset_family_code", family)
            await run.writer.put(res.ASSETS, page)
    run.summary.how["assets"] = f"incremental (updated > {since})"
    await run.done("assets")


# -- products and models ----------------------------------------------------------------------


def _since(since: str) -> Search:
    return {"updated": [{"operator": ">", "value": since}]}


def _in(field: str, codes: list[str]) -> Search:
    return {field: [{"operator": "IN", "value": codes}]}


async def _changed_models(run: Run, since: str, relabel: list[Search]) -> set[str]:
    """Changed and relabelled models, and the sub models of those that are roots (for servers
    that do not propagate ``updated``), merged and written; returns their codes."""
    filters = Filters(families=run.options.filters.families)
    changed: dict[str, Doc] = {}
    run.progress.start("product_models", None)

    async def take(pages: AsyncIterator[Page]) -> None:
        async for page in pages:
            for model in page:
                changed[model["code"]] = model

    base = filters.search(products=False)
    searches = [{**base, **_since(since)}] + [{**base, **search} for search in relabel]
    await take(extract.search_pages(run.client, res.PRODUCT_MODELS, searches, filters))
    roots = sorted(code for code, model in changed.items() if not model.get("parent"))
    await take(
        extract.search_pages(
            run.client,
            res.PRODUCT_MODELS,
            ({**base, **_in("parent", codes)} for codes in chunks(roots)),
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
        searches = (_in("identifier", codes) for codes in chunks(sorted(missing)))
        async for page in extract.search_pages(run.client, res.PRODUCT_MODELS, searches, Filters()):
            found.extend(page)
        run.models.update((m["code"], m) for m in found)
        missing = {m["parent"] for m in found if m.get("parent") and m["parent"] not in run.models}


async def _changed_products(
    run: Run, since: str, changed_models: set[str], relabel: list[Search]
) -> None:
    base = run.options.filters.search(products=True)
    searches: list[Search] = [{**base, **_since(since)}]
    searches += [{**base, **_in("parent", codes)} for codes in chunks(sorted(changed_models))]
    searches += [{**base, **search} for search in relabel]
    run.progress.start("products", None)
    await _read_products(run, searches)
    await run.done("products")


async def _read_products(run: Run, searches: Iterable[Search]) -> None:
    seen: set[str] = set()
    filters = run.options.filters
    async for page in extract.search_pages(run.client, res.PRODUCTS, searches, filters):
        fresh = [p for p in page if p["uuid"] not in seen]
        seen.update(p["uuid"] for p in fresh)
        await _fetch_parents(run, fresh)
        await run.write_products([run.finish(p) for p in fresh])
        if run.stop.is_set():
            break


# -- deletions --------------------------------------------------------------------------------


async def reconcile_products(run: Run) -> None:
    """Compare upstream product uuids and model codes with the destination's."""
    filters = run.options.filters
    identifier = next(
        (a["code"] for a in run.reference["attributes"] if a.get("type") == IDENTIFIER_TYPE), None
    )
    gone: dict[str, set[str]] = {}
    for resource, key in ((res.PRODUCT_MODELS, "code"), (res.PRODUCTS, "uuid")):
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
        keys = [k for k in stored if k[0] not in upstream]
        gone[resource.name] = {k[0] for k in keys}
        await _delete(run, resource, keys)
    run.state["reconciled_at"] = run.started.isoformat()
    run.state["runs_since_reconcile"] = 0
    await _refresh_associated(run, gone)


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
            await _read_products(run, (_in("uuid", codes) for codes in chunks(keys)))
        else:
            models: list[Doc] = []
            searches = (_in("identifier", codes) for codes in chunks(keys))
            async for page in extract.search_pages(
                run.client, res.PRODUCT_MODELS, searches, Filters()
            ):
                models.extend(page)
            run.models.update((m["code"], m) for m in models)
            await _fetch_parents(run, models)
            await run.writer.put(res.PRODUCT_MODELS, [run.finish(m) for m in models])


def _points_at(doc: Mapping[str, Any], targets: Mapping[str, set[str]]) -> bool:
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
