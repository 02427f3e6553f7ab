"""Shared pieces of the status tests: a destination with a few runs behind it, and the status
server run for real (uvicorn on a loopback port) in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sync_helpers import Api, client_for, name_value, run_export, run_sync

from akeneo_sync.emulator import EmulatorServer
from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.run import ExportOptions, sync
from akeneo_sync.sinks import open_sink
from akeneo_sync.status.app import serving
from akeneo_sync.status.snapshot import Watcher


def failing_sync(server: EmulatorServer, api: Api, dest: str) -> str:
    """A sync that fails (Akeneo forbids the products): its error line."""

    async def go() -> None:
        async with client_for(server) as client:
            await sync(client, open_sink(dest), ExportOptions(reconcile_every=1))

    api.faults(forbidden_resources=["products"])
    try:
        with pytest.raises(AkeneoSyncError) as failed:
            asyncio.run(go())
    finally:
        api.faults(forbidden_resources=[])
    return str(failed.value).splitlines()[0]


def some_runs(server: EmulatorServer, api: Api, dest: str) -> None:
    """An export, three syncs that changed a few products, a failed one, one more."""
    run_export(server, dest)
    uuids = [p["uuid"] for p in api.products()[:12]]
    for round_ in range(3):
        for uuid in uuids[: 4 * (round_ + 1)]:
            api.patch_product(uuid, {"values": name_value(f"round {round_}")})
        run_sync(server, dest)
    failing_sync(server, api, dest)
    api.patch_product(uuids[0], {"values": name_value("after the failure")})
    run_sync(server, dest)


@contextmanager
def served(dest: str, stale_after: timedelta | None = None) -> Iterator[str]:
    """The status server of ``dest`` on a free loopback port; yields its base URL."""
    ready = threading.Event()
    box: dict[str, object] = {}

    async def main() -> None:
        stop = asyncio.Event()
        box["stop"], box["loop"] = stop, asyncio.get_running_loop()
        watcher = Watcher(dest, ttl=0)
        try:
            async with serving(watcher, port=0, stale_after=stale_after) as url:
                box["url"] = url
                ready.set()
                await stop.wait()
        finally:
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(20), "the status server did not start"
    assert "url" in box, "the status server failed to start"
    try:
        yield str(box["url"])
    finally:
        loop = box["loop"]
        assert isinstance(loop, asyncio.AbstractEventLoop)
        stop = box["stop"]
        assert isinstance(stop, asyncio.Event)
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
