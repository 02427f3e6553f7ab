"""The writer's ordering contract: a checkpoint never runs ahead of the pages queued before it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from akeneo_sync import resources as R
from akeneo_sync.errors import SinkError
from akeneo_sync.resources import Resource
from akeneo_sync.run.pipeline import NoProgress, SinkThread, Writer
from akeneo_sync.sinks.base import Doc, Sink, SinkContext


class Recorder(Sink):
    """A sink that keeps, in order, every write it was given (and can be told to fail)."""

    url = "recorder"

    def __init__(self, fail_on: int | None = None) -> None:
        self.writes: list[list[str]] = []
        self.fail_on = fail_on

    def open(self, context: SinkContext) -> None:
        pass

    def write(self, resource: Resource, docs: Sequence[Doc], *args: Any) -> None:
        if self.fail_on is not None and len(self.writes) == self.fail_on:
            raise OSError("disk full")
        self.writes.append([d["code"] for d in docs])

    def commit(self, state: Mapping[str, Any] | None = None) -> None:
        pass

    def close(self, ok: bool) -> None:
        pass

    def read(self, resource: Resource) -> Iterator[Doc]:
        return iter(())

    @property
    def written(self) -> list[str]:
        return [code for batch in self.writes for code in batch]


def docs(*codes: str) -> list[Doc]:
    return [{"code": c} for c in codes]


def run(sink: Recorder, steps: Any, batch_size: int = 2) -> None:
    async def go() -> None:
        thread = SinkThread(sink)
        writer = Writer(thread, NoProgress(), batch_size, depth=2)
        writer.start()
        try:
            await steps(writer)
            await writer.drain()
        finally:
            writer.cancel()
            thread.shutdown()

    asyncio.run(go())


def test_a_checkpoint_runs_after_every_page_queued_before_it() -> None:
    sink = Recorder()
    seen: list[list[str]] = []

    async def steps(writer: Writer) -> None:
        await writer.put(R.FAMILIES, docs("a", "b", "c"))
        await writer.then(lambda: seen.append(sink.written))  # the checkpoint
        await writer.put(R.FAMILIES, docs("d"))

    run(sink, steps, batch_size=10)
    assert seen == [["a", "b", "c"]]  # a batch in hand is written before the checkpoint
    assert sink.written == ["a", "b", "c", "d"]


def test_after_waits_for_its_pages_without_cutting_batches_short() -> None:
    sink = Recorder()
    seen: list[list[str]] = []

    async def steps(writer: Writer) -> None:
        await writer.put(R.FAMILIES, docs("a", "b"))
        await writer.after(lambda: seen.append(sink.written))  # a cursor position
        await writer.put(R.FAMILIES, docs("c"))

    run(sink, steps, batch_size=10)
    assert sink.writes == [["a", "b", "c"]]  # one batch: the position did not flush it
    assert seen == [["a", "b", "c"]]  # and it ran once its pages were written


def test_batches_are_cut_at_batch_size_in_queue_order() -> None:
    sink = Recorder()

    async def steps(writer: Writer) -> None:
        for code in "abcde":
            await writer.put(R.FAMILIES, docs(code))

    run(sink, steps, batch_size=2)
    assert sink.writes == [["a", "b"], ["c", "d"], ["e"]]


def test_a_failing_sink_stops_the_readers_instead_of_blocking_them() -> None:
    sink = Recorder(fail_on=0)

    async def steps(writer: Writer) -> None:
        for code in "abcdefghij":  # far more than the queue holds
            await writer.put(R.FAMILIES, docs(code))

    with pytest.raises(SinkError, match="disk full"):
        run(sink, steps, batch_size=1)


def test_collections_are_spaced_while_a_writer_runs_and_restored_after() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    async def steps(writer: Writer) -> None:
        seen.append(gc.get_threshold())
        await writer.put(R.FAMILIES, docs("a"))

    run(Recorder(), steps)
    young, middle, old = seen[0]
    assert young >= 10_000 and middle == before[1] and old >= 100
    assert gc.get_threshold() == before
    with pytest.raises(SinkError):
        run(Recorder(fail_on=0), steps, batch_size=1)
    assert gc.get_threshold() == before
