"""One method per Akeneo endpoint that akeneo-sync reads; nothing here knows about sinks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from akeneo_sync.client.auth import BearerAuth, PasswordAuth
from akeneo_sync.client.http import AkeneoHttp, HttpStats, RetryPolicy
from akeneo_sync.client.paging import Page, iter_pages
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
    ) -> None:
        if not url:
            raise ConfigError("no Akeneo URL: give --url or set AKENEO_URL")
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
                url, client_id or "", client_secret or "", username or "", password or ""
            )
        self.auth = auth
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

    async def __aenter__(self) -> AkeneoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- listings ---------------------------------------------------------------------------

    def pages(self, path: str, params: dict[str, Any] | None = None) -> AsyncIterator[Page]:
        """A listing from its path under /api/rest/v1, or from a saved absolute ``next_url``."""
        return iter_pages(self.http, path if "://" in path else API + path, params)

    def products(self, search: dict[str, Any] | None = None, **params: Any) -> AsyncIterator[Page]:
        return self.pages("/products-uuid", _search_after(search, params))

    def product_models(
        self, search: dict[str, Any] | None = None, **params: Any
    ) -> AsyncIterator[Page]:
        return self.pages("/product-models", _search_after(search, params))

    def listing(self, path: str, **params: Any) -> AsyncIterator[Page]:
        """An offset-paginated structure listing (families, attributes, categories, ...)."""
        return self.pages(path, {"limit": PAGE_SIZE, **_encode(params)})

    def cursor_listing(self, path: str, **params: Any) -> AsyncIterator[Page]:
        """Reference entities, records, asset families and assets: search_after is their only
        mode and they take no ``limit``."""
        return self.pages(path, _encode(params) or None)

    def family_variants(self, family: str) -> AsyncIterator[Page]:
        return self.listing(f"/families/{_seg(family)}/variants")

    def attribute_options(self, attribute: str) -> AsyncIterator[Page]:
        return self.listing(f"/attributes/{_seg(attribute)}/options")

    def records(self, entity: str, **params: Any) -> AsyncIterator[Page]:
        return self.cursor_listing(f"/reference-entities/{_seg(entity)}/records", **params)

    def assets(self, family: str, **params: Any) -> AsyncIterator[Page]:
        return self.cursor_listing(f"/asset-families/{_seg(family)}/assets", **params)

    async def count(
        self, path: str, search: dict[str, Any] | None = None, **params: Any
    ) -> int | None:
        """``items_count`` of an offset listing (one request, one item), or None if the
        endpoint does not count."""
        query = {"limit": 1, "with_count": "true", **_encode({"search": search, **params})}
        body = await self.http.get_json(API + path, params=query)
        count = body.get("items_count") if isinstance(body, dict) else None
        return int(count) if count is not None else None

    async def get(self, path: str, **params: Any) -> Any:
        return await self.http.get_json(API + path, params=_encode(params) or None)

    async def download_media(self, code: str, write: Callable[[bytes], object]) -> int:
        # Media codes hold slashes ("a/b/c/d/<sha1>_name.jpg"): encode each segment, keep "/".
        return await self.http.download(
            f"{API}/media-files/{quote(code, safe='/')}/download", write
        )


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


def _search_after(search: dict[str, Any] | None, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "pagination_type": "search_after",
        "limit": PAGE_SIZE,
        **_encode({"search": search, **params}),
    }
