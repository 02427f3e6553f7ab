"""Balanced partitions of a product or product-model listing.

One search_after cursor reads one page at a time. Several cursors, each over a part of the
listing, keep Akeneo's request slots busy, but only to the end if the parts are of similar size,
read largest first with small ones last: a big part read alone at the end leaves every other slot
idle. Family is a poor key for that (one family often holds half a catalog). ``created`` is a good
one: it never changes, so every document is in exactly one part for the whole read, also while
products are edited; documents created during the read fall in the last part (open-ended); and
a range of it is sized by a ``with_count`` probe (one request, one item).

The listing's count comes with its first page (``take_survey``), a sample of its ``created``
stamps where the listing is not in the order of creation (products-uuid is in uuid order). The
sample's quantiles cut the time line into pieces of about half a slot's share each (for
products), counted side by side; ``plan`` halves (at the sample's median inside, else the
middle) every range still holding more, then the smallest ranges until one part a slot holds an
eighth of that, and ``TAIL_PAGES``
pages, at most, to be read last: the cursors end within a few pages of each other. That is about
one probe a part (18 for 18 parts at 20,000 products), also for a catalog imported in an
afternoon, where halving the time line from 2010 on spent a probe, one after the other, on each
empty half before reaching it.
Parts are named after their range, so a resumed read rebuilds the same parts from its checkpoint
(``from_names``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from akeneo_sync.client import AkeneoClient
from akeneo_sync.client.search import Search, akeneo_datetime, created_range, merged

PAGE = 100
FLOOR = datetime(2010, 1, 1)
"""Before any Akeneo PIM: the time line bisected starts here (the first part is open anyway)."""
PREFIX = "created "
TAIL_PAGES = 4
"""Pages of the small parts read last, at most (whatever the catalog's size)."""
SAMPLE = PAGE
"""Documents asked for with the listing's count: their ``created`` stamps place the first cuts."""


@dataclass(frozen=True)
class Partition:
    """One independent search_after cursor over products or product models."""

    name: str
    search: Search
    start_url: str | None = None
    """Where a checkpointed cursor goes on; None starts from the first page."""
    size: int | None = None
    """How many documents it held when planned (largest first)."""


@dataclass(frozen=True)
class Survey:
    """What one request tells of a listing before it is split."""

    total: int | None
    """Its ``items_count`` (None: it cannot be counted)."""
    created: tuple[datetime, ...] = ()
    """``created`` stamps of its first page, sorted, if that page is a sample of it."""


@dataclass(frozen=True)
class _Range:
    since: datetime | None
    before: datetime | None
    count: int

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        return self.since or FLOOR, self.before or now

    def splittable(self, now: datetime) -> bool:
        since, before = self.bounds(now)
        return before - since >= timedelta(seconds=2)


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else akeneo_datetime(moment)


def _name(since: str | None, before: str | None) -> str:
    return f"{PREFIX}{since or ''}..{before or ''}"


def _partition(
    base: Search, since: str | None, before: str | None, size: int | None = None
) -> Partition:
    return Partition(_name(since, before), merged(base, created_range(since, before)), size=size)


def whole(base: Search) -> Partition:
    """The listing as one part (a small one, or one that cannot be counted)."""
    return _partition(base, None, None)


def from_names(base: Search, names: Iterable[str]) -> list[Partition] | None:
    """The parts a checkpoint names, rebuilt; None if a name is not a range of ``plan``'s."""
    parts = []
    for name in names:
        if not name.startswith(PREFIX) or ".." not in name:
            return None
        since, before = name[len(PREFIX) :].split("..", 1)
        parts.append(_partition(base, since or None, before or None))
    return parts


async def take_survey(
    client: AkeneoClient, resource: str, base: Search, params: dict[str, Any] | None = None
) -> Survey:
    """The listing's count and its first page's ``created`` stamps, in one request."""
    total, items = await client.counted_page(resource, base, limit=SAMPLE, **_sent(params))
    return Survey(total, sample_of(items))


def sample_of(items: list[dict[str, Any]]) -> tuple[datetime, ...]:
    """The items' ``created`` stamps, if they are a sample of the listing's time line: one in
    the order of creation (an auto-increment key) starts with its oldest documents, which say
    nothing of the rest. Akeneo writes them in its own time zone, the one its filters take."""
    try:
        stamps = [datetime.strptime(str(i["created"])[:19], "%Y-%m-%dT%H:%M:%S") for i in items]
    except (KeyError, ValueError):
        return ()
    rising = sum(a <= b for a, b in itertools.pairwise(stamps))
    if len(stamps) < 2 or rising > 0.9 * (len(stamps) - 1):
        return ()
    return tuple(sorted(stamps))


def _sent(params: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (params or {}).items() if v is not None}


async def plan(
    client: AkeneoClient,
    resource: str,
    base: Search,
    *,
    slots: int = 4,
    params: dict[str, Any] | None = None,
    survey: Survey | None = None,
    per_slot: int = 2,
    tail: bool = True,
) -> list[Partition]:
    """Parts of ``resource``'s listing under ``base``, largest first, about ``per_slot`` a slot,
    with (``tail``) small ones last. ``params`` go with every probe (``scope`` narrows products
    to the channel's tree); ``survey``: the listing's, if taken already."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
    extra = _sent(params)

    async def count(since: datetime | None, before: datetime | None) -> int:
        search = merged(base, created_range(_stamp(since), _stamp(before)))
        found = await client.count(resource, search, **extra)
        return found or 0

    if survey is None:
        survey = await take_survey(client, resource, base, params)
    total, sample = survey.total, [s for s in survey.created if FLOOR < s < now]
    if total is None or total <= 2 * PAGE:
        return [whole(base)]
    target = max(PAGE, -(-total // (per_slot * slots)))

    def middle(part: _Range) -> datetime:
        # The sample's median splits a crowded stretch (a catalog imported in an afternoon)
        # where the time line's middle would leave one half empty.
        since, before = part.bounds(now)
        inside = [s for s in sample if since < s < before]
        if len(inside) >= 2:
            return inside[len(inside) // 2]
        return (since + (before - since) / 2).replace(microsecond=0)

    async def halve(part: _Range) -> list[_Range]:
        cut = middle(part)
        left = await count(part.since, cut)
        return [_Range(part.since, cut, left), _Range(cut, part.before, part.count - left)]

    async def bisect(part: _Range) -> list[_Range]:
        if part.count <= target or not part.splittable(now):
            return [part]
        halves = await halve(part)
        done = await asyncio.gather(*(bisect(h) for h in halves))
        return [r for rs in done for r in rs]

    # The sample's quantiles cut the time line into pieces of a little under ``target`` each,
    # counted side by side; those the sample misjudged are halved.
    pieces = per_slot * slots + 1
    cuts = sorted({sample[len(sample) * i // pieces] for i in range(1, pieces)} if sample else ())
    lefts = await asyncio.gather(*(count(None, cut) for cut in cuts))
    bounds = [None, *cuts, None]
    below = [0, *lefts, total]
    seeds = [
        _Range(bounds[i], bounds[i + 1], max(0, below[i + 1] - below[i]))
        for i in range(len(bounds) - 1)
    ]
    ranges = [r for rs in await asyncio.gather(*(bisect(s) for s in seeds)) for r in rs]
    if tail:
        # Halve the smallest ranges until ``slots`` of them hold an eighth of the rest and a few
        # pages at most: read last, they end together, whichever cursor started its last part
        # late.
        small = max(PAGE, min(target // 8, TAIL_PAGES * PAGE))
        while (missing := slots - sum(1 for r in ranges if 0 < r.count <= small)) > 0:
            bigger = sorted(
                (r for r in ranges if r.count > small and r.splittable(now)), key=lambda r: r.count
            )[:missing]
            if not bigger:
                break
            halves = await asyncio.gather(*(halve(r) for r in bigger))
            for r, pair in zip(bigger, halves, strict=True):
                at = ranges.index(r)
                ranges[at : at + 1] = pair
    ranges = _merge_empty(ranges)
    parts = [_partition(base, _stamp(r.since), _stamp(r.before), r.count) for r in ranges]
    return sorted(parts, key=lambda p: -(p.size or 0))


def _merge_empty(ranges: list[_Range]) -> list[_Range]:
    """Ranges holding nothing joined to the one before (or after): fewer cursors, and the
    time line stays covered."""
    out: list[_Range] = []
    for r in ranges:
        if out and (r.count == 0 or out[-1].count == 0):
            last = out.pop()
            r = _Range(last.since, r.before, last.count + r.count)
        out.append(r)
    return out
