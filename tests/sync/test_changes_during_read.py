"""A full read while products are created, edited and deleted upstream: every product is handed
out at most once, none that lived through the read is missed, and its values are the ones of
before or after the edit (never a product read twice from two partitions)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from sync_helpers import Api, client_for, name_value

from akeneo_sync import ExportOptions, Session
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer


def test_products_changed_during_a_full_read_come_out_once(seed: int) -> None:
    config = EmulatorConfig(port=0, products=1500, seed=seed, latency_ms=30)
    with EmulatorServer(config) as server:
        api = Api(server)
        before = {p["uuid"]: p for p in api.products()}
        family = next(p["family"] for p in before.values() if p["family"])
        ordered = sorted(before)
        edited, deleted = ordered[::50], ordered[25::50]
        created: list[str] = []
        started = threading.Event()

        def change() -> None:
            started.wait(30)
            for i, (e, d) in enumerate(zip(edited, deleted, strict=False)):
                api.patch_product(e, {"values": name_value(f"edited {i}")})
                api.delete_product(d)
                created.append(api.create_product(f"NEW-{i}", family))

        worker = threading.Thread(target=change)
        worker.start()

        async def read() -> list[str]:
            seen: list[str] = []
            async with client_for(server) as client, Session(client, ExportOptions()) as s:
                async for batch in s.read("products"):
                    started.set()
                    seen += [d["uuid"] for d in batch.docs]
            return seen

        try:
            seen = asyncio.run(read())
            during = len(created)
        finally:
            started.set()
            worker.join()
            api.close()

    assert during > 0, "no change happened during the read: slow it down"
    counts = Counter(seen)
    assert max(counts.values()) == 1, [u for u, n in counts.items() if n > 1][:5]
    # Every product that lived through the read is there, deleted and new ones may or may not.
    lived = set(before) - set(deleted)
    assert lived <= set(counts)
    assert set(counts) <= set(before) | set(created)
