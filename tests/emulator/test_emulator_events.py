"""The emulated Event Platform end to end: a real emulator server, a real receiver on a loopback
port, subscriptions made through the management API and events caused by REST writes."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.emulator.event_options import EventOptions

from .conftest import login

PRIMARY = "averysecretprimarysecret"
SECONDARY = "anothersecondarysecret!"
PIM = "com.akeneo.pim.v1."


class Receiver:
    """A loopback webhook endpoint answering a scripted list of statuses, then ``default``."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.script: list[int] = []
        self.default = 200
        self.hold = 0.0
        """Seconds each request is held before its answer."""
        self.active = self.max_active = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    status = outer.script.pop(0) if outer.script else outer.default
                    outer.active += 1
                    outer.max_active = max(outer.max_active, outer.active)
                time.sleep(outer.hold)
                with outer.lock:
                    outer.active -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/akeneo/events"

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [orjson.loads(body) for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until ``condition()`` is truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.02)


def verify(body: bytes, headers: dict[str, str], secret: str) -> bool:
    """The reference's receiver check: any signature header matches the secret."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    sigs = [
        headers.get(h, "") for h in ("x-akeneo-signature-primary", "x-akeneo-signature-secondary")
    ]
    return any(hmac.compare_digest(expected, s) for s in sigs if s)


@pytest.fixture()
def server() -> Iterator[EmulatorServer]:
    # Retries 50, 100, 200 ms apart instead of 5, 10, 20 minutes.
    options = EventOptions(retry_base=0.05)
    with EmulatorServer(EmulatorConfig(port=0, products=40, seed=5, events=options)) as srv:
        yield srv


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()


@pytest.fixture()
def api(server: EmulatorServer) -> Iterator[httpx.Client]:
    """The PIM's REST API, logged in."""
    client = httpx.Client(base_url=server.url, timeout=10)
    client.headers["Authorization"] = f"Bearer {login(client)['access_token']}"
    yield client
    client.close()


@pytest.fixture()
def ep(server: EmulatorServer, api: httpx.Client) -> Iterator[httpx.Client]:
    """The management API, with the three X-PIM-* headers."""
    headers = {
        "X-PIM-URL": server.url,
        "X-PIM-TOKEN": api.headers["Authorization"][7:],
        "X-PIM-CLIENT-ID": server.config.client_id,
    }
    client = httpx.Client(base_url=server.url + "/event-platform/api/v1", headers=headers)
    yield client
    client.close()


def subscribe(ep: httpx.Client, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    r = ep.post(
        "/subscribers",
        json={"name": "test", "contact": {"technical_email": "ops@example.com"}},
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    config = {"url": url, "secret": {"primary": PRIMARY}, **extra.pop("config", {})}
    body = {"source": "pim", "events": [PIM + e for e in events], "type": "https"}
    r = ep.post(f"/subscribers/{sid}/subscriptions", json={**body, **extra, "config": config})
    assert r.status_code == 201, r.text
    return r.json()


def events_state(server: EmulatorServer, **options: Any) -> dict[str, Any]:
    if options:
        r = httpx.post(server.url + "/_emulator/events", json=options)
    else:
        r = httpx.get(server.url + "/_emulator/events")
    assert r.status_code == 200, r.text
    return r.json()


def a_product(api: httpx.Client, n: int = 0) -> tuple[str, str]:
    item = api.get("/api/rest/v1/products-uuid", params={"limit": 10}).json()
    product = item["_embedded"]["items"][n]
    return product["uuid"], product["values"]["sku"][0]["data"]


def test_patch_delivers_one_signed_cloudevent(server, api, ep, receiver) -> None:
    sub = subscribe(
        ep,
        receiver.url,
        ["product.updated"],
        send_product_identifier=True,
        config={
            "secret": {"primary": PRIMARY, "secondary": SECONDARY},
            "headers": {"X-Api-Key": "k-1"},
        },
    )
    uuid, identifier = a_product(api)
    r = api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    assert r.status_code == 204, r.text
    wait_for(lambda: receiver.requests)
    headers, body = receiver.requests[0]
    assert verify(body, headers, PRIMARY) and verify(body, headers, SECONDARY)
    assert not verify(body, headers, "some-other-secret-value")
    assert headers["x-akeneo-signature-algorithm"] == "HmacSHA256"
    assert headers["content-type"] == "application/json"
    assert headers["x-api-key"] == "k-1"
    event = orjson.loads(body)
    assert event["specversion"] == "1.0"
    assert event["type"] == PIM + "product.updated"
    assert event["source"] == "akeneo-event-platform"
    assert event["subject"] == sub["id"]
    assert event["datacontenttype"] == "application/json"
    assert event["dataschema"].endswith(f"{PIM}product.updated.schema.json")
    assert event["time"].endswith("Z") and len(event["time"]) == 20
    assert event["data"]["product"] == {"uuid": uuid, "identifier": identifier}
    assert event["data"]["author"] == {"identifier": server.config.client_id, "type": "api"}
    state = wait_for(lambda: (s := events_state(server))["delivered"] == 1 and s)
    assert state["emitted"] == 1 and state["matched"] == 1 and state["pending"] == 0


def test_404_suspends_the_subscription(server, api, ep, receiver) -> None:
    receiver.default = 404
    sub = subscribe(ep, receiver.url, ["product.updated"])
    path = f"/subscribers/{sub['subscriber_id']}/subscriptions/{sub['id']}"
    uuid, _ = a_product(api)
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    wait_for(lambda: ep.get(path).json()["status"] == "suspended")
    state = events_state(server)
    assert state["suspensions"] == 1 and state["retried"] == 0 and state["delivered"] == 0
    assert state["notifications"] == 1
    assert state["subscriptions"][sub["id"]]["reason"] == "Destination answered HTTP 404"
    # While suspended, new events are discarded, not kept for later.
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": True})
    assert events_state(server)["discarded"] == 2  # the 404'd event and this one
    assert len(receiver.requests) == 1
    receiver.default = 200
    r = ep.post(path + "/resume")
    assert r.status_code == 202 and r.json()["status"] == "active"
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    wait_for(lambda: events_state(server)["delivered"] == 1)


def test_500_then_200_is_retried_and_delivered(server, api, ep, receiver) -> None:
    receiver.script = [500, 503]
    subscribe(ep, receiver.url, ["product.updated"])
    uuid, _ = a_product(api)
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    state = wait_for(lambda: (s := events_state(server))["delivered"] == 1 and s)
    assert state["retried"] == 2 and state["failed_attempts"] == 2 and state["attempts"] == 3
    assert state["dropped"] == 0 and state["suspensions"] == 0
    ids = {e["id"] for e in receiver.events()}
    assert len(receiver.requests) == 3 and len(ids) == 1
    assert [e["error_code"] for e in state["recent_errors"]] == [500, 503]


def test_dropped_after_the_retry_limit(server, api, ep, receiver) -> None:
    receiver.default = 500
    events_state(server, max_retries=2)
    subscribe(ep, receiver.url, ["product.updated"])
    uuid, _ = a_product(api)
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    state = wait_for(lambda: (s := events_state(server))["dropped"] == 1 and s)
    assert state["retried"] == 2 and len(receiver.requests) == 3 and state["pending"] == 0


def test_loss_rate_one_delivers_nothing_and_counts(server, api, ep, receiver) -> None:
    events_state(server, loss_rate=1.0)
    subscribe(ep, receiver.url, ["product.updated"])
    for n in range(3):
        uuid, _ = a_product(api, n)
        api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    state = events_state(server)
    assert state["lost"] == 3 and state["matched"] == 3
    assert state["pending"] == 0 and state["delivered"] == 0 and state["attempts"] == 0
    assert receiver.requests == []


@pytest.mark.parametrize("concurrency", [1, 4])
def test_deliveries_in_flight_at_once(server, api, ep, receiver, concurrency) -> None:
    receiver.hold = 0.2
    if concurrency > 1:
        events_state(server, concurrency=concurrency)
    subscribe(ep, receiver.url, ["product.updated"])
    for n in range(8):
        uuid, _ = a_product(api, n)
        api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    wait_for(lambda: events_state(server)["delivered"] == 8)
    assert receiver.max_active == concurrency


def test_duplicates_carry_the_same_id_and_bytes(server, api, ep, receiver) -> None:
    events_state(server, duplicate_rate=1.0)
    subscribe(ep, receiver.url, ["product.updated"])
    uuid, _ = a_product(api)
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    wait_for(lambda: len(receiver.requests) == 2)
    (_, b1), (h2, b2) = receiver.requests
    assert b1 == b2 and verify(b2, h2, PRIMARY)
    assert orjson.loads(b1)["id"] == orjson.loads(b2)["id"]
    state = wait_for(lambda: (s := events_state(server))["delivered"] == 2 and s)
    assert state["duplicated"] == 1 and state["emitted"] == 1


def test_429_slows_down_and_redelivers_without_a_retry(server, api, ep, receiver) -> None:
    receiver.script = [429]
    sub = subscribe(ep, receiver.url, ["product.updated"])
    uuid, _ = a_product(api)
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    state = wait_for(lambda: (s := events_state(server))["delivered"] == 1 and s)
    assert state["throttled"] == 1 and state["retried"] == 0
    # Halved from 100/s by the 429, then +1 for the success.
    assert state["subscriptions"][sub["id"]]["rate"] == 51.0


def test_low_success_rate_suspends(server, api, ep, receiver) -> None:
    receiver.default = 500
    events_state(server, success_min_attempts=3, max_retries=0)
    sub = subscribe(ep, receiver.url, ["product.updated"])
    for n in range(3):
        uuid, _ = a_product(api, n)
        api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    state = wait_for(lambda: (s := events_state(server))["suspensions"] == 1 and s)
    assert state["subscriptions"][sub["id"]]["reason"] == "Success rate dropped below 90%"
    assert state["dropped"] == 3


def test_delay_and_reorder_still_deliver_everything(server, api, ep, receiver) -> None:
    events_state(server, reorder_window=3, delay=0.05)
    subscribe(ep, receiver.url, ["product.updated"])
    uuids = [a_product(api, n)[0] for n in range(4)]
    for uuid in uuids:
        api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    # Three leave when the window fills, the fourth after reorder_hold.
    wait_for(lambda: len(receiver.requests) == 4)
    assert sorted(e["data"]["product"]["uuid"] for e in receiver.events()) == sorted(uuids)


def test_every_emulated_write_emits_its_event(server, api, ep, receiver) -> None:
    types = [
        f"{entity}.{verb}"
        for entity in ("product", "product-model", "category", "attribute-option")
        for verb in ("created", "updated", "deleted")
    ]
    subscribe(ep, receiver.url, types)
    uuid, identifier = a_product(api)
    collection = {"Content-Type": "application/vnd.akeneo.collection+json"}
    api.post("/api/rest/v1/products-uuid", json={"values": {}})
    api.patch(f"/api/rest/v1/products/{identifier}", json={"enabled": False})
    line = orjson.dumps({"uuid": uuid, "enabled": True})
    api.patch("/api/rest/v1/products-uuid", content=line, headers=collection)
    api.delete(f"/api/rest/v1/products-uuid/{uuid}")
    model = api.get("/api/rest/v1/product-models", params={"limit": 1}).json()
    code = model["_embedded"]["items"][0]["code"]
    api.patch(f"/api/rest/v1/product-models/{code}", json={"categories": []})
    api.delete(f"/api/rest/v1/product-models/{code}")
    api.patch("/api/rest/v1/categories/new_cat", json={"parent": None})
    attr = next(
        a["code"]
        for a in api.get("/api/rest/v1/attributes", params={"limit": 100}).json()["_embedded"][
            "items"
        ]
        if a["type"] == "pim_catalog_simpleselect"
    )
    api.patch(f"/api/rest/v1/attributes/{attr}/options/new_opt", json={"labels": {}})
    expected = [
        ("product.created", None),
        ("product.updated", {"uuid": uuid}),
        ("product.updated", {"uuid": uuid}),
        ("product.deleted", {"uuid": uuid}),
        ("product-model.updated", {"code": code}),
        ("product-model.deleted", {"code": code}),
        ("category.created", {"code": "new_cat"}),
        ("attribute-option.created", {"code": "new_opt", "attribute": {"code": attr}}),
    ]
    wait_for(lambda: len(receiver.requests) >= len(expected))
    wait_for(lambda: events_state(server)["pending"] == 0)
    got = sorted(receiver.events(), key=lambda e: e["id"])  # UUIDv7: emission order
    assert [e["type"] for e in got] == [PIM + t for t, _ in expected]
    for event, (_, data) in zip(got, expected, strict=True):
        payload = {k: v for k, v in event["data"].items() if k != "author"}
        if data is not None:
            assert next(iter(payload.values())) == data
    assert set(got[0]["data"]["product"]) == {"uuid"}  # no identifier unless asked


def test_filter_and_event_types_select_what_is_sent(server, api, ep, receiver) -> None:
    subscribe(ep, receiver.url, ["product.updated"], filter='not user_type="api"')
    subscribe(ep, receiver.url, ["product.deleted"])
    uuid, _ = a_product(api)
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    state = events_state(server)
    assert state["filtered"] == 1 and state["matched"] == 0
    r = httpx.post(
        server.url + "/_emulator/events/emit",
        json={
            "type": "product.updated",
            "data": {"product": {"uuid": uuid}},
            "author": {"identifier": "julia", "type": "user"},
        },
    )
    assert r.status_code == 202, r.text
    wait_for(lambda: receiver.requests)
    assert receiver.events()[0]["data"]["author"] == {"identifier": "julia", "type": "user"}


def test_management_api_auth_validation_and_statuses(server, api, ep, receiver) -> None:
    assert ep.get("/subscribers", headers={"X-PIM-TOKEN": "nope"}).status_code == 401
    assert ep.get("/subscribers", headers={"X-PIM-CLIENT-ID": "other"}).status_code == 401
    assert (
        ep.get("/subscribers", headers={"X-PIM-URL": "http://pim.example.com"}).status_code == 401
    )
    bare = httpx.get(server.url + "/event-platform/api/v1/subscribers")
    assert bare.status_code == 401 and "errors" in bare.json()
    sub = subscribe(ep, receiver.url, ["product.created"], config={"headers": {"X-Key": "v"}})
    assert sub["status"] == "active"
    assert sub["config"]["secret"] == {"primary": "***redacted***"}
    assert sub["config"]["headers"] == {"X-Key": "***redacted***"}
    base = f"/subscribers/{sub['subscriber_id']}/subscriptions"
    good = {"events": [PIM + "product.created"], "type": "https"}
    for config, events, message in [
        ({"url": "http://example.com/x", "secret": {"primary": PRIMARY}}, None, "https"),
        ({"url": receiver.url, "secret": {"primary": "short"}}, None, "16 to 256"),
        ({"url": receiver.url, "secret": {"primary": PRIMARY}}, ["product.moved"], "Unknown event"),
        (
            {"url": receiver.url, "secret": {"primary": PRIMARY}, "headers": {"Host": "x"}},
            None,
            "reserved",
        ),
    ]:
        body = {**good, "config": config, **({"events": events} if events else {})}
        r = ep.post(base, json=body)
        assert r.status_code == 400 and message in r.json()["errors"][0]["message"], r.text
    r = ep.post(base, json={**good, "filter": 'user_type="api" and', "config": sub["config"]})
    assert r.status_code == 400
    assert [s["id"] for s in ep.get(base).json()] == [sub["id"]]
    r = ep.post(f"{base}/{sub['id']}/suspend")
    assert r.status_code == 202 and r.json()["status"] == "suspended"
    assert ep.post(f"{base}/{sub['id']}/resume").json()["status"] == "active"
    r = ep.patch(f"{base}/{sub['id']}", json={"events": [PIM + "product.deleted"]})
    assert r.status_code == 200 and r.json()["events"] == [PIM + "product.deleted"]
    assert r.json()["config"]["url"] == receiver.url  # a partial PATCH keeps the rest
    r = ep.delete(f"{base}/{sub['id']}")
    assert r.status_code == 200 and r.json()["status"] == "deleted"
    assert ep.post(f"{base}/{sub['id']}/resume").status_code == 409
    assert ep.get(base).json() == []
    assert ep.delete(f"/subscribers/{sub['subscriber_id']}").json()["status"] == "deleted"
    assert ep.get(f"/subscribers/{sub['subscriber_id']}").status_code == 404
    state = events_state(server)
    assert state["user_suspensions"] == 1 and state["suspensions"] == 0
    r = httpx.post(server.url + "/_emulator/events", json={"loss_rate": 2})
    assert r.status_code == 400


def test_suspension_notifies_the_subscriber_webhook(server, api, ep, receiver) -> None:
    notified = Receiver()
    try:
        secret = "notification-secret-0123"
        contact = {
            "technical_email": "ops@example.com",
            "notification_channels": ["webhook"],
            "notification_webhook_url": notified.url,
            "notification_webhook_secret": secret,
        }
        r = ep.post("/subscribers", json={"name": "n", "contact": contact})
        assert r.status_code == 201, r.text
        assert "notification_webhook_secret" not in r.json()["contact"]
        body = {
            "events": [PIM + "product.updated"],
            "type": "https",
            "config": {"url": receiver.url, "secret": {"primary": PRIMARY}},
        }
        sub = ep.post(f"/subscribers/{r.json()['id']}/subscriptions", json=body).json()
        receiver.default = 302
        uuid, _ = a_product(api)
        api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
        wait_for(lambda: notified.requests)
        headers, raw = notified.requests[0]
        assert verify(raw, headers, secret)
        note = orjson.loads(raw)
        assert note["notification_type"] == "subscription.suspended.system"
        assert note["subscription_id"] == sub["id"] and note["destination"] == receiver.url
        assert note["reason"] == "Destination answered HTTP 302"
    finally:
        notified.close()


def test_a_new_subscription_waits_for_its_activation_delay(server, api, ep, receiver) -> None:
    events_state(server, activation_delay=0.3)
    subscribe(ep, receiver.url, ["product.updated"])
    uuid, _ = a_product(api)
    api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": False})
    assert events_state(server)["discarded"] == 1

    def write_until_delivered() -> bool:
        api.patch(f"/api/rest/v1/products-uuid/{uuid}", json={"enabled": True})
        return bool(receiver.requests)

    wait_for(write_until_delivered)


def test_signature_matches_the_reference_test_vector() -> None:
    from akeneo_sync.emulator.events import sign

    event = {
        "specversion": "1.0",
        "id": "0198f3a2-5c1e-7b40-9d2a-6f1e2c3b4a51",
        "source": "akeneo-event-platform",
        "type": PIM + "product.updated",
        "subject": "0198f390-11aa-7c3d-8e4f-a1b2c3d4e5f6",
        "datacontenttype": "application/json",
        "dataschema": f"https://event.prd.sdk.akeneo.cloud/spec/{PIM}product.updated.schema.json",
        "time": "2026-05-12T09:41:07Z",
        "data": {
            "product": {"uuid": "5b1f0a8e-2d6c-4f7a-9b3e-0c8d1e2f3a4b", "identifier": "SKU-10042"},
            "author": {"identifier": "1_4x3mpl3cl13nt1d", "type": "api"},
        },
    }
    body = orjson.dumps(event)  # serialised the way the emulator serialises
    assert len(body) == 507
    primary = "72d1a555afc31949da8fd0f70ffddc7641cb865f5c5dd1a5f83eff9cc7ee2dbb"
    secondary = "d79ecd111dd5af30aae8bb75bcbe5502b946d369d7d799711c64524b72ac858d"
    assert sign(body, PRIMARY) == primary and sign(body, SECONDARY) == secondary
