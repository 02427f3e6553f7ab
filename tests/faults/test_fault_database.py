"""The database going away mid-run (its own PostgreSQL instance, stopped as in a crash while an
export writes): one line, exit 4; started again, the same export resumes and equals a clean
run. And two processes syncing one destination: one is refused (exit 5, one line), never both
write, and the destination equals a clean run."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from faultlib import emulator, set_faults, wait_for
from killlib import Target, finish, start
from pgtemp import PgInstance, available, pg_instance
from sync_helpers import hashes

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def own_postgres() -> Iterator[PgInstance]:
    reason = available()
    if reason:
        pytest.skip(reason)
    with pg_instance() as pg:
        yield pg


def stored_products(url: str) -> int:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return int(conn.execute("SELECT count(*) FROM products").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        return 0


def one_error_line(proc: subprocess.Popen[str], code: int) -> str:
    """The run's last stderr line is its one error line; before it only the log's INFO lines
    (stderr is not a terminal here), no traceback, no warning."""
    _, err = proc.communicate(timeout=120)
    lines = err.strip().splitlines()
    assert proc.returncode == code and lines, (proc.returncode, err)
    assert lines[-1].startswith("error: "), err
    assert all(" INFO " in line for line in lines[:-1]), err
    return lines[-1]


def test_the_database_going_away_mid_export(own_postgres: PgInstance, seed: int) -> None:
    import psycopg

    pg = own_postgres
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE clean")
    killed, clean = Target(pg.url), Target(pg.url.rsplit("/", 1)[0] + "/clean")
    with emulator(400, seed % 1000) as server:
        finish(start(server, "export", clean))
        set_faults(server, latency_ms=30)  # a run long enough to be cut in the middle
        proc = start(server, "export", killed)
        wait_for(lambda: stored_products(pg.url) >= 100 or proc.poll() is not None, 120, "data")
        assert proc.poll() is None, "the export ended before the database went away"
        pg.stop("immediate")
        line = one_error_line(proc, 4)
        print(line)
        assert "postgresql://" in line and "127.0.0.1" in line, line
        pg.start()
        set_faults(server, latency_ms=0)
        finish(start(server, "export", killed))
    assert hashes(killed.dest) == hashes(clean.dest)


@pytest.mark.parametrize("kind", ["sqlite", "jsonl"])
def test_two_syncs_into_one_destination(tmp_path, kind: str, seed: int) -> None:  # type: ignore[no-untyped-def]
    fmt = None if kind == "sqlite" else kind
    suffix = ".db" if kind == "sqlite" else ""
    dest, clean = (Target(str(tmp_path / f"{n}{suffix}"), fmt) for n in ("shared", "clean"))
    with emulator(300, seed % 1000) as server:
        finish(start(server, "sync", clean))
        set_faults(server, latency_ms=20)
        first = start(server, "sync", dest)
        wait_for(lambda: (tmp_path / f"shared{suffix}").exists(), 60, "the first sync's lock")
        second = start(server, "sync", dest)
        line = one_error_line(second, 5)
        assert "lock" in line or "being synced" in line, line
        finish(first)
    assert hashes(dest.dest, fmt) == hashes(clean.dest, fmt)
