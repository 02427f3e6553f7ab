"""Fixtures of the sync tests: a fresh emulator per test, written to through its HTTP API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sync_helpers import Api

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer


@pytest.fixture()
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(port=0, products=300, seed=5)) as srv:
        yield srv


@pytest.fixture()
def api(server: EmulatorServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.close()
