"""Which endpoints make up each resource, and how to read them fast and politely.

Reference data (attributes, options, categories, families, ...) is small and read concurrently
into memory, because transforms need it as lookups. Products and product models stream: their
listing is split into partitions (one per family, plus products without a family) so several
search_after cursors run at once and keep the client's request slots busy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from akeneo_sync.client import AkeneoClient, Page
from akeneo_sync.resources import BY_NAME, Resource

Doc = dict[str, Any]

SELECT_TYPES = frozenset({"pim_catalog_simpleselect", "pim_catalog_multiselect"})
MEDIA_TYPES = frozenset({"pim_catalog_file", "pim_catalog_image"})

# Offset-paginated structure listings and their paths.
SIMPLE_LISTINGS = {
    "locales": "/locales",
    "currencies": "/currencies",
    "channels": "/channels",
    "attribute_groups": "/attribute-groups",
    "attributes": "/attributes",
    "families": "/families",
    "categories": "/categories",
    "association_types": "/association-types",
}
# search_after-only listings that take no limit.
CURSOR_LISTINGS = {
    "reference_entities": "/reference-entities",
    "asset_families": "/asset-families",
}


@dataclass
class Filters:
    """What the user asked for; becomes Akeneo ``search``, ``scope`` and ``locales``."""

    channel: str | None = None
    locales: list[str] | None = None
    families: list[str] | None = None
    categories: list[str] | None = None
    enabled_only: bool = False
    updated_since: datetime | None = None
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def search(self, *, products: bool) -> dict[str, list[dict[str, Any]]]:
        search: dict[str, list[dict[str, Any]]] = {}
        if self.families:
            search["family"] = [{"operator": "IN", "value": self.families}]
        if self.categories:
            search["categories"] = [{"operator": "IN CHILDREN", "value": self.categories}]
        if self.enabled_only and products:  # product models have no `enabled`
            search["enabled"] = [{"operator": "=", "value": True}]
        if self.updated_since is not None:
            search["updated"] = [{"operator": ">", "value": akeneo_datetime(self.updated_since)}]
        for name, conditions in self.extra.items():
            search.setdefault(name, []).extend(conditions)
        return search

    def params(self) -> dict[str, Any]:
        return {"scope": self.channel, "locales": self.locales}


def akeneo_datetime(moment: datetime) -> str:
    """Product filters take a naive ``YYYY-MM-DD hh:mm:ss`` in the server's time zone (UTC on
    SaaS), not ISO 8601 with an offset (pim-api-docs#156)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def strip_links(item: Doc) -> Doc:
    item.pop("_links", None)
    return item


async def collect(pages: AsyncIterator[list[Doc]]) -> list[Doc]:
    out: list[Doc] = []
    async for page in pages:
        out.extend(strip_links(item) for item in page)
    return out


async def read_reference(client: AkeneoClient, wanted: Iterable[str]) -> dict[str, list[Doc]]:
    """Every reference resource in ``wanted`` (and what lookups need), read concurrently.

    Assets are not reference data (they can be many) and are streamed by ``asset_pages``."""
    wanted = set(wanted)
    # One request alone first: a wrong URL or credentials fail once, plainly, not eleven times.
    locales = await collect(client.listing(SIMPLE_LISTINGS["locales"]))
    first: dict[str, Awaitable[list[Doc]]] = {}
    for name, path in SIMPLE_LISTINGS.items():
        if name == "locales":
            continue
        first[name] = collect(client.listing(path))
    for name, path in CURSOR_LISTINGS.items():
        first[name] = collect(client.cursor_listing(path))
    first["measurement_families"] = collect(client.pages("/measurement-families"))
    names = list(first)
    results = dict(zip(names, await asyncio.gather(*first.values()), strict=True))
    results["locales"] = locales

    async def options(attribute: str) -> list[Doc]:
        docs = await collect(client.attribute_options(attribute))
        for doc in docs:
            doc.setdefault("attribute", attribute)
        return docs

    async def variants(family: str) -> list[Doc]:
        docs = await collect(client.family_variants(family))
        for doc in docs:
            doc["family"] = family
        return docs

    async def records(entity: str) -> list[Doc]:
        docs = await collect(client.records(entity))
        for doc in docs:
            doc["reference_entity"] = entity
        return docs

    select_attributes = [a["code"] for a in results["attributes"] if a.get("type") in SELECT_TYPES]
    second = await asyncio.gather(
        _flat(options(code) for code in select_attributes),
        _flat(variants(f["code"]) for f in results["families"]),
        _flat(records(e["code"]) for e in results["reference_entities"]),
    )
    (
        results["attribute_options"],
        results["family_variants"],
        results["reference_entity_records"],
    ) = second
    return results


async def _flat(jobs: Iterable[Awaitable[list[Doc]]]) -> list[Doc]:
    return [doc for docs in await asyncio.gather(*jobs) for doc in docs]


@dataclass(frozen=True)
class Partition:
    """One independent search_after cursor over products or product models."""

    name: str
    search: dict[str, list[dict[str, Any]]]
    start_url: str | None = None
    """Where a checkpointed cursor goes on; None starts from the first page."""


def partitions(filters: Filters, families: Iterable[str], *, products: bool) -> list[Partition]:
    """Split a listing by family so cursors can run side by side; their union is the listing.

    Products without a family get their own partition. When the user filtered on families,
    only those are read."""
    base = filters.search(products=products)
    chosen = list(filters.families) if filters.families else sorted(families)
    out = []
    for family in chosen:
        search = dict(base)
        search["family"] = [{"operator": "IN", "value": [family]}]
        out.append(Partition(family, search))
    if not filters.families and products:  # every product model has a family
        search = dict(base)
        search["family"] = [{"operator": "EMPTY"}]
        out.append(Partition("(no family)", search))
    return out


PageHandler = Callable[[Partition, Page], Awaitable[None]]


async def read_partitioned(
    client: AkeneoClient,
    resource: Resource,
    parts: list[Partition],
    filters: Filters,
    on_page: PageHandler,
    *,
    workers: int = 4,
    stop: asyncio.Event | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Read every partition, ``workers`` cursors at a time; ``on_page`` gets each page (its
    items without ``_links``). Setting ``stop`` ends the reading between two pages."""
    queue: asyncio.Queue[Partition] = asyncio.Queue()
    for part in parts:
        queue.put_nowait(part)
    listing = client.products if resource is BY_NAME["products"] else client.product_models

    async def worker() -> None:
        while not queue.empty() and not (stop and stop.is_set()):
            part = queue.get_nowait()
            pages = (
                client.pages(part.start_url)
                if part.start_url
                else listing(part.search, **{**filters.params(), **(params or {})})
            )
            async for page in pages:
                for item in page:
                    strip_links(item)
                await on_page(part, page)
                if stop and stop.is_set():
                    return

    tasks = [asyncio.create_task(worker()) for _ in range(min(workers, len(parts)) or 1)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


async def search_pages(
    client: AkeneoClient,
    resource: Resource,
    searches: Iterable[dict[str, list[dict[str, Any]]]],
    filters: Filters,
) -> AsyncIterator[Page]:
    """Pages of several searches one after the other (small result sets: changes, lookups)."""
    listing = client.products if resource is BY_NAME["products"] else client.product_models
    for search in searches:
        async for page in listing(search, **filters.params()):
            for item in page:
                strip_links(item)
            yield page


def chunks(items: Iterable[str], size: int = 100) -> Iterator[list[str]]:
    """Akeneo caps ``IN`` lists (800 on SaaS, 100 identifiers): ask in slices."""
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def asset_pages(client: AkeneoClient, families: Iterable[str]) -> AsyncIterator[list[Doc]]:
    for family in families:
        async for page in client.assets(family):
            for item in page:
                strip_links(item)
                item.setdefault("asset_family_code", family)
            yield page


def media_codes(doc: Doc, attributes: Mapping[str, Doc]) -> Iterable[str]:
    """Media file codes referenced by a product's file and image values."""
    for code, values in (doc.get("values") or {}).items():
        if attributes.get(code, {}).get("type") in MEDIA_TYPES:
            for value in values:
                if isinstance(value.get("data"), str) and value["data"]:
                    yield value["data"]
