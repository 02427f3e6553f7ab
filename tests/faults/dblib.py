"""Scenarios of the destination failing: the database going away mid-run, and two processes
syncing one destination. Shared by the tests and ``bench/fault_suite.py``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from faultlib import emulator, set_faults, wait_for
from killlib import Target, finish, served, start
from pgtemp import PgInstance
from sync_helpers import hashes


def stored_products(url: str) -> int:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute("SELECT count(*) FROM products").fetchone()
            return int(row[0]) if row else 0
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


def database_goes_away(pg: PgInstance, products: int, seed: int) -> tuple[str, bool]:
    """Stop ``pg`` as in a crash once an export has committed some products; returns the
    error line and whether the rerun (the server back) equals a clean export."""
    import psycopg

    # Fresh databases each run (the bench runs this several times on one instance).
    names = (f"killed_{seed}", f"clean_{seed}")
    with psycopg.connect(pg.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
    killed, clean = (Target(pg.url.rsplit("/", 1)[0] + f"/{name}") for name in names)
    with emulator(products, seed) as server:
        finish(start(server, "export", clean))
        set_faults(server, latency_ms=30)  # a run long enough to be cut in the middle
        proc = start(server, "export", killed)
        wanted = min(100, products // 4)
        stored = lambda: stored_products(killed.dest)  # noqa: E731
        wait_for(lambda: stored() >= wanted or proc.poll() is not None, 120, "data")
        assert proc.poll() is None, "the export ended before the database went away"
        pg.stop("immediate")
        line = one_error_line(proc, 4)
        pg.start()
        set_faults(server, latency_ms=0)
        finish(start(server, "export", killed))
    return line, hashes(killed.dest) == hashes(clean.dest)


def two_syncs(tmp: Path, fmt: str | None, products: int, seed: int) -> tuple[str, bool]:
    """A second sync started while the first holds the destination; returns its error line
    and whether the destination equals a clean sync's."""
    suffix = ".db" if fmt is None else ""
    dest, clean = (Target(str(tmp / f"{n}{suffix}"), fmt) for n in ("shared", "clean"))
    with emulator(products, seed) as server:
        finish(start(server, "sync", clean))
        # Slow answers keep the first sync running however long the second takes to start (a
        # loaded machine can take seconds); they are fast again once the second is done.
        set_faults(server, latency_ms=1000)
        before = served(server)
        first = start(server, "sync", dest)
        # The sink is opened, and its lock taken, before the first request to Akeneo.
        wait_for(lambda: served(server) > before, 60, "the first sync's first request")
        line = one_error_line(start(server, "sync", dest), 5)
        assert first.poll() is None, "the first sync ended before the second: no overlap"
        set_faults(server, latency_ms=0)
        finish(first)
    return line, hashes(dest.dest, fmt) == hashes(clean.dest, fmt)
