"""Fault flags produce the documented responses and are counted on the stats endpoint."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
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
    for key in ("truncated", "garbage", "html_login", "stalled"):
        assert stats[key] == 0
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
    def run() -> list[tuple[int, int]]:
        rates = {"error_rate": 0.2, "truncate_rate": 0.2, "garbage_rate": 0.2, "stall_rate": 0.2}
        app = create_app(EmulatorConfig(products=50, seed=5, stall_ms=1, **rates))

        async def go() -> list[tuple[int, int]]:
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                token = (
                    await c.post(
                        "/api/oauth/v1/token",
                        auth=("demo", "demo-secret"),
                        json={"grant_type": "password", "username": "demo", "password": "demo"},
                    )
                ).json()
                c.headers["Authorization"] = f"Bearer {token['access_token']}"
                answers = [await c.get("/api/rest/v1/locales") for _ in range(40)]
                return [(r.status_code, len(r.content)) for r in answers]

        return asyncio.run(go())

    first = run()
    assert first == run()
    assert len({size for status, size in first if status == 200}) == 3  # whole, cut, spoiled
    assert {status for status, _ in first} > {200}


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


def test_truncate_rate_sends_half_the_json_on_an_intact_connection(fresh, fresh_api) -> None:
    url = "/api/rest/v1/products-uuid?limit=20"
    whole = fresh_api.get(url).content
    media = fresh_api.get("/api/rest/v1/media-files?limit=1").json()["_embedded"]["items"][0]
    image = fresh_api.get(media["_links"]["download"]["href"]).content
    _faults(fresh_api, fresh.url, truncate_rate=1.0)
    r = fresh_api.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content == whole[: len(whole) // 2]
    assert int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(ValueError):
        r.json()
    # Only 200 JSON answers are spoiled: errors and downloads come through whole.
    missing = fresh_api.get("/api/rest/v1/channels/nope")
    assert missing.status_code == 404 and missing.json()["code"] == 404
    assert fresh_api.get(media["_links"]["download"]["href"]).content == image
    _faults(fresh_api, fresh.url, truncate_rate=0.0)
    assert fresh_api.get(url).content == whole
    assert fresh_api.get(fresh.url + "/_emulator/stats").json()["truncated"] == 1


def test_garbage_rate_puts_a_php_notice_before_the_json(fresh, fresh_api) -> None:
    _faults(fresh_api, fresh.url, garbage_rate=1.0)
    r = fresh_api.get("/api/rest/v1/channels")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content.startswith(b"<br />") and int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(ValueError):
        r.json()
    body = orjson.loads(r.content[r.content.index(b"{") :])
    assert body["_embedded"]["items"]
    _faults(fresh_api, fresh.url, garbage_rate=0.0)
    assert fresh_api.get(fresh.url + "/_emulator/stats").json()["garbage"] == 1


def test_html_login_answers_api_and_token_calls_with_a_login_page(fresh, fresh_api) -> None:
    _faults(fresh_api, fresh.url, html_login=True)
    api = fresh_api.get("/api/rest/v1/products-uuid")
    with httpx.Client(base_url=fresh.url) as c:
        token = c.post(
            "/api/oauth/v1/token",
            auth=("demo", "demo-secret"),
            json={"grant_type": "password", "username": "demo", "password": "demo"},
        )
    for r in (api, token):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "<form" in r.text and "password" in r.text
    stats = fresh_api.get(fresh.url + "/_emulator/stats")
    assert stats.json()["html_login"] == 2  # the control surface itself stays JSON
    _faults(fresh_api, fresh.url, html_login=False)
    assert fresh_api.get("/api/rest/v1/products-uuid").json()["_embedded"]["items"]


def test_stall_holds_answers_past_a_client_timeout(fresh, fresh_api) -> None:
    _faults(fresh_api, fresh.url, stall_rate=1.0, stall_ms=1200)
    with pytest.raises(httpx.ReadTimeout):
        fresh_api.get("/api/rest/v1/locales", timeout=0.3)
    start = time.monotonic()
    assert fresh_api.get("/api/rest/v1/locales", timeout=5).status_code == 200
    assert time.monotonic() - start >= 1.2
    _faults(fresh_api, fresh.url, stall_rate=0.0)
    start = time.monotonic()
    fresh_api.get("/api/rest/v1/locales", timeout=5)
    assert time.monotonic() - start < 1
    assert fresh_api.get(fresh.url + "/_emulator/stats").json()["stalled"] == 2


def test_runtime_fault_values_are_checked_all_or_none(fresh, fresh_api) -> None:
    for bad in (
        {"error_rate": 2},
        {"truncate_rate": "half"},
        {"html_login": "yes"},
        {"stall_ms": -1},
        {"token_ttl": 0},
        {"max_concurrency": 1.5},
        {"latency_ms": 5, "garbage_rate": None},
    ):
        r = fresh_api.post(fresh.url + "/_emulator/faults", json=bad)
        assert r.status_code == 422 and r.json()["message"].startswith("Invalid values for:"), bad
    faults = fresh_api.get(fresh.url + "/_emulator/faults").json()
    assert faults["latency_ms"] == 0 and faults["garbage_rate"] == 0
    _faults(fresh_api, fresh.url, token_ttl=5, stall_ms=10, html_login=False)
    assert fresh_api.get(fresh.url + "/_emulator/faults").json()["token_ttl"] == 5
