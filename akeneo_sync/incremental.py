"""An incremental run: only what changed since the stored cursors, and what was deleted.

- Cursors: per resource, the time that resource's query started in the run that read it, minus
  ``overlap``, in Akeneo's naive ``YYYY-MM-DD hh:mm:ss`` (UTC, as SaaS servers run); never the
  largest ``updated`` seen. What the overlap brings twice is absorbed by the sinks' upserts.
- Products and product models: ``updated > cursor``. Akeneo's filter already returns variants
  (and sub models) whose ancestor changed; for a server that does not, the sub models of every
  changed root and the direct children of every changed model are asked for with the ``parent``
  filter too. Parents a changed document needs for its merged values are fetched by code.
- Reference data, on a *reconciling* run (every ``reconcile_every``-th, every run by default):
  re-read whole and diffed with the destination; only changed documents are written, the ones
  gone upstream are deleted (``deletions.py``), and products and models showing a label that
  moved no ``updated`` (attribute options, with ``--labels``) are read again.
- Reference data, on the runs in between: read from the destination, plus what changed upstream
  for the resources Akeneo filters on ``updated`` (attributes, families, categories, reference
  entity records); the small rest (options, channels, locales, ...) waits for the next
  reconciling run. File formats that keep only flat rows always re-read it.
- Assets: ``updated`` filter, never checked for deletions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from akeneo_sync import deletions, extract
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.extract import Doc, Filters, chunks

if TYPE_CHECKING:
    from akeneo_sync.sync import Run

Search = dict[str, list[dict[str, Any]]]
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


# Reference resources Akeneo filters on ``updated`` (ISO 8601), read by their changes alone on
# the runs between two reconciling ones.
UPDATED_LISTINGS = {
    "attributes": "/attributes",
    "families": "/families",
    "categories": "/categories",
}
REFERENCE = (
    *extract.SIMPLE_LISTINGS,
    *extract.CURSOR_LISTINGS,
    "measurement_families",
    "attribute_options",
    "family_variants",
    "reference_entity_records",
)


def _iso(cursor: str) -> str:
    return cursor.replace(" ", "T") + "Z"


async def light_reference(run: Run) -> dict[str, list[Doc]] | None:
    """Reference data from the destination plus its upstream changes; None when this run must
    re-read it (a reconciling run, a flat or partial destination)."""
    if _reconcile_due(run) or run.sink.shape == "flat":
        return None
    if any(res.BY_NAME[name] not in run.chosen for name in REFERENCE):
        return None
    cursors = stored_cursors(run.state)
    reference: dict[str, list[Doc]] = {}
    for name in REFERENCE:
        resource = res.BY_NAME[name]
        stored = await stored_docs(run, resource)
        reference[name] = [d for d in stored.values() if not d.get("deleted_at")]
    if not reference["attributes"] or not all(n in cursors for n in UPDATED_LISTINGS):
        return None

    async def changes(name: str, path: str) -> tuple[str, list[Doc]]:
        search = {"updated": [{"operator": ">", "value": _iso(cursors[name])}]}
        run.summary.how[name] = f"incremental (updated > {_iso(cursors[name])})"
        return name, await extract.collect(run.client.listing(path, search=search))

    async def records(entity: str) -> tuple[str, list[Doc]]:
        since = _iso(cursors["reference_entity_records"])
        search = {"updated": [{"operator": ">", "value": since}]}
        run.summary.how["reference_entity_records"] = f"incremental (updated > {since})"
        found = await extract.collect(run.client.records(entity, search=search))
        for record in found:
            record["reference_entity"] = entity
        return "reference_entity_records", found

    jobs = [changes(name, path) for name, path in UPDATED_LISTINGS.items()]
    if "reference_entity_records" in cursors:
        jobs += [records(e["code"]) for e in reference["reference_entities"]]
    for name, changed in await asyncio.gather(*jobs):  # side by side: latency, not volume
        _merge(reference, name, changed)
    for name in REFERENCE:
        run.summary.how.setdefault(name, "from the destination (re-read when reconciling)")
    run.light = True
    return reference


def _merge(reference: dict[str, list[Doc]], name: str, changed: list[Doc]) -> None:
    resource = res.BY_NAME[name]
    docs = {resource.key_of(d): d for d in reference[name]}
    docs.update((resource.key_of(d), d) for d in changed)
    reference[name] = list(docs.values())


async def run_incremental(run: Run) -> None:
    run.writer.track(res.PRODUCTS.name, res.PRODUCT_MODELS.name)  # for the deletion count check
    cursors = stored_cursors(run.state)
    reconcile = not run.light and _reconcile_due(run)
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
        if run.options.deletes != "ignore" and not run.stop.is_set():
            # Every run: a count per resource is one request; keys are listed only when the
            # counts say something is gone.
            await deletions.reconcile_products(run)
    since = int(run.state.get("runs_since_reconcile", 0))
    run.state["runs_since_reconcile"] = 0 if reconcile else since + 1


def _reconcile_due(run: Run) -> bool:
    """Whether this run re-reads and diffs the reference data (labels, deleted options...)."""
    every = run.options.reconcile_every
    if isinstance(every, timedelta):
        last = run.state.get("reference_read_at")
        return last is None or run.started - datetime.fromisoformat(last) >= every
    if every <= 0:
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
        stored = await stored_docs(run, resource)
        changed = [d for d in fresh if _changed(stored.get(resource.key_of(d)), d)]
        run.progress.start(resource.name, len(changed))
        await run.writer.put(resource, changed)
        await run.done(resource.name)
        if not run.light:
            run.summary.how[resource.name] = "re-read and diffed"
            await deletions.delete_gone(run, resource, fresh, stored)
        if run.options.labels:
            relabel.extend(_label_searches(run, resource, changed, stored))
    if res.ASSETS in run.chosen:
        await _changed_assets(run, cursors["assets"])
    return relabel


async def stored_docs(run: Run, resource: res.Resource) -> dict[Any, Doc]:
    """The destination's documents of ``resource`` by key, read at most once a run: the read
    ``light_reference`` makes before anything is written serves the diff too."""
    found = run.stored_reference.get(resource.name)
    if found is None:
        docs = await run.thread.call(lambda: list(run.sink.read(resource)))
        found = run.stored_reference[resource.name] = {resource.key_of(d): d for d in docs}
    return found


def _changed(stored: Doc | None, fresh: Doc) -> bool:
    if stored is fresh:  # taken from the destination as it was
        return False
    return (
        stored is None or bool(stored.get("deleted_at")) or _canonical(stored) != _canonical(fresh)
    )


def _shown(resource: res.Resource, doc: Mapping[str, Any], locale: str) -> Any:
    """What a product or model shows of a reference document (with ``--labels``)."""
    if resource is res.CATEGORIES:
        return doc.get("label_path")
    if resource is res.REFERENCE_ENTITY_RECORDS:
        return (_nested(doc.get("values")) or {}).get("label")
    return (_nested(doc.get("labels")) or {}).get(locale)


def _nested(value: Any) -> Any:
    """CSV and Parquet rows hold nested fields as JSON text."""
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    return value


def _label_searches(
    run: Run, resource: res.Resource, changed: list[Doc], stored: Mapping[Any, Doc]
) -> Iterable[Search]:
    """Searches that find every product and model showing a label among ``changed``."""
    locale = run.options.labels or ""
    # A new option may already show (unlabelled) on products written between two reconciling
    # runs, which do not re-read options.
    new_counts = resource is res.ATTRIBUTE_OPTIONS and bool(stored)
    moved = [
        d
        for d in changed
        if ((old := stored.get(resource.key_of(d))) is None and new_counts)
        or (old is not None and _shown(resource, old, locale) != _shown(resource, d, locale))
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
    since = _iso(cursor)  # assets take ISO 8601
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


def in_(field: str, codes: list[str]) -> Search:
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
            ({**base, **in_("parent", codes)} for codes in chunks(roots)),
            filters,
        )
    )
    run.models.update(changed)
    await fetch_parents(run, changed.values())
    if "product_models" in run.wanted:
        await run.writer.put(res.PRODUCT_MODELS, [run.finish(m) for m in changed.values()])
    await run.done("product_models")
    return set(changed)


async def fetch_parents(run: Run, docs: Iterable[Doc]) -> None:
    """Bring the models that ``docs`` hang from into ``run.models`` (two levels at most).

    They come from the destination when it holds documents: every model changed since the
    cursor was written this run already (merged, so a root's values are in its sub models);
    otherwise, or when the destination lacks one, from Akeneo."""
    missing = {d["parent"] for d in docs if d.get("parent") and d["parent"] not in run.models}
    if missing and run.stored_models_usable():
        await _models_from_destination(run, missing)
        missing = {code for code in missing if code not in run.models}
    for _ in range(2):
        if not missing:
            return
        found: list[Doc] = []
        searches = (in_("identifier", codes) for codes in chunks(sorted(missing)))
        async for page in extract.search_pages(run.client, res.PRODUCT_MODELS, searches, Filters()):
            found.extend(page)
        run.models.update((m["code"], m) for m in found)
        missing = {m["parent"] for m in found if m.get("parent") and m["parent"] not in run.models}


async def _models_from_destination(run: Run, codes: set[str]) -> None:
    """The stored models ``codes`` and, for sub models, their roots: looked up by key."""
    for _ in range(2):
        wanted = [(code,) for code in sorted(codes)]
        docs = await run.thread.call(lambda w=wanted: list(run.sink.get(res.PRODUCT_MODELS, w)))
        found = [d for d in docs if not d.get("deleted_at")]
        run.models.update((d["code"], d) for d in found)
        codes = {d["parent"] for d in found if d.get("parent") and d["parent"] not in run.models}
        if not codes:
            return


async def _changed_products(
    run: Run, since: str, changed_models: set[str], relabel: list[Search]
) -> None:
    base = run.options.filters.search(products=True)
    searches: list[Search] = [{**base, **_since(since)}]
    searches += [{**base, **in_("parent", codes)} for codes in chunks(sorted(changed_models))]
    searches += [{**base, **search} for search in relabel]
    run.progress.start("products", None)
    await read_products(run, searches)
    await run.done("products")


async def read_products(run: Run, searches: Iterable[Search]) -> None:
    seen: set[str] = set()
    filters = run.options.filters
    async for page in extract.search_pages(run.client, res.PRODUCTS, searches, filters):
        fresh = [p for p in page if p["uuid"] not in seen]
        seen.update(p["uuid"] for p in fresh)
        await fetch_parents(run, fresh)
        await run.write_products([run.finish(p) for p in fresh])
        if run.stop.is_set():
            break
