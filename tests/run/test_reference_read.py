"""Reading the reference data: one request alone until the token is in, then the listings the
run uses side by side, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from akeneo_sync import extract
from akeneo_sync.client import AkeneoClient
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.errors import AuthError
from tests.oracle import Oracle

LATENCY_MS = 200


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(products=50, seed=4, port=0, latency_ms=LATENCY_MS)
    with EmulatorServer(config) as running:
        yield running


class Recording(httpx.AsyncHTTPTransport):
    """Each request's path with when it went out and when its answer was in."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, float, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = await super().handle_async_request(request)
        await response.aread()
        self.seen.append((request.url.path, sent, time.monotonic()))
        return response


def _client(server: EmulatorServer, transport: httpx.AsyncBaseTransport | None = None, **kw: str):
    credentials = {**server.credentials(), **kw}
    return AkeneoClient(**credentials, transport=transport)


def test_the_listings_go_out_once_the_token_is_in_not_after_the_first_answer(
    server: EmulatorServer,
) -> None:
    transport = Recording()

    async def go() -> dict[str, list[dict]]:
        async with _client(server, transport) as client:
            return await extract.read_reference(client)

    docs = asyncio.run(go())
    assert docs["locales"] and docs["attributes"] and docs["attribute_options"]
    token = next(end for path, _, end in transport.seen if path.endswith("/token"))
    locales = next(end for path, _, end in transport.seen if path.endswith("/locales"))
    others = [
        sent for path, sent, _ in transport.seen if path.endswith(("/currencies", "/channels"))
    ]
    # Sent after the token came, before the locales' answer: one latency sooner than waiting.
    assert others and all(token <= sent < locales for sent in others), transport.seen


def test_refused_credentials_are_tried_once(server: EmulatorServer) -> None:
    oracle = Oracle(server.url)
    before = oracle.stats()["by_resource"]

    async def go() -> None:
        async with _client(server, password="wrong") as client:
            await extract.read_reference(client)

    with pytest.raises(AuthError, match="login refused"):
        asyncio.run(go())
    after = oracle.stats()["by_resource"]
    asked = {name: n - before.get(name, 0) for name, n in after.items() if n > before.get(name, 0)}
    assert asked == {"token": 1}
