"""Reference data for a run: read whole, or from the destination plus what changed upstream; and
on a reconciling run, diffed with the destination.

- A full run, and a *reconciling* incremental run (every ``reconcile_every``), re-read it whole.
  An incremental run writes only the documents that changed, deletes the ones gone upstream, and
  finds the products and models that show a label that moved without touching their
  ``updated`` (attribute options, with ``--labels``) so they are read again.
- The incremental runs in between read it from the destination, plus what changed upstream for
  the listings Akeneo filters on ``updated`` (attributes, families, categories, reference entity
  records); the small rest (options, channels, locales, ...) waits for the next reconciling run.
  Destinations that keep flat rows always re-read it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client.search import Search, chunks, in_, iso_cursor
from akeneo_sync.extract import Doc
from akeneo_sync.run import deletions
from akeneo_sync.run.context import Reference, RunContext
from akeneo_sync.run.options import Report
from akeneo_sync.run.state import reconcile_due, stored_cursors
from akeneo_sync.transform._types import RECORD_TYPES

# Fields the destination adds that Akeneo does not send.
LOCAL_FIELDS = frozenset({"deleted_at"})
# Read by their changes alone between two reconciling runs.
UPDATED_LISTINGS = ("attributes", "families", "categories")


async def read_reference(ctx: RunContext, *, incremental: bool) -> Reference:
    if incremental:
        light = await _light_reference(ctx)
        if light is not None:
            return light
    return Reference(await extract.read_reference(ctx.client, ctx.wanted))


async def _light_reference(ctx: RunContext) -> Reference | None:
    """From the destination plus its upstream changes; None when this run must re-read it (a
    reconciling run, a flat or partial destination)."""
    if reconcile_due(ctx.previous, ctx.options, ctx.marks.started) or not ctx.stored_documents():
        return None
    if any(name not in ctx.wanted for name in extract.REFERENCE):
        return None
    cursors = stored_cursors(ctx.previous)
    docs: dict[str, list[Doc]] = {}
    for name in extract.REFERENCE:
        stored = await ctx.stored(res.BY_NAME[name])
        docs[name] = [d for d in stored.values() if not d.get("deleted_at")]
    if not docs["attributes"] or not all(n in cursors for n in UPDATED_LISTINGS):
        return None
    how: dict[str, str] = {}

    async def changes(name: str, parents: Iterable[str] = ()) -> tuple[str, list[Doc]]:
        how[name] = f"incremental (updated > {iso_cursor(cursors[name])})"
        return name, await extract.read_changed(ctx.client, name, cursors[name], parents)

    jobs = [changes(name) for name in UPDATED_LISTINGS]
    if "reference_entity_records" in cursors:
        entities = [e["code"] for e in docs["reference_entities"]]
        jobs.append(changes("reference_entity_records", entities))
    for name, changed in await asyncio.gather(*jobs):  # side by side: latency, not volume
        _merge(docs, name, changed)
    for name in extract.REFERENCE:
        how.setdefault(name, "from the destination (re-read when reconciling)")
    return Reference(docs, light=True, how=how)


def _merge(docs: dict[str, list[Doc]], name: str, changed: list[Doc]) -> None:
    resource = res.BY_NAME[name]
    by_key = {resource.key_of(d): d for d in docs[name]}
    by_key.update((resource.key_of(d), d) for d in changed)
    docs[name] = list(by_key.values())


async def diff_reference(ctx: RunContext) -> tuple[Report, list[Search]]:
    """Write reference documents that changed, delete the ones gone; return the product and
    model searches that find every document showing a changed label."""
    report = Report()
    relabel: list[Search] = []
    light = ctx.reference.light
    for resource in ctx.chosen:
        if resource.name not in ctx.reference.docs:
            continue
        fresh = ctx.prepare(resource, ctx.reference.docs[resource.name])
        stored = await ctx.stored(resource)
        changed = [d for d in fresh if _changed(stored.get(resource.key_of(d)), d)]
        ctx.progress.start(resource.name, len(changed))
        await ctx.writer.put(resource, changed)
        await ctx.done(resource.name)
        if not light:
            report.how[resource.name] = "re-read and diffed"
            report.add(await deletions.delete_gone(ctx, resource, fresh, stored))
        if ctx.options.labels:
            relabel.extend(_label_searches(ctx, resource, changed, stored))
    return report, relabel


def _canonical(doc: Mapping[str, Any]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in doc.items() if k not in LOCAL_FIELDS}, option=orjson.OPT_SORT_KEYS
    )


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
    ctx: RunContext, resource: res.Resource, changed: list[Doc], stored: Mapping[Any, Doc]
) -> Iterable[Search]:
    """Searches that find every product and model showing a label among ``changed``."""
    locale = ctx.options.labels or ""
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
            yield in_("family", codes)
    elif resource is res.CATEGORIES:
        # label_path moved: the category was relabelled, or one above it, or it moved.
        for codes in chunks(d["code"] for d in moved):
            yield in_("categories", codes)
    elif resource is res.ATTRIBUTE_OPTIONS:
        by_attribute: dict[str, list[str]] = {}
        for option in moved:
            by_attribute.setdefault(option["attribute"], []).append(option["code"])
        for attribute, codes in by_attribute.items():
            yield from _value_searches(ctx, attribute, codes)
    elif resource is res.REFERENCE_ENTITY_RECORDS:
        by_entity: dict[str, list[str]] = {}
        for record in moved:
            by_entity.setdefault(record["reference_entity"], []).append(record["code"])
        for spec in ctx.attributes.values():
            records = by_entity.get(spec.get("reference_data_name") or "")
            if spec.get("type") in RECORD_TYPES and records:
                yield from _value_searches(ctx, spec["code"], records)


def _value_searches(ctx: RunContext, attribute: str, codes: list[str]) -> Iterable[Search]:
    """An attribute filter must name a locale / channel when the attribute has them."""
    spec = ctx.attributes.get(attribute, {})
    docs = ctx.reference.docs
    locales = [loc["code"] for loc in docs["locales"] if loc.get("enabled")]
    channels = [c["code"] for c in docs["channels"]]
    for value_chunk in chunks(codes):
        for locale in locales if spec.get("localizable") else [None]:
            for channel in channels if spec.get("scopable") else [None]:
                where = {"locale": locale} if locale else {}
                if channel:
                    where["scope"] = channel
                yield in_(attribute, value_chunk, **where)
