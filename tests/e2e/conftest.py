from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from akeneo_sync.client import AkeneoClient
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.run import ExportOptions, Report, export
from akeneo_sync.sinks import open_sink
from tests.oracle import Oracle

PRODUCTS = 300


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(products=PRODUCTS, seed=7, port=0)) as server:
        yield server


@pytest.fixture(scope="module")
def oracle(emulator: EmulatorServer) -> Oracle:
    return Oracle(emulator.url)


def run_export(url: str, dest: str, **options: Any) -> Report:
    fmt = options.pop("format", None)
    flat = options.pop("flat", False)

    async def go() -> Report:
        async with AkeneoClient(
            url, client_id="demo", client_secret="demo-secret", username="demo", password="demo"
        ) as client:
            sink = open_sink(dest, format=fmt, flat=flat)
            return await export(client, sink, ExportOptions(**options))

    return asyncio.run(go())
