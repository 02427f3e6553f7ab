"""Fault flags produce the documented responses and are counted on the stats endpoint."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer, create_app

from .conftest import login


def _faults(client: httpx.Client, url: str, **changes: object) -> None:
    r = client.post(url + "/_emulator/faults", json=changes)
    assert r.status_code == 200, r.text


def test_stats_count_requests_and_reset(fresh, fresh_api) -> None:
    fresh_api.post(fresh.url + "/_emulator/stats/reset")
    fresh_api.get("/api/rest/v1/channels")
    fresh_api.get("/api/rest/v1/nothing-here")
    stats = fresh_api.get(fresh.url + "/_emulator/stats").json()
    assert stats["requests"] == 2 and stats["by_status"] == {"200": 1, "404": 1}
    assert stats["bytes_sent"] > 0
    for key in ("throttled_429", "errors_5xx", "dropped", "tokens_issued"):
        assert key in stats
    reset = fresh_api.post(fresh.url + "/_emulator/stats/reset").json()
    assert reset["requests"] == 0


def test_latency(fresh, fresh_api) -> None:
    _faults(fresh_api, fresh.url, latency_ms=150)
    start = time.monotonic()
    fresh_api.get("/api/rest/v1/locales")
    assert time.monotonic() - start >= 0.15
    _faults(fresh_api, fresh.url, latency_ms=0, latency_per_item_ms=5)
    start = time.monotonic()
    fresh_api.get("/api/rest/v1/products-uuid?limit=40")
    assert time.monotonic() - start >= 0.2


def test_max_concurrency_429_with_and_without_retry_after(fresh, fresh_api) -> None:
    _faults(fresh_api, fresh.url, latency_ms=300, max_concurrency=2)

    async def burst() -> list[httpx.Response]:
        headers = dict(fresh_api.headers)
        async with httpx.AsyncClient(base_url=fresh.url, headers=headers) as c:
            return await asyncio.gather(*(c.get("/api/rest/v1/locales") for _ in range(5)))

    responses = asyncio.run(burst())
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 429, 429, 429]
    throttled = [r for r in responses if r.status_code == 429]
    assert all(r.headers["Retry-After"] == "1" for r in throttled)
    _faults(fresh_api, fresh.url, retry_after=False)
    responses = asyncio.run(burst())
    assert all("Retry-After" not in r.headers for r in responses if r.status_code == 429)
    stats = fresh_api.get(fresh.url + "/_emulator/stats").json()
    assert stats["throttled_429"] == 6


def test_error_rate_gives_5xx(fresh, fresh_api) -> None:
    _faults(fresh_api, fresh.url, error_rate=1.0)
    codes = {fresh_api.get("/api/rest/v1/locales").status_code for _ in range(30)}
    assert codes <= {500, 502, 503} and len(codes) >= 2
    _faults(fresh_api, fresh.url, error_rate=0.0)
    assert fresh_api.get("/api/rest/v1/locales").status_code == 200
    assert fresh_api.get(fresh.url + "/_emulator/stats").json()["errors_5xx"] == 30


def test_drop_rate_cuts_the_connection(fresh, fresh_api) -> None:
    _faults(fresh_api, fresh.url, drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        fresh_api.get("/api/rest/v1/products-uuid?limit=50")
    _faults(fresh_api, fresh.url, drop_rate=0.0)
    assert fresh_api.get("/api/rest/v1/locales").status_code == 200
    assert fresh_api.get(fresh.url + "/_emulator/stats").json()["dropped"] == 1


def test_drop_in_process_is_a_transport_error() -> None:
    app = create_app(EmulatorConfig(products=50, drop_rate=1.0))

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
            with pytest.raises(httpx.TransportError):
                await c.get("/api/rest/v1/locales")

    asyncio.run(run())


def test_faults_are_deterministic_for_a_seed() -> None:
    def run() -> list[int]:
        app = create_app(EmulatorConfig(products=50, error_rate=0.3, seed=5))

        async def go() -> list[int]:
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                return [(await c.get("/api/rest/v1/locales")).status_code for _ in range(40)]

        return asyncio.run(go())

    first = run()
    assert first == run() and set(first) > {401}


def test_http_errors(fresh, fresh_api) -> None:
    r = fresh_api.get("/api/rest/v1/products-uuid", headers={"Accept": "text/html"})
    assert r.status_code == 406
    r = fresh_api.put("/api/rest/v1/products-uuid")
    assert r.status_code == 405 and r.json()["code"] == 405
    r = fresh_api.get("/api/rest/v1/products-uuid/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and set(r.json()) == {"code", "message"}
    r = fresh_api.patch(
        f"/api/rest/v1/products-uuid/{fresh.catalog.uuid(0)}",
        content=b"{}",
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 415
    r = fresh_api.patch(
        f"/api/rest/v1/products-uuid/{fresh.catalog.uuid(0)}",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    _faults(fresh_api, fresh.url, forbidden_resources=["products"])
    r = fresh_api.get("/api/rest/v1/products-uuid")
    assert r.status_code == 403
    assert r.json()["message"] == "Access forbidden. You are not allowed to list products."
    r = fresh_api.post(fresh.url + "/_emulator/faults", json={"products": 5})
    assert r.status_code == 422


def test_clock_control(fresh) -> None:
    with httpx.Client(base_url=fresh.url) as c:
        r = c.post("/_emulator/clock", json={"now": "2030-01-02 03:04:05"})
        assert r.json()["filter_format"] == "2030-01-02 03:04:05"
        login(c)


def test_control_surface_never_shows_the_secret_or_password() -> None:
    secret, password = "s3cret-ab12cd", "pa55-ef34gh"
    config = EmulatorConfig(port=0, products=30, secret=secret, password=password)
    with EmulatorServer(config) as srv, httpx.Client(base_url=srv.url) as c:
        answers = []
        # Every route under /_emulator, with every method it takes: new ones are covered too.
        for route in srv.app.routes:
            path = getattr(route, "path", "")
            if not path.startswith("/_emulator"):
                continue
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    answers.append(c.request(method, path, json={} if method == "POST" else None))
        answers.append(c.post("/_emulator/faults", json={"secret": "x", "password": "y"}))
        answers.append(c.get("/_emulator/nothing"))
        faults = c.get("/_emulator/faults").json()
    assert len(answers) >= 8 and faults["client_id"] == "demo" and "token_ttl" in faults
    assert "secret" not in faults and "password" not in faults
    for r in answers:
        raw = r.text + " ".join(f"{k}: {v}" for k, v in r.headers.items())
        assert secret not in raw and password not in raw, (r.request.url, r.text)
