"""The client against the emulator over real HTTP: tokens, retries, faults, paging."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from akeneo_sync.client import AkeneoClient, PasswordAuth, RetryPolicy
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.errors import AuthError, ClientError, PaginationError, RetryableError
from tests.oracle import Oracle

PRODUCTS = 250
FAST_RETRY = RetryPolicy(attempts=8, initial=0.01, max_wait=0.2)


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(products=PRODUCTS, seed=3, port=0)) as running:
        yield running


def client_for(url: str, **kwargs: Any) -> AkeneoClient:
    kwargs.setdefault("retry", FAST_RETRY)
    return AkeneoClient(
        url,
        client_id="demo",
        client_secret="demo-secret",
        username="demo",
        password="demo",
        **kwargs,
    )


async def all_uuids(client: AkeneoClient) -> list[str]:
    return [p["uuid"] async for page in client.pages("products") for p in page]


def test_walks_every_product_once(server: EmulatorServer) -> None:
    async def go() -> list[str]:
        async with client_for(server.url) as client:
            return await all_uuids(client)

    uuids = asyncio.run(go())
    assert len(uuids) == PRODUCTS == len(set(uuids))


def test_expired_token_is_refreshed_and_the_request_replayed(server: EmulatorServer) -> None:
    """The client's clock says the token is fresh; the server says it expired: 401, refresh,
    replay, and the listing goes on."""
    oracle = Oracle(server.url)

    async def go() -> tuple[int, PasswordAuth]:
        # A frozen clock: the token always looks fresh to the client.
        async with client_for(server.url, clock=lambda: 0.0) as client:
            auth = client.auth
            assert isinstance(auth, PasswordAuth)
            count = 0
            async for page in client.pages("products"):
                count += len(page)
                if count == 100:  # two hours pass on the server: the token expires there
                    oracle.http.post("/_emulator/clock", json={"advance": 7200}).raise_for_status()
            return count, auth

    count, auth = asyncio.run(go())
    assert count == PRODUCTS
    assert auth.refreshes >= 1
    assert oracle.stats()["by_status"].get("401", 0) >= 1


def test_token_refreshed_before_expiry(server: EmulatorServer) -> None:
    """Client and server clocks move together by 95 s per page with 100 s tokens: the client
    refreshes before each expiry, so the server never answers 401."""
    oracle = Oracle(server.url)
    oracle.set_faults(token_ttl=100)
    now = [1000.0]

    async def go() -> tuple[int, PasswordAuth]:
        async with client_for(server.url, concurrency=1, clock=lambda: now[0]) as client:
            assert isinstance(client.auth, PasswordAuth)
            count = 0
            async for page in client.pages("products"):
                count += len(page)
                now[0] += 95
                oracle.http.post("/_emulator/clock", json={"advance": 95}).raise_for_status()
            return count, client.auth

    before = oracle.stats()["by_status"].get("401", 0)
    count, auth = asyncio.run(go())
    assert count == PRODUCTS
    assert auth.refreshes >= 2  # one before each page after the first
    assert oracle.stats()["by_status"].get("401", 0) == before


def test_refused_refresh_token_falls_back_to_password_login(server: EmulatorServer) -> None:
    async def go() -> PasswordAuth:
        async with client_for(server.url) as client:
            await client.count("channels")
            auth = client.auth
            assert isinstance(auth, PasswordAuth)
            auth.refresh_token = "revoked"
            auth.access_token = "expired"
            await client.count("channels")
            return auth

    auth = asyncio.run(go())
    assert auth.logins == 2


def test_wrong_credentials_say_so(server: EmulatorServer) -> None:
    async def go() -> None:
        async with AkeneoClient(
            server.url, client_id="demo", client_secret="nope", username="demo", password="demo"
        ) as client:
            await client.count("channels")

    with pytest.raises(AuthError, match="client_id"):
        asyncio.run(go())


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.3},
        {"drop_rate": 0.2},
        # Answers slow enough that the three listings' requests overlap (429s for sure); without
        # Retry-After the backoff alone must get through: shorter answers.
        {"max_concurrency": 1, "latency_ms": 100},
        {"max_concurrency": 1, "latency_ms": 60, "retry_after": False},
    ],
    ids=["5xx", "dropped", "429", "429-without-retry-after"],
)
def test_faults_are_retried_and_nothing_is_lost(server: EmulatorServer, faults: dict) -> None:
    Oracle(server.url).set_faults(**faults)

    async def go() -> tuple[list[str], int]:
        async with client_for(server.url, concurrency=4) as client:
            listings = await asyncio.gather(*(all_uuids(client) for _ in range(3)))
            assert all(sorted(x) == sorted(listings[0]) for x in listings)
            return listings[0], client.stats.retries

    uuids, retries = asyncio.run(go())
    assert len(set(uuids)) == PRODUCTS
    assert retries > 0


def test_gives_up_with_the_last_error_after_the_attempts(server: EmulatorServer) -> None:
    Oracle(server.url).set_faults(error_rate=1.0)

    async def go() -> None:
        async with client_for(server.url, retry=RetryPolicy(attempts=3, initial=0.01)) as client:
            await client.count("channels")

    with pytest.raises(RetryableError, match=r"-> 50[023]"):
        asyncio.run(go())


def test_a_closed_port_fails_fast() -> None:
    async def go() -> None:
        async with client_for("http://127.0.0.1:9") as client:
            await client.count("channels")

    started = time.monotonic()
    with pytest.raises(ClientError, match="cannot connect"):
        asyncio.run(go())
    assert time.monotonic() - started < 5


def test_a_repeated_next_link_is_an_error_not_an_endless_loop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(
            200,
            json={
                "_links": {"next": {"href": "http://pim/api/rest/v1/channels?page=2"}},
                "_embedded": {"items": [{"code": "x"}]},
            },
        )

    async def go() -> int:
        seen = 0
        async with client_for("http://pim", transport=httpx.MockTransport(handler)) as client:
            async for page in client.pages("channels"):
                seen += len(page)
        return seen

    with pytest.raises(PaginationError, match="same next link"):
        asyncio.run(go())


def test_relative_next_links_resolve_against_the_base_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        page = int(request.url.params.get("page", "1"))
        links = {"next": {"href": f"/api/rest/v1/channels?page={page + 1}"}} if page < 3 else {}
        return httpx.Response(200, json={"_links": links, "_embedded": {"items": [{"code": page}]}})

    async def go() -> list[int]:
        async with client_for("http://pim", transport=httpx.MockTransport(handler)) as client:
            return [c["code"] async for page in client.pages("channels") for c in page]

    assert asyncio.run(go()) == [1, 2, 3]


def test_a_page_read_leaves_no_response_to_the_garbage_collector(server: EmulatorServer) -> None:
    """A response and its body are freed once the page is decoded, not at the next full
    collection (which stops every cursor while it runs)."""

    async def go() -> list[httpx.Response]:
        async with client_for(server.url) as client:
            await all_uuids(client)  # the token and the connections, once
            gc.collect()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                assert len(await all_uuids(client)) == PRODUCTS
                gc.collect()
                return [o for o in gc.garbage if isinstance(o, httpx.Response)]
            finally:
                gc.set_debug(0)
                gc.garbage.clear()

    assert asyncio.run(go()) == []
