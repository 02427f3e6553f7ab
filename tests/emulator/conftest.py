"""Emulator tests talk plain HTTP (httpx) to a loopback server; no exporter code involved."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

N_PRODUCTS = 300


def login(client: httpx.Client, **overrides: str) -> dict[str, str]:
    body = {"grant_type": "password", "username": "demo", "password": "demo", **overrides}
    r = client.post("/api/oauth/v1/token", auth=("demo", "demo-secret"), json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    """A read-mostly server shared by the session; tests that write use ``fresh``."""
    with EmulatorServer(EmulatorConfig(port=0, products=N_PRODUCTS, seed=7)) as srv:
        yield srv


@pytest.fixture()
def fresh() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(port=0, products=200, seed=11)) as srv:
        yield srv


def client_for(srv: EmulatorServer) -> httpx.Client:
    client = httpx.Client(base_url=srv.url, timeout=30)
    token = login(client)["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture()
def api(server: EmulatorServer) -> Iterator[httpx.Client]:
    client = client_for(server)
    yield client
    client.close()


@pytest.fixture()
def fresh_api(fresh: EmulatorServer) -> Iterator[httpx.Client]:
    client = client_for(fresh)
    yield client
    client.close()


def walk(client: httpx.Client, url: str) -> list[dict]:
    items: list[dict] = []
    next_url: str | None = url
    while next_url:
        r = client.get(next_url)
        assert r.status_code == 200, r.text
        body = r.json()
        items.extend(body["_embedded"]["items"])
        next_url = body["_links"].get("next", {}).get("href")
    return items
