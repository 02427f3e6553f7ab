"""Answers that are not the API's: login pages, PHP notices, bodies cut short, statuses that will
not change, URLs that are not the base URL. Transient ones are retried, the others fail at once
with what the server sent and what to check."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from akeneo_sync.client import AkeneoClient, RetryPolicy
from akeneo_sync.client.answers import cut_short, excerpt
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.errors import (
    AkeneoError,
    BadResponseError,
    ClientError,
    ConfigError,
    PaginationError,
)
from tests.client.test_client import all_uuids, client_for
from tests.oracle import Oracle

PRODUCTS = 120


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(products=PRODUCTS, seed=5, port=0)) as running:
        yield running


def count_channels(url: str, **kwargs: Any) -> Callable[[], int | None]:
    async def go() -> int | None:
        async with client_for(url, **kwargs) as client:
            return await client.count("channels")

    return lambda: asyncio.run(go())


def test_an_sso_login_page_on_the_token_endpoint_names_the_url_not_the_credentials(
    server: EmulatorServer,
) -> None:
    oracle = Oracle(server.url)
    oracle.set_faults(html_login=True)
    with pytest.raises(BadResponseError) as raised:
        count_channels(server.url)()
    assert str(raised.value) == (
        f"POST {server.url}/api/oauth/v1/token -> 200: expected JSON, got text/html starting "
        '\'<!DOCTYPE html> <html lang="en"><head><meta charset="utf-8"><title>Sign in to y…\'; '
        "a web page answered, not the API (a login page or a proxy?): check that the URL is the "
        "PIM's base URL and that the API is reachable without a browser login"
    )
    assert oracle.stats()["html_login"] == 1  # not retried


def test_a_login_page_on_a_listing_says_what_came_back(server: EmulatorServer) -> None:
    Oracle(server.url).set_faults(html_login=True)

    async def go() -> None:
        async with AkeneoClient(server.url, token="an-app-token") as client:
            await client.count("channels")

    with pytest.raises(
        BadResponseError, match=r"GET .*/channels.* -> 200: expected JSON, got text"
    ):
        asyncio.run(go())


def test_a_php_notice_before_the_json_fails_at_once(server: EmulatorServer) -> None:
    oracle = Oracle(server.url)
    oracle.set_faults(garbage_rate=1.0)
    with pytest.raises(BadResponseError) as raised:
        count_channels(server.url)()
    message = str(raised.value)
    assert message.startswith(
        f"POST {server.url}/api/oauth/v1/token -> 200: expected JSON, got application/json "
        "starting '<br /> <b>Deprecated</b>: strlen(): Passing null"
    )
    assert "display_errors" in message
    assert oracle.stats()["garbage"] == 1


@pytest.mark.parametrize(
    "faults",
    [{"truncate_rate": 0.3}, {"stall_rate": 0.4, "stall_ms": 1500}],
    ids=["truncated", "stalled"],
)
def test_bodies_cut_short_and_stalls_are_retried_and_nothing_is_lost(
    server: EmulatorServer, faults: dict[str, float]
) -> None:
    """Truncation hits token answers too: the login is retried like any request."""
    oracle = Oracle(server.url)
    expected = sorted(oracle.products())
    oracle.set_faults(**faults)

    async def go() -> tuple[list[str], int]:
        async with client_for(server.url, timeout=0.3) as client:
            return await all_uuids(client), client.stats.retries

    uuids, retries = asyncio.run(go())
    assert sorted(uuids) == expected
    assert retries > 0


def test_a_body_always_cut_short_gives_up_saying_so(server: EmulatorServer) -> None:
    Oracle(server.url).set_faults(truncate_rate=1.0)
    attempts = RetryPolicy(attempts=3, initial=0.01, max_wait=0.05)
    with pytest.raises(
        AkeneoError,
        match=r"-> 200: the JSON stops after \d+ bytes \(cut short\); "
        r"gave up after 3 attempts$",
    ):
        count_channels(server.url, retry=attempts)()


def test_a_404_on_the_token_url_points_at_the_url(server: EmulatorServer) -> None:
    with pytest.raises(ClientError) as raised:
        count_channels(server.url + "/pim")()
    assert str(raised.value) == (
        f"POST {server.url}/pim/api/oauth/v1/token -> 404: no Akeneo token endpoint at this URL: "
        "check the URL; give the PIM's base URL (e.g. https://my-pim.cloud.akeneo.com), without "
        "a path such as /user/login"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://pim.example.com/user/login", "is the PIM's login page"),
        ("https://pim.example.com/api/rest/v1/", "is the REST API's path"),
        ("https://pim.example.com/#/dashboard", "is a page of the PIM's web UI"),
    ],
)
def test_a_url_that_is_not_the_base_url_is_refused_before_any_request(
    url: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        client_for(url)
    assert str(raised.value) == f"{url} {message}, not its base URL: give https://pim.example.com"


def test_a_url_that_is_not_a_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^'5' is not an http\(s\) URL"):
        client_for("5")


def test_zero_concurrency_is_refused_not_a_hang() -> None:
    with pytest.raises(ConfigError, match="concurrency must be 1 or more, not 0"):
        client_for("http://pim", concurrency=0)


def token_endpoint(statuses: list[int]) -> tuple[httpx.MockTransport, list[int]]:
    """A server whose token endpoint answers ``statuses`` in turn, then a token."""
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            status = statuses[len(seen)] if len(seen) < len(statuses) else 200
            seen.append(status)
            if status == 200:
                return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
            return httpx.Response(status, json={"code": status, "message": "nope"})
        return httpx.Response(200, json={"items_count": 7, "_embedded": {"items": []}})

    return httpx.MockTransport(handler), seen


def test_the_token_path_retries_the_api_path_statuses() -> None:
    transport, seen = token_endpoint([503, 429, 408])
    assert count_channels("http://pim", transport=transport)() == 7
    assert seen == [503, 429, 408, 200]


@pytest.mark.parametrize("status", [501, 505])
def test_a_status_that_will_not_change_fails_at_once(status: int) -> None:
    transport, seen = token_endpoint([status])
    started = time.monotonic()
    with pytest.raises(AkeneoError, match=rf"-> {status}: nope; not a transient error"):
        count_channels("http://pim", transport=transport)()
    assert seen == [status]
    assert time.monotonic() - started < 2


def test_a_token_answer_without_a_token_is_a_bad_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"hello": "world"})

    transport = httpx.MockTransport(handler)
    with pytest.raises(BadResponseError, match="answered without an access_token"):
        count_channels("http://pim", transport=transport)()


def test_excerpts_are_one_line_and_mask_secrets() -> None:
    body = b'{"access_token": "abc123", "refresh_token":"r3fr3sh"\n\n\t, "x": "\x00y"'
    assert excerpt(body) == '{"access_token": "***", "refresh_token":"***" , "x": " y"'
    assert excerpt(b"x" * 200).endswith("x…") and len(excerpt(b"x" * 200)) == 80


@pytest.mark.parametrize(
    ("body", "short"),
    [
        (b'{"a": [1, 2', True),
        ('{"a": "hé'.encode()[:-1], True),  # a character cut in two
        (b'{"a": 1}<br />', False),  # content after the JSON
        (b"<br />{}", False),
        (b"", False),
        (b'{"a": 1}', False),
    ],
)
def test_cut_short_tells_a_truncated_body_from_a_broken_one(body: bytes, short: bool) -> None:
    assert cut_short(body) is short


def test_a_port_where_nothing_speaks_http_says_to_check_it() -> None:
    """Something accepts the connection and closes it: retried (it may be a blip), and the
    last error says nothing has answered HTTP yet."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def refuse() -> None:
            with contextlib.suppress(OSError):
                while True:
                    listener.accept()[0].close()

        threading.Thread(target=refuse, daemon=True).start()
        attempts = RetryPolicy(attempts=2, initial=0.01, max_wait=0.05)
        with pytest.raises(AkeneoError) as raised:
            count_channels(f"http://127.0.0.1:{port}", retry=attempts)()
    assert str(raised.value).endswith(
        "; nothing has answered HTTP yet: check the URL and its port; gave up after 2 attempts"
    )


def test_a_listing_that_is_json_but_not_a_list_is_a_pagination_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, json=5)

    async def go() -> None:
        async with client_for("http://pim", transport=httpx.MockTransport(handler)) as client:
            async for _ in client.pages("channels"):
                pass

    with pytest.raises(PaginationError, match="not a list response: 5"):
        asyncio.run(go())
