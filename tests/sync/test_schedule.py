"""``sync --every``: SIGTERM finishes the current batch, commits and exits 143; a second sync
against a destination that one holds is refused with a clear message; durations parse."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from test_resume import cli_args

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.errors import ConfigError
from akeneo_sync.run.schedule import next_delay, parse_cadence, parse_duration


@pytest.fixture()
def slow_server() -> Iterator[EmulatorServer]:
    """Slow enough that a run is still going when the test acts."""
    config = EmulatorConfig(port=0, products=2000, seed=9, latency_ms=30)
    with EmulatorServer(config) as srv:
        yield srv


def start_sync(server: EmulatorServer, db: Path, *extra: str) -> subprocess.Popen[str]:
    args = cli_args(server, "sync", "--to", str(db), *extra)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(check: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return list(conn.execute(sql))
    except sqlite3.Error:
        return []


def state(db: Path) -> dict[str, object]:
    rows = query(db, "SELECT state FROM _akeneo_sync_state")
    return json.loads(str(rows[0][0])) if rows else {}


def test_sigterm_mid_run_commits_and_exits_143(slow_server: EmulatorServer, tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    proc = start_sync(slow_server, db, "--every", "1s", "--checkpoint-every", "200")
    wait_for(lambda: query(db, "SELECT count(*) FROM products") not in ([], [(0,)]))
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "SIGTERM" in err
    saved = state(db)
    assert saved["last_run"]["interrupted"] is True  # type: ignore[index]
    assert saved["resume"]["kind"] == "full"  # type: ignore[index]
    committed = query(db, "SELECT count(*) FROM products")[0][0]
    assert 0 < committed < 2000  # type: ignore[operator]
    assert query(db, "SELECT count(*) FROM _akeneo_sync_lock") == [(0,)]


def test_sigterm_between_runs_exits_0(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(port=0, products=100, seed=2)) as server:
        db = tmp_path / "catalog.db"
        proc = start_sync(server, db, "--every", "1h")
        assert proc.stderr is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
        reader.start()
        wait_for(lambda: any("next run at" in line for line in lines))  # waiting between runs
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        reader.join(timeout=10)
    err = "".join(lines)
    assert proc.returncode == 0, err
    assert state(db)["runs"] == 1


def test_second_sync_is_refused_while_one_runs(tmp_path: Path) -> None:
    # A catalog large enough that the first run is still reading products while the others
    # read the (small) reference data, open the destination and meet its lock.
    with EmulatorServer(EmulatorConfig(port=0, products=20_000, seed=9)) as server:
        db = tmp_path / "catalog.db"
        first = start_sync(server, db)
        try:
            wait_for(lambda: query(db, "SELECT pid FROM _akeneo_sync_lock") == [(first.pid,)])
            second = start_sync(server, db)
            _out, err = second.communicate(timeout=60)
            assert second.returncode == 5, err
            assert f"is locked by pid {first.pid}" in err
            # A scheduled sync is refused too, rather than queueing behind the lock.
            third = start_sync(server, db, "--every", "1m")
            _out, err = third.communicate(timeout=60)
            assert third.returncode == 5, err
            assert first.poll() is None
        finally:
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=60)
    assert first.returncode == 143  # stopped mid-run
    assert query(db, "SELECT count(*) FROM _akeneo_sync_lock") == [(0,)]


def test_parse_duration() -> None:
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("2") == timedelta(minutes=2)
    with pytest.raises(ConfigError):
        parse_duration("soon")
    with pytest.raises(ConfigError):
        parse_duration("0s")


def test_parse_cadence_counts_runs_or_takes_a_duration() -> None:
    assert parse_cadence("4") == 4
    assert parse_cadence("0") == 0
    assert parse_cadence("1h") == timedelta(hours=1)
    with pytest.raises(ConfigError):
        parse_cadence("hourly")


def test_next_delay_keeps_the_grid_and_never_overlaps() -> None:
    assert next_delay(elapsed=2.0, period=10.0) == pytest.approx(8.0)
    assert next_delay(elapsed=25.0, period=10.0) == 0.0
