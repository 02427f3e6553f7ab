"""Walking Akeneo listings: follow ``_links.next.href`` as the server gives it, and never end early.

Akeneo's docs say never to build ``page`` or ``search_after`` yourself: the cursor is opaque and the
links repeat every query parameter. A listing ends only when a page has no ``next`` link; an error
on any page raises (after the HTTP layer's retries), and a link seen twice means a server loop,
which raises rather than spinning forever or silently truncating.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urljoin

from akeneo_sync.client.http import AkeneoHttp
from akeneo_sync.errors import PaginationError

Item = dict[str, Any]


class Page(list[Item]):
    """A page's items; ``next_url`` is where the listing goes on (None on the last page), which
    is what a checkpoint stores to resume a listing later."""

    next_url: str | None = None


async def iter_pages(
    http: AkeneoHttp, path: str, params: dict[str, Any] | None = None
) -> AsyncIterator[Page]:
    """Yield each page. Structure endpoints that answer a plain JSON array (measurement
    families, entity attributes) are one page. ``path`` may be a saved ``next_url``."""
    url = http.url(path)
    seen: set[str] = set()
    query = params
    while True:
        body = await http.get_json(url, params=query)
        if isinstance(body, list):
            yield Page(body)
            return
        if not isinstance(body, dict) or "_embedded" not in body:
            raise PaginationError(f"not a list response: {str(body)[:80]}", url=url)
        page = Page(body["_embedded"].get("items") or [])
        href = ((body.get("_links") or {}).get("next") or {}).get("href")
        # An absolute href is followed as given; a relative one is resolved against the base URL.
        page.next_url = urljoin(http.base_url + "/", href) if href else None
        yield page
        if page.next_url is None:
            return
        if page.next_url in seen:
            raise PaginationError(
                f"the server sent the same next link twice: {page.next_url}", url=url
            )
        seen.add(page.next_url)
        url, query = page.next_url, None


async def iter_items(
    http: AkeneoHttp, path: str, params: dict[str, Any] | None = None
) -> AsyncIterator[Item]:
    async for page in iter_pages(http, path, params):
        for item in page:
            yield item
