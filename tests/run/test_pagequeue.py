"""The product page queue: pages come out in the order they went in, whether held in memory or
spilled to its file while the caller was busy; pages read while the caller drains that backlog
join it, as many again at most, and then the cursors wait."""

from __future__ import annotations

import asyncio

from akeneo_sync.client import Page
from akeneo_sync.run.fullread import PageQueue


def page(n: int) -> Page:
    p = Page([{"uuid": f"u{n}", "values": {"name": [{"data": f"é{n}"}]}}])
    p.next_url = f"https://pim/next/{n}" if n % 3 else None
    return p


def test_pages_spill_while_the_caller_is_away_and_come_back_in_order() -> None:
    async def go() -> tuple[list[tuple[str, Page] | None], float, int]:
        queue = PageQueue(memory=3, spill=10)
        for n in range(12):  # 3 held, 9 spilled: no wait, the caller has taken nothing yet
            await queue.put((f"part{n % 2}", page(n)))
        waited = queue.waited
        spilled = len(queue._spilled)
        await queue.put(None)
        out = [await queue.get() for _ in range(13)]
        queue.close()
        return out, waited, spilled

    out, waited, spilled = asyncio.run(go())
    assert waited == 0 and spilled == 9
    assert out[-1] is None
    for n, item in enumerate(out[:-1]):
        assert item is not None
        name, got = item
        assert name == f"part{n % 2}" and got == page(n) and got.next_url == page(n).next_url


def test_once_the_caller_takes_pages_the_cursors_wait_instead_of_spilling() -> None:
    async def go() -> tuple[list[int], float]:
        queue = PageQueue(memory=2, spill=100)
        await queue.put(("a", page(0)))
        assert await queue.get() is not None  # the caller has started
        got: list[int] = []

        async def produce() -> None:
            for n in range(1, 8):
                await queue.put(("a", page(n)))
            await queue.put(None)

        async def consume() -> None:
            while (item := await queue.get()) is not None:
                got.append(int(item[1][0]["uuid"][1:]))
                assert len(queue._held) <= 2 and not queue._spilled
                await asyncio.sleep(0.01)

        await asyncio.gather(produce(), consume())
        queue.close()
        return got, queue.waited

    got, waited = asyncio.run(go())
    assert got == list(range(1, 8)) and waited > 0


def test_pages_read_while_the_backlog_drains_join_it_then_the_cursors_wait() -> None:
    async def go() -> tuple[list[bool], list[int]]:
        queue = PageQueue(memory=2, spill=100)
        for n in range(5):  # 2 held, 3 spilled before the caller starts
            await queue.put(("a", page(n)))
        first = await queue.get()
        assert first is not None and first[1] == page(0)
        # The caller works through 4 pages: as many as were spilled join them at once.
        puts = [asyncio.ensure_future(queue.put(("a", page(n)))) for n in (5, 6, 7, 8)]
        for _ in range(5):
            await asyncio.sleep(0)
        at_once = [p.done() for p in puts]
        taken = [int(item[1][0]["uuid"][1:]) for _ in range(8) if (item := await queue.get())]
        await asyncio.gather(*puts)
        queue.close()
        return at_once, taken

    at_once, taken = asyncio.run(go())
    assert at_once == [True, True, True, False]
    assert taken == list(range(1, 9))  # in the order read, the one that waited too
