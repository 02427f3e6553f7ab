"""Fixtures of the status tests: an emulator per test, changed through its HTTP API, and the
sync tests' helpers (runs of the library against it)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from sync_helpers import Api

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer


@pytest.fixture()
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(port=0, products=200, seed=7)) as srv:
        yield srv


@pytest.fixture()
def api(server: EmulatorServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.close()
