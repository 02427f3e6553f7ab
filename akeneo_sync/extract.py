"""Which requests make up each resource, and how to read them fast and politely.

Reference data (attributes, options, categories, families, ...) is small and read concurrently
into memory, because transforms need it as lookups: the listings a run uses, no more
(``reference_needed``). Products and product models stream: their
listing is split into parts of similar size (``plan.py``) so several search_after cursors run at
once and keep the client's request slots busy.

Resources are named here, never paths or search operators: those are the client's
(``client/endpoints.py``, ``client/search.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from akeneo_sync.client import AkeneoClient, Page
from akeneo_sync.client.endpoints import endpoint as client_endpoint
from akeneo_sync.client.search import (
    Search,
    akeneo_datetime,
    equals,
    in_,
    in_children,
    merged,
    updated_after,
)
from akeneo_sync.plan import Partition
from akeneo_sync.transform._types import MEDIA_TYPES, SELECT_TYPES

Doc = dict[str, Any]

# Top-level reference listings, read side by side once locales answered.
STRUCTURE = (
    "currencies",
    "channels",
    "attribute_groups",
    "attributes",
    "families",
    "categories",
    "association_types",
    "reference_entities",
    "asset_families",
    "measurement_families",
)
# Nested listings: one request (or more) per parent.
NESTED = ("attribute_options", "family_variants", "reference_entity_records")
REFERENCE = ("locales", *STRUCTURE, *NESTED)
"""Every resource read whole into memory (assets, products and models stream)."""
_PARENT = {
    "attribute_options": "attributes",
    "family_variants": "families",
    "reference_entity_records": "reference_entities",
    "assets": "asset_families",
}
_LABELS = ("attribute_options", "families", "categories", "reference_entity_records")
"""What ``--labels`` takes its labels from (and category paths)."""


def reference_needed(resources: Iterable[str], *, labels: bool) -> frozenset[str]:
    """The reference listings a run of ``resources`` reads: the locales (its first request),
    the attributes and channels (every value is merged, shaped and restricted by them), the
    listings it stores, with ``labels`` those labels come from, and each nested listing's
    parent (assets': their families)."""
    wanted = {"locales", "attributes", "channels", *resources, *(_LABELS if labels else ())}
    wanted |= {_PARENT[name] for name in wanted if name in _PARENT}
    return frozenset(wanted) & frozenset(REFERENCE)


@dataclass
class Filters:
    """What the user asked for; becomes Akeneo ``search``, ``scope`` and ``locales``."""

    channel: str | None = None
    locales: list[str] | None = None
    families: list[str] | None = None
    categories: list[str] | None = None
    enabled_only: bool = False
    updated_since: datetime | None = None
    extra: Search = field(default_factory=dict)
    attributes: list[str] | None = None
    """Ask only for these attributes' values (products and product models): smaller pages,
    fewer columns. Akeneo's ``attributes``; list the identifier attribute to keep it."""
    with_completenesses: bool = False
    """Products carry ``completenesses`` (per channel and locale), as Akeneo computes them."""
    with_quality_scores: bool = False
    """Products and product models carry ``quality_scores`` (Data Quality Insights grades)."""

    def search(self, *, products: bool) -> Search:
        parts: list[Search] = []
        if self.families:
            parts.append(in_("family", self.families))
        if self.categories:
            parts.append(in_children(self.categories))
        if self.enabled_only and products:  # product models have no `enabled`
            parts.append(equals("enabled", True))
        if self.updated_since is not None:
            parts.append(updated_after(akeneo_datetime(self.updated_since), "naive"))
        return merged(*parts, self.extra)

    def params(self) -> dict[str, Any]:
        # None is never sent: a plain listing's URL stays as it was.
        return {
            "scope": self.channel,
            "locales": self.locales,
            "attributes": self.attributes,
            "with_completenesses": True if self.with_completenesses else None,
            "with_quality_scores": True if self.with_quality_scores else None,
        }


async def collect(pages: AsyncIterator[list[Doc]]) -> list[Doc]:
    return [item async for page in pages for item in page]


async def read_reference(
    client: AkeneoClient,
    answered: asyncio.Event | None = None,
    known: Mapping[str, list[Doc]] | None = None,
    names: Iterable[str] = REFERENCE,
) -> dict[str, list[Doc]]:
    """The resources of ``REFERENCE`` among ``names`` (``reference_needed``; the others come
    back empty), read concurrently; a nested listing starts as soon as its parents are in.
    ``answered`` is set once Akeneo gave a token or answered the first request; ``known``: top
    listings read already in this run, not asked for again."""
    known = known or {}
    names = set(names) | {_PARENT[n] for n in names if n in _PARENT}

    async def listing(name: str) -> list[Doc]:
        return list(known[name]) if name in known else await collect(client.pages(name))

    # One request alone until the token is in (or it answered): a wrong URL or credentials
    # fail once, plainly, not eleven times. The others need not wait for its answer too.
    first = asyncio.ensure_future(listing("locales"))
    signed = asyncio.ensure_future(client.signed_in())
    try:
        await asyncio.wait({first, signed}, return_when=asyncio.FIRST_COMPLETED)
        if first.done():
            first.result()  # raises why Akeneo could not be reached
    except BaseException:
        first.cancel()
        raise
    finally:
        signed.cancel()
    if answered is not None:
        answered.set()
    top = {name: asyncio.ensure_future(listing(name)) for name in STRUCTURE if name in names}

    async def nested(name: str, codes: Callable[[list[Doc]], list[str]]) -> list[Doc]:
        parents = codes(await top[_PARENT[name]])
        return await _flat(collect(client.pages(name, parent=c)) for c in parents)

    nesting: dict[str, Callable[[list[Doc]], list[str]]] = {
        "attribute_options": lambda docs: [
            a["code"] for a in docs if a.get("type") in SELECT_TYPES
        ],
        "family_variants": lambda docs: [f["code"] for f in docs],
        "reference_entity_records": lambda docs: [e["code"] for e in docs],
    }
    jobs = {
        **top,
        **{name: nested(name, codes) for name, codes in nesting.items() if name in names},
    }
    try:
        locales, *found = await asyncio.gather(first, *jobs.values())
    finally:
        for job in (first, *top.values()):
            job.cancel()
    return {
        **{name: [] for name in REFERENCE},
        "locales": locales,
        **dict(zip(jobs, found, strict=True)),
    }


async def read_changed(
    client: AkeneoClient, name: str, cursor: str, parents: Iterable[str] = ()
) -> list[Doc]:
    """The documents of reference listing ``name`` updated after ``cursor`` (of each parent,
    for a nested listing)."""
    spec = client_endpoint(name)
    assert spec.updated is not None, f"{name} cannot be filtered on updated"
    search = updated_after(cursor, spec.updated)
    if spec.parent is None:
        return await collect(client.pages(name, search=search))
    return await _flat(collect(client.pages(name, parent=p, search=search)) for p in parents)


async def _flat(jobs: Iterable[Awaitable[list[Doc]]]) -> list[Doc]:
    return [doc for docs in await asyncio.gather(*jobs) for doc in docs]


PageHandler = Callable[[Partition, Page], Awaitable[None]]


async def read_partitioned(
    client: AkeneoClient,
    resource: str,
    parts: list[Partition],
    filters: Filters,
    on_page: PageHandler,
    *,
    stop: asyncio.Event | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Read every partition, one cursor a slot of the client; ``on_page`` gets each page.
    Setting ``stop`` ends the reading between two pages."""
    queue: asyncio.Queue[Partition] = asyncio.Queue()
    for part in parts:
        queue.put_nowait(part)

    async def worker() -> None:
        while not queue.empty() and not (stop and stop.is_set()):
            part = queue.get_nowait()
            pages = client.pages(
                resource,
                search=part.search,
                start_url=part.start_url,
                **{**filters.params(), **(params or {})},
            )
            async for page in pages:
                await on_page(part, page)
                if stop and stop.is_set():
                    return

    workers = min(client.concurrency, len(parts)) or 1
    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


async def search_pages(
    client: AkeneoClient, resource: str, searches: Iterable[Search], filters: Filters
) -> AsyncIterator[Page]:
    """Pages of several searches one after the other (small result sets: changes, lookups)."""
    for search in searches:
        async for page in client.pages(resource, search=search, **filters.params()):
            yield page


async def asset_pages(
    client: AkeneoClient, families: Iterable[str], search: Search | None = None
) -> AsyncIterator[Page]:
    """Every asset family's assets, several families at once (Akeneo cannot split one)."""
    pages: asyncio.Queue[Page | None] = asyncio.Queue(client.concurrency)
    todo = list(families)

    async def cursor() -> None:
        while todo:
            family = todo.pop(0)
            async for page in client.pages("assets", parent=family, search=search):
                await pages.put(page)

    async def read() -> None:
        try:
            await asyncio.gather(*(cursor() for _ in range(min(client.concurrency, len(todo)))))
        finally:
            await pages.put(None)

    reader = asyncio.create_task(read())
    try:
        while (page := await pages.get()) is not None:
            yield page
        await reader  # raises what the cursors raised
    finally:
        reader.cancel()


def media_codes(doc: Doc, attributes: Mapping[str, Doc]) -> Iterable[str]:
    """Media file codes referenced by a product's file and image values."""
    for code, values in (doc.get("values") or {}).items():
        if attributes.get(code, {}).get("type") in MEDIA_TYPES:
            for value in values:
                if isinstance(value.get("data"), str) and value["data"]:
                    yield value["data"]
