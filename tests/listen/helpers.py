"""Pieces the listen tests share: a listener running in a thread of its own (its own event loop,
as in the CLI), a subscription made through the emulator's management API, and waits on
conditions with a deadline."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from akeneo_sync.emulator import EmulatorServer
from akeneo_sync.listen import Listener, signature

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from sync_helpers import Api

PRIMARY = "averysecretprimarysecret"
SECONDARY = "anothersecondarysecret!"
PIM = "com.akeneo.pim.v1."
TYPES = [
    f"{entity}.{verb}"
    for entity in ("product", "product-model", "category", "attribute-option")
    for verb in ("created", "updated", "deleted")
]

__all__ = ["PIM", "PRIMARY", "SECONDARY", "Api", "Running", "signed", "wait_for"]


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll until ``condition()`` is truthy; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout}s: {what or condition}")
        time.sleep(0.02)


class Running:
    """``Listener.run`` on a thread with its own loop; ``close`` stops it the way a SIGTERM
    does (the stop event)."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.url = ""
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True, name="listener")

    def _main(self) -> None:
        async def go() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await self.listener.run(self._stop, on_ready=self._on_ready)

        try:
            asyncio.run(go())
        except BaseException as exc:
            self.error = exc
        finally:
            self._ready.set()

    def _on_ready(self, url: str) -> None:
        self.url = url
        self._ready.set()

    def start(self) -> Running:
        self._thread.start()
        assert self._ready.wait(30), "the listener did not start"
        if self.error is not None:
            raise self.error
        return self

    @property
    def base(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(self.base + "/healthz", timeout=5).json())

    def close(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the listener did not stop"
        if self.error is not None:
            raise self.error


def management(server: EmulatorServer, api: Api) -> httpx.Client:
    """The emulator's Event Platform management API, with the three X-PIM-* headers."""
    headers = {
        "X-PIM-URL": server.url,
        "X-PIM-TOKEN": api.http.headers["Authorization"][7:],
        "X-PIM-CLIENT-ID": server.config.client_id,
    }
    return httpx.Client(base_url=server.url + "/event-platform/api/v1", headers=headers, timeout=10)


def subscribe(server: EmulatorServer, api: Api, url: str, secret: str = PRIMARY) -> dict[str, Any]:
    with management(server, api) as ep:
        r = ep.post("/subscribers", json={"name": "t", "contact": {"technical_email": "o@x.io"}})
        assert r.status_code == 201, r.text
        body = {
            "events": [PIM + t for t in TYPES],
            "type": "https",
            "config": {"url": url, "secret": {"primary": secret}},
        }
        r = ep.post(f"/subscribers/{r.json()['id']}/subscriptions", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())


def platform(server: EmulatorServer, **options: Any) -> dict[str, Any]:
    """The emulated platform's counters (after changing ``options``)."""
    if options:
        r = httpx.post(server.url + "/_emulator/events", json=options)
    else:
        r = httpx.get(server.url + "/_emulator/events")
    assert r.status_code == 200, r.text
    return dict(r.json())


def emit(server: EmulatorServer, type_: str, data: dict[str, Any]) -> str:
    r = httpx.post(server.url + "/_emulator/events/emit", json={"type": type_, "data": data})
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def settled(server: EmulatorServer, running: Running, delivered: int) -> bool:
    """The platform delivered ``delivered`` events and the listener applied all it holds."""
    state = platform(server)
    done = state["pending"] == 0 and state["delivered"] >= delivered
    return done and running.health()["pending"] == 0


def signed(body: bytes, secret: str = PRIMARY, header: str = "PRIMARY") -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        f"X-AKENEO-SIGNATURE-{header}": signature(body, secret),
        "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
    }
