"""Resuming a products read from a batch's position: the parts are rebuilt from their names,
each goes on from its next page, and what the two reads hand out is every product once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sync_helpers import Api, client_for

from akeneo_sync import ExportOptions, Session
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.errors import AkeneoError


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(port=0, products=2500, seed=12)) as srv:
        yield srv


def read(
    server: EmulatorServer, state: Mapping[str, Any] | None, *, batches: int | None = None
) -> tuple[list[str], Mapping[str, Any] | None]:
    """The uuids handed out (all of them, or the first ``batches`` batches) and the position
    of the last batch."""

    async def go() -> tuple[list[str], Mapping[str, Any] | None]:
        seen: list[str] = []
        position = None
        left = batches
        async with client_for(server) as client, Session(client, ExportOptions()) as session:
            async for batch in session.read("products", state):
                seen += [d["uuid"] for d in batch.docs]
                position = batch.position
                if left is not None and (left := left - 1) == 0:
                    break
        return seen, position

    return asyncio.run(go())


def test_a_read_goes_on_from_a_position(server: EmulatorServer) -> None:
    first, position = read(server, None, batches=6)
    assert position is not None
    parts = position["positions"]
    # Every part is named from the first batch on, those not started yet too.
    assert len(parts) >= 8 and all(name.startswith("created ") for name in parts)
    assert sum(1 for url in parts.values() if url == "") >= 1
    rest, _ = read(server, position)
    counts = Counter(first + rest)
    api = Api(server)
    try:
        everything = {p["uuid"] for p in api.products()}
    finally:
        api.close()
    # A position holds exactly the pages handed out: nothing is read twice, nothing missed.
    assert set(counts) == everything and max(counts.values()) == 1


def test_a_position_of_an_older_release_reads_everything_again(server: EmulatorServer) -> None:
    state = {"positions": {"shoes": None, "(no family)": None}, "started": "2026-01-01T00:00:00"}
    seen, _ = read(server, state)
    assert len(seen) == len(set(seen)) == 2500


def test_reading_models_alone_asks_for_no_product(server: EmulatorServer) -> None:
    api = Api(server)
    try:
        api.http.post("/_emulator/stats/reset").raise_for_status()

        async def go() -> int:
            async with client_for(server) as client, Session(client, ExportOptions()) as s:
                return sum([len(b.docs) async for b in s.read("product_models")])

        models = asyncio.run(go())
        assert models == len(api.models())
        assert "products-uuid" not in api.stats()["by_resource"]
    finally:
        api.close()


def test_models_that_cannot_be_listed_fail_the_read_not_hang_it(server: EmulatorServer) -> None:
    """Reading models alone (no product ever wanted): a refused plan still ends the cursors."""
    api = Api(server)
    try:
        api.faults(forbidden_resources=["product-models"])

        async def go() -> None:
            async with client_for(server) as client, Session(client, ExportOptions()) as s:
                async for _ in s.read("product_models"):
                    pass

        with pytest.raises(AkeneoError, match="403"):
            asyncio.run(asyncio.wait_for(go(), 30))
    finally:
        api.faults(forbidden_resources=[])
        api.close()


@pytest.mark.parametrize("when", ["at once", "after the first model batch"])
def test_a_stop_ends_the_reads_without_waiting(server: EmulatorServer, when: str) -> None:
    async def go() -> int:
        stop = asyncio.Event()
        if when == "at once":
            stop.set()
        async with client_for(server) as client, Session(client, stop=stop) as session:
            async for _ in session.read("product_models"):
                stop.set()
            return sum([len(b.docs) async for b in session.read("products")])

    products = asyncio.run(asyncio.wait_for(go(), 60))
    assert products < 2500  # it stopped, and said so by ending
