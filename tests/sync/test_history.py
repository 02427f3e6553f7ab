"""The run history: every run recorded in the destination, the failed ones too (after their
rollback), newest first, the last ``KEEP_RUNS`` kept, with running totals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Api, client_for, name_value, run_export, run_sync

from akeneo_sync.emulator import EmulatorServer
from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.run import ExportOptions, sync
from akeneo_sync.run.history import with_totals
from akeneo_sync.sinks import _runlog, open_sink
from akeneo_sync.sinks.base import SinkContext
from akeneo_sync.sinks.sql import SqlSink

Url = Callable[[pytest.FixtureRequest, Path], str]


def _fixture(name: str) -> Url:
    return lambda request, _tmp: str(request.getfixturevalue(name))


DESTINATIONS: dict[str, tuple[Url, str | None]] = {
    "sqlite": (lambda _r, tmp: f"sqlite:///{tmp / 'c.db'}", None),
    "jsonl": (lambda _r, tmp: str(tmp / "out"), None),
    "csv": (lambda _r, tmp: str(tmp / "out"), "csv"),
    "json": (lambda _r, tmp: str(tmp / "catalog.json"), None),
    "postgresql": (_fixture("postgres_url"), None),
    "mysql": (_fixture("mysql_url"), None),
    "mongodb": (_fixture("mongo_url"), None),
}


@pytest.fixture(params=list(DESTINATIONS))
def dest(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    url, fmt = DESTINATIONS[request.param]
    return url(request, tmp_path), fmt


def _failing_sync(server: EmulatorServer, dest: str, fmt: str | None) -> str:
    async def go() -> None:
        async with client_for(server) as client:
            await sync(client, open_sink(dest, format=fmt), ExportOptions(reconcile_every=1))

    with pytest.raises(AkeneoSyncError) as failed:
        asyncio.run(go())
    return str(failed.value)


def test_every_run_is_recorded_the_failed_one_after_its_rollback(
    server: EmulatorServer, api: Api, dest: tuple[str, str | None]
) -> None:
    url, fmt = dest
    first = run_export(server, url, fmt)
    product = api.products()[0]["uuid"]
    api.patch_product(product, {"values": name_value("First change")})
    second = run_sync(server, url, fmt=fmt)
    state_before = open_sink(url, format=fmt).read_state()

    api.patch_product(product, {"values": name_value("Never stored")})
    api.faults(forbidden_resources=["products"])
    error = _failing_sync(server, url, fmt)
    api.faults(forbidden_resources=[])

    sink = open_sink(url, format=fmt)
    runs = sink.runs(10)
    assert [(r["kind"], r["outcome"]) for r in runs] == [
        ("sync", "failed"),
        ("sync", "ok"),
        ("export", "ok"),
    ]
    failed, ok, exported = runs
    assert [r["seq"] for r in runs] == [3, 2, 1]
    assert failed["error"] == error.splitlines()[0] and "403" in failed["error"]
    assert failed["mode"] == "incremental" and failed["requests"] > 0
    assert exported["mode"] == "full" and exported["written"] == first.counts
    assert ok["written"] == second.counts and ok["written"]["products"] >= 1
    assert ok["requests"] == second.requests and ok["retries"] == second.retries == 0
    for run in runs:
        assert run["started_at"] <= run["finished_at"] and run["seconds"] >= 0
    # The failed run's data and state were rolled back; its entry is all that it left.
    assert sink.read_state() == state_before
    assert failed["totals"]["runs"] == {"ok": 2, "failed": 1}
    assert failed["totals"]["written"] == ok["totals"]["written"]
    products = first.counts["products"] + second.counts["products"]
    assert ok["totals"]["written"]["products"] == products
    assert failed["totals"]["requests"] == first.requests + second.requests + failed["requests"]


def test_an_interrupted_run_is_recorded_so(server: EmulatorServer, tmp_path: Path) -> None:
    dest = f"sqlite:///{tmp_path / 'c.db'}"

    async def go() -> None:
        stop = asyncio.Event()
        stop.set()  # as a SIGTERM before the products: what was read is committed
        async with client_for(server) as client:
            report = await sync(client, open_sink(dest), ExportOptions(), stop=stop)
        assert report.interrupted

    asyncio.run(go())
    (run,) = open_sink(dest).runs()
    assert (run["kind"], run["outcome"], run["error"]) == ("sync", "interrupted", None)


def test_a_refused_run_records_nothing(server: EmulatorServer, tmp_path: Path) -> None:
    """A run that never had the destination (another run holds its lock) is not its run."""
    dest = f"sqlite:///{tmp_path / 'c.db'}"
    run_export(server, dest)
    holder = open_sink(dest)
    holder.open(SinkContext([]))
    try:
        _failing_sync(server, dest, None)
    finally:
        holder.close(True)
    assert [r["outcome"] for r in open_sink(dest).runs()] == ["ok"]


def _entries(count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(count):
        entry = {
            "kind": "sync",
            "mode": "incremental",
            "outcome": "failed" if i % 3 == 2 else "ok",
            "started_at": f"2025-06-01T10:{i:02d}:00+00:00",
            "finished_at": f"2025-06-01T10:{i:02d}:30+00:00",
            "seconds": 30.0,
            "written": {"products": i},
            "deleted": {},
            "requests": 10,
            "retries": 0,
            "throttled": 0,
            "error": None,
        }
        out.append(with_totals(entry, out[-1] if out else None))
    return out


def test_the_oldest_entries_go_and_the_totals_stay(dest: tuple[str, str | None]) -> None:
    url, fmt = dest
    sink = open_sink(url, format=fmt)
    entries = _entries(8)
    for entry in entries:
        if isinstance(sink, SqlSink):
            engine = sink._get_engine()
            _runlog.sql_record(engine, sink.layout, entry, keep=5)
        elif hasattr(sink, "runs_path"):
            sink.runs_path.parent.mkdir(parents=True, exist_ok=True)
            _runlog.file_record(sink.runs_path, entry, keep=5)
        else:
            _runlog.mongo_record(sink._db(), sink.prefix, entry, keep=5)
    runs = sink.runs(100)
    assert [r["seq"] for r in runs] == [8, 7, 6, 5, 4]
    assert runs[0] == entries[-1]
    # Counters that never go down, whatever was dropped: what Prometheus needs.
    assert runs[0]["totals"]["runs"] == {"ok": 6, "failed": 2}
    assert runs[0]["totals"]["written"]["products"] == sum(i for i in range(8) if i % 3 != 2)
    assert runs[0]["totals"]["requests"] == 80
    assert sink.runs(2) == runs[:2]


def test_a_torn_last_line_is_skipped_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / ".akeneo-sync-runs.jsonl"
    first, _, third = _entries(3)
    _runlog.file_record(path, first, keep=10)
    with open(path, "ab") as out:
        out.write(b'{"seq": 2, "kind": "sy')  # a crash mid-append
    assert _runlog.file_runs(path, 10) == [first]
    _runlog.file_record(path, third, keep=10)
    assert _runlog.file_runs(path, 10) == [third, first]
    assert path.read_bytes().count(b"\n") == 2
