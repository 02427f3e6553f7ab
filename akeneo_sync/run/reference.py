"""Reference data for a run: read whole, or from the destination plus what changed upstream; and
on a reconciling run, diffed with the destination.

- A full read, and a *reconciling* incremental run (every ``reconcile_every``), read it whole.
  An incremental read hands out only the documents that changed and the keys gone upstream, and
  finds the products and models that show a label that moved without touching their
  ``updated`` (attribute options, with ``--labels``) so they are read again.
- The incremental runs in between read it from the destination, plus what changed upstream for
  the listings Akeneo filters on ``updated`` (attributes, families, categories, reference entity
  records); the small rest (options, channels, locales, ...) waits for the next reconciling run.
  Destinations that keep flat rows always re-read it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import orjson

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client.search import Search, chunks, in_, iso_cursor
from akeneo_sync.extract import Doc
from akeneo_sync.run.context import Batch, ReadContext, Reference
from akeneo_sync.transform._types import RECORD_TYPES

# Fields the destination adds that Akeneo does not send.
LOCAL_FIELDS = frozenset({"deleted_at"})
# Read by their changes alone between two reconciling runs.
UPDATED_LISTINGS = ("attributes", "families", "categories")


async def light_reference(ctx: ReadContext, cursors: Mapping[str, str]) -> Reference | None:
    """From the stored data plus its upstream changes since ``cursors``; None when it must be
    re-read (stored data that is flat rows or lacks a resource)."""
    if ctx.stored is None or not ctx.documents:
        return None
    docs: dict[str, list[Doc]] = {}
    for name in extract.REFERENCE:
        stored = await ctx.stored_docs(res.BY_NAME[name])
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


async def read_reference(
    ctx: ReadContext, resource: res.Resource, *, diff: bool, deletions: bool
) -> AsyncIterator[Batch]:
    """One batch: every document of ``resource``, or with ``diff`` only those that differ from
    the stored ones; with ``deletions`` the stored keys gone upstream (unless the reference came
    from the stored data itself). Moved labels add to ``ctx.relabel``."""
    reference = await ctx.ref()
    fresh = ctx.prepare(resource, reference.docs[resource.name])
    if ctx.stored is None or not (diff or deletions):
        yield Batch(resource, fresh)
        return
    stored = await ctx.stored_docs(resource)
    changed = [d for d in fresh if _changed(stored.get(resource.key_of(d)), d)] if diff else fresh
    gone: list[Any] = []
    if deletions and not reference.light:
        upstream = {resource.key_of(d) for d in fresh}
        gone = [k for k, d in stored.items() if k not in upstream and not d.get("deleted_at")]
    if diff and ctx.options.labels:
        ctx.relabel.extend(_label_searches(ctx, resource, changed, stored))
    yield Batch(resource, changed, gone)


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
        return (doc.get("values") or {}).get("label")
    return (doc.get("labels") or {}).get(locale)


def _label_searches(
    ctx: ReadContext, resource: res.Resource, changed: list[Doc], stored: Mapping[Any, Doc]
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


def _value_searches(ctx: ReadContext, attribute: str, codes: list[str]) -> Iterable[Search]:
    """An attribute filter must name a locale / channel when the attribute has them."""
    spec = ctx.attributes.get(attribute, {})
    assert ctx.reference is not None
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
