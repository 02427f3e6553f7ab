"""One method per Akeneo endpoint that akeneo-sync reads; nothing here knows about sinks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from akeneo_sync.client.answers import clean_url
from akeneo_sync.client.auth import BearerAuth, PasswordAuth
from akeneo_sync.client.endpoints import MEDIA_DOWNLOAD, endpoint
from akeneo_sync.client.http import AkeneoHttp, HttpStats, RetryPolicy
from akeneo_sync.client.paging import Page, iter_pages
from akeneo_sync.client.search import Search
from akeneo_sync.errors import ConfigError

API = "/api/rest/v1"
PAGE_SIZE = 100  # Akeneo's maximum


def _seg(code: str) -> str:
    return quote(code, safe="")


class AkeneoClient:
    """An Akeneo REST API client: ``async with AkeneoClient(...) as client: ...``.

    Give either ``username`` + ``password`` (a Connection: password grant with refresh) or
    ``token`` (an App token: used as is). ``transport`` lets tests talk to the emulator in-process
    (``httpx.ASGITransport``)."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        concurrency: int = 4,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` tells the token's age (tests drive it; the server has its own)."""
        if not url:
            raise ConfigError("no Akeneo URL: give --url or set AKENEO_URL")
        check_base_url(url)
        auth: httpx.Auth
        if token:
            auth = BearerAuth(token)
        else:
            missing = [
                name
                for name, value in (
                    ("client id", client_id),
                    ("client secret", client_secret),
                    ("username", username),
                    ("password", password),
                )
                if not value
            ]
            if missing:
                raise ConfigError(f"missing {', '.join(missing)} for the Akeneo connection")
            auth = PasswordAuth(
                url,
                client_id or "",
                client_secret or "",
                username or "",
                password or "",
                clock=clock,
            )
        self.auth = auth
        self.source = source_of(
            url, client_id if not token else None, username if not token else None
        )
        """Which Akeneo and which connection this client reads (no secret): a destination
        records it, so that it is never filled from two catalogs."""
        self.concurrency = concurrency
        """Requests in flight at most (Akeneo SaaS allows 4 a connection)."""
        self.http = AkeneoHttp(
            url,
            auth,
            concurrency=concurrency,
            retry=retry,
            transport=transport,
            timeout=timeout,
        )

    @property
    def stats(self) -> HttpStats:
        return self.http.stats

    async def signed_in(self) -> None:
        """Return once a login answered with a token (the URL and credentials are good), which
        happens inside the first request; never with an App token, which only an API answer
        tells good or bad."""
        event: asyncio.Event | None = getattr(self.auth, "signed_in", None)
        if event is None:
            await asyncio.get_running_loop().create_future()
        else:
            await event.wait()

    async def __aenter__(self) -> AkeneoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- listings ---------------------------------------------------------------------------

    def pages(
        self,
        resource: str,
        *,
        parent: str | None = None,
        search: Search | None = None,
        start_url: str | None = None,
        **params: Any,
    ) -> AsyncIterator[Page]:
        """The pages of ``resource``'s listing (``parent``: the code of a nested listing's
        parent), each item without ``_links`` and with its parent's code; ``start_url``, a page's
        saved ``next_url``, goes on from there."""
        spec = endpoint(resource)
        if start_url is not None:
            pages = iter_pages(self.http, start_url)
        else:
            path = API + spec.path.format(parent=_seg(parent or ""))
            query = _encode({"search": search, **params})
            if spec.paging == "offset":
                query = {"limit": PAGE_SIZE, **query}
            elif spec.paging == "search_after":
                query = {"pagination_type": "search_after", "limit": PAGE_SIZE, **query}
            pages = iter_pages(self.http, path, query or None)
        return _documents(pages, spec.parent_field, parent)

    async def count(self, resource: str, search: Search | None = None, **params: Any) -> int | None:
        """``items_count`` of a listing (one request, one item), or None if it does not count.
        Urgent (``Slots``): a plan's next probes, or a progress bar, wait for it."""
        return (await self.counted_page(resource, search, limit=1, **params))[0]

    async def counted_page(
        self, resource: str, search: Search | None = None, *, limit: int, **params: Any
    ) -> tuple[int | None, list[dict[str, Any]]]:
        """``items_count`` of a listing and its first ``limit`` items, in one request (urgent,
        as ``count``); (None, []) if the listing does not count."""
        spec = endpoint(resource)
        if not spec.countable:
            return None, []
        query = {"limit": limit, "with_count": "true", **_encode({"search": search, **params})}
        body = await self.http.get_json(API + spec.path, params=query, urgent=True)
        if not isinstance(body, dict):
            return None, []
        count = body.get("items_count")
        items = (body.get("_embedded") or {}).get("items") or []
        return (int(count) if count is not None else None), items

    async def download_media(self, code: str, write: Callable[[bytes], object]) -> int:
        # Media codes hold slashes ("a/b/c/d/<sha1>_name.jpg"): encode each segment, keep "/".
        path = MEDIA_DOWNLOAD.format(code=quote(code, safe="/"))
        return await self.http.download(API + path, write)


# Paths people copy from the browser or the docs instead of the base URL, and what they are.
_NOT_BASE = {
    "/user/login": "the PIM's login page",
    "/api/rest/v1": "the REST API's path",
    "/api/oauth/v1/token": "the token endpoint",
    "/api/oauth/v1": "the OAuth path",
}


def check_base_url(url: str) -> None:
    """Refuse, before any request, a URL that cannot be the PIM's base URL; the error names the
    one to give. A 404 from the token endpoint would otherwise read as refused credentials."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = httpx.URL()
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(
            f"{clean_url(url)!r} is not an http(s) URL: give the PIM's base URL, e.g. "
            "https://my-pim.cloud.akeneo.com"
        )
    path = parsed.path.rstrip("/")
    what = next((w for suffix, w in _NOT_BASE.items() if path.endswith(suffix)), None)
    if what is None and parsed.fragment:
        what = "a page of the PIM's web UI"
    if what is not None:
        for suffix in _NOT_BASE:
            path = path.removesuffix(suffix)
        base = parsed.copy_with(path=path or "/", query=None, fragment=None, userinfo=b"")
        raise ConfigError(
            f"{clean_url(url)} is {what}, not its base URL: give {str(base).rstrip('/')}"
        )


async def _documents(
    pages: AsyncIterator[Page], parent_field: str | None, parent: str | None
) -> AsyncIterator[Page]:
    async for page in pages:
        for item in page:
            item.pop("_links", None)
            if parent_field:
                item.setdefault(parent_field, parent)
        yield page


def source_of(url: str, client_id: str | None, username: str | None) -> dict[str, str | None]:
    """The normalised base URL (scheme and host lower-cased, default port and trailing slash
    dropped) and the connection's client id and user; both None for an App token."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    base = f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"
    return {"url": base, "client_id": client_id, "username": username}


def _encode(params: dict[str, Any]) -> dict[str, Any]:
    """Akeneo wants ``search`` as JSON, lists comma-joined and booleans as "true"/"false"."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if key == "search":
            if value:
                out[key] = orjson.dumps(value).decode()
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[key] = ",".join(value)
        else:
            out[key] = value
    return out
