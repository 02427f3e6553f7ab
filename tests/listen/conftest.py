"""Fixtures of the listen tests: a fresh emulator, a synced SQLite destination and a listener
on a loopback port that the emulated Event Platform delivers to over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import akeneo_sync
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.emulator.event_options import EventOptions
from akeneo_sync.listen import Listener, ListenSettings
from akeneo_sync.run.options import ExportOptions

from .helpers import PRIMARY, Api, Running


@pytest.fixture()
def server() -> Iterator[EmulatorServer]:
    # Retries 50, 100, 200 ms apart instead of 5, 10, 20 minutes.
    config = EmulatorConfig(port=0, products=60, seed=5, events=EventOptions(retry_base=0.05))
    with EmulatorServer(config) as srv:
        yield srv


@pytest.fixture()
def api(server: EmulatorServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.close()


@pytest.fixture()
def connection(server: EmulatorServer) -> akeneo_sync.Connection:
    return akeneo_sync.Connection(**server.credentials())


@pytest.fixture()
def dest(tmp_path: Path, connection: akeneo_sync.Connection) -> str:
    """A destination holding a complete sync, as listen expects to find it."""
    path = str(tmp_path / "catalog.db")
    akeneo_sync.sync(path, connection, ExportOptions(labels="en_US"))
    return path


@pytest.fixture()
def listen(dest: str, connection: akeneo_sync.Connection) -> Iterator[Callable[..., Running]]:
    """``listen(**settings)`` starts a listener on ``dest`` (labels en_US, no reconciling sync
    unless asked); it is stopped after the test."""
    started: list[Running] = []

    def start(options: ExportOptions | None = None, **settings: Any) -> Running:
        settings.setdefault("secrets", (PRIMARY,))
        settings.setdefault("port", 0)
        settings.setdefault("batch_wait", 0.05)
        settings.setdefault("reconcile_every", None)
        if isinstance(settings["reconcile_every"], float | int):
            settings["reconcile_every"] = timedelta(seconds=settings["reconcile_every"])
        listener = Listener(
            dest,
            connection,
            options or ExportOptions(labels="en_US"),
            ListenSettings(**settings),
        )
        running = Running(listener).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.close()
