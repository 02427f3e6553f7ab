"""The Event Platform's management API: subscribers and their subscriptions.

Akeneo runs it outside the PIM (``https://event.prd.sdk.akeneo.cloud/api/v1``; the emulator
mounts one under ``/event-platform/api/v1``). It authenticates with the PIM's own credentials in
three headers: ``X-PIM-URL`` (the PIM), ``X-PIM-CLIENT-ID`` (the connection's client id) and
``X-PIM-TOKEN`` (a PIM access token, not an ``Authorization`` header). ``PimTokenAuth`` takes
the token from the PIM client's auth flow, so logging in, refreshing before expiry and the
replay after a 401 work here as they do for the REST API. The connection needs the "Event
Platform" permission ticked in the PIM; without it every call answers 401.

    async with EventPlatform(pim_client, pim_url, client_id, events_url) as platform:
        subscriber = await platform.create_subscriber("akeneo-sync", "ops@example.com")
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from akeneo_sync.client.api import AkeneoClient
from akeneo_sync.errors import (
    AkeneoError,
    AuthError,
    ClientError,
    NotFoundError,
    RetryableError,
)

DEFAULT_EVENTS_URL = "https://event.prd.sdk.akeneo.cloud/api/v1"
PIM_EVENTS = "com.akeneo.pim.v1."
Json = dict[str, Any]


class PimTokenAuth(httpx.Auth):
    """The PIM's auth flow, with the token moved to ``X-PIM-TOKEN``; the flow's own token
    requests go to the PIM untouched."""

    def __init__(self, pim: httpx.Auth) -> None:
        self.pim = pim

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self.pim.async_auth_flow(request)
        step = await flow.__anext__()
        while True:
            if step is request:
                bearer = request.headers.pop("Authorization", "")
                request.headers["X-PIM-TOKEN"] = bearer.removeprefix("Bearer ")
            response = yield step
            try:
                step = await flow.asend(response)
            except StopAsyncIteration:
                return


class EventPlatform:
    def __init__(
        self,
        pim: AkeneoClient,
        pim_url: str,
        client_id: str,
        events_url: str = DEFAULT_EVENTS_URL,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = events_url.rstrip("/")
        self._http = httpx.AsyncClient(
            auth=PimTokenAuth(pim.auth),
            transport=transport,
            timeout=30.0,
            follow_redirects=False,
            headers={
                "X-PIM-URL": pim_url.rstrip("/"),
                "X-PIM-CLIENT-ID": client_id,
                "Accept": "application/json",
                "User-Agent": "akeneo-sync",
            },
        )

    async def __aenter__(self) -> EventPlatform:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    # -- subscribers ---------------------------------------------------------------------------
    async def subscribers(self) -> list[Json]:
        found = await self._call("GET", "/subscribers")
        return list(found or [])

    async def create_subscriber(self, name: str, email: str) -> Json:
        body = {"name": name, "contact": {"technical_email": email}}
        created: Json = await self._call("POST", "/subscribers", body)
        return created

    async def delete_subscriber(self, sid: str) -> None:
        await self._call("DELETE", f"/subscribers/{_seg(sid)}")

    # -- subscriptions -------------------------------------------------------------------------
    async def subscriptions(self, sid: str) -> list[Json]:
        found = await self._call("GET", f"/subscribers/{_seg(sid)}/subscriptions")
        return list(found or [])

    async def subscription(self, sid: str, id_: str) -> Json:
        found: Json = await self._call("GET", self._sub(sid, id_))
        return found

    async def create_subscription(self, sid: str, url: str, events: list[str], secret: str) -> Json:
        body = {
            "source": "pim",
            "type": "https",
            "events": events,
            "config": {"url": url, "secret": {"primary": secret}},
        }
        created: Json = await self._call("POST", f"/subscribers/{_seg(sid)}/subscriptions", body)
        return created

    async def update_subscription(self, sid: str, id_: str, body: Json) -> Json:
        updated: Json = await self._call("PATCH", self._sub(sid, id_), body)
        return updated

    async def delete_subscription(self, sid: str, id_: str) -> None:
        await self._call("DELETE", self._sub(sid, id_))

    async def resume(self, sid: str, id_: str) -> Json:
        resumed: Json = await self._call("POST", self._sub(sid, id_) + "/resume")
        return resumed

    def _sub(self, sid: str, id_: str) -> str:
        return f"/subscribers/{_seg(sid)}/subscriptions/{_seg(id_)}"

    async def _call(self, method: str, path: str, body: Json | None = None) -> Any:
        url = self.url + path
        content = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            response = await self._http.request(method, url, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise RetryableError(
                f"the Event Platform did not answer: {type(exc).__name__}", method=method, url=url
            ) from exc
        if response.status_code < 300:
            return orjson.loads(response.content) if response.content else None
        status = response.status_code
        message = _message(response)
        kind: type[AkeneoError] = ClientError
        if status == 401:
            kind = AuthError
            message += "; the connection needs the Event Platform permission in the PIM"
        elif status == 404:
            kind = NotFoundError
        elif status == 429 or status >= 500:
            kind = RetryableError
        raise kind(message, method=method, url=url, status=status)


def _seg(value: str) -> str:
    return quote(value, safe="")


def _message(response: httpx.Response) -> str:
    """The management API's ``{"errors": [{"message": ...}]}``, else the start of the body."""
    try:
        body = orjson.loads(response.content)
        return "; ".join(str(e.get("message")) for e in body["errors"])
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return response.text[:200] or f"HTTP {response.status_code}"
