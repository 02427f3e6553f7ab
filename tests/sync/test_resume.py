"""A full export killed with SIGKILL at random points and started again continues from its last
committed checkpoint: the content equals a clean run's, no product is lost or duplicated, and
the resumed run reads far less than a whole export. Into SQLite, and into a JSONL directory,
whose checkpoints are commits of its work index (its outputs are written once, at the end)."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import hashes

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

CLI = [sys.executable, "-m", "akeneo_sync"]


def cli_args(server: EmulatorServer, *args: str) -> list[str]:
    flags = server.credentials().items()
    return [*CLI, *args, *(p for k, v in flags for p in (f"--{k.replace('_', '-')}", v))]


def export(server: EmulatorServer, db: Path, *extra: str) -> subprocess.Popen[str]:
    args = cli_args(server, "export", "--to", str(db), "--labels", "en_US", *extra)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> int:
    """Wait for a run that must succeed; how many products it wrote (from its summary)."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    found = re.search(r"products\W+([\d,]+)", out)
    assert found, out
    return int(found.group(1).replace(",", ""))


def committed_products(db: Path) -> int:
    """Products a checkpoint committed: in the database, or in a directory's work index."""
    path, table = (
        (db / ".akeneo-sync-work" / "index.sqlite", "r_products")
        if db.suffix != ".db"
        else (db, "products")
    )
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def checkpoint_state(db: Path) -> str:
    if db.suffix == ".db":
        query, path = "SELECT state FROM _akeneo_sync_state", db
    else:
        query, path = "SELECT state FROM checkpoint", db / ".akeneo-sync-work" / "index.sqlite"
    with sqlite3.connect(path) as conn:
        return str(conn.execute(query).fetchone()[0])


def kill_when(proc: subprocess.Popen[str], db: Path, products: int) -> int:
    """SIGKILL ``proc`` once ``products`` products are committed; returns how many were."""
    deadline = time.monotonic() + 240
    while (count := committed_products(db)) < products:
        assert proc.poll() is None, "the export ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return count


def row_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            for table in ("products", "product_models", "product_values")
        }


@pytest.fixture()
def big_server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(port=0, products=request.param, seed=3)) as srv:
        yield srv


def _kill_and_resume(
    server: EmulatorServer, tmp_path: Path, kills: int, seed: int, suffix: str = ".db"
) -> None:
    total = len(server.catalog.p_family)
    clean = tmp_path / f"clean{suffix}"
    assert finish(export(server, clean, "--checkpoint-every", "500")) == total

    db = tmp_path / f"killed{suffix}"
    rng = random.Random(seed)
    targets = sorted(rng.randint(total // 10, total * 8 // 10) for _ in range(kills))
    killed_at = 0
    for target in targets:
        killed_at = kill_when(export(server, db, "--checkpoint-every", "500"), db, target)
        assert killed_at < total
    assert '"resume"' in checkpoint_state(db)
    resumed = finish(export(server, db, "--checkpoint-every", "500"))

    if suffix == ".db":
        assert row_counts(db) == row_counts(clean)
    else:  # one line a product, and the work directory is gone with the run
        assert len((db / "products.jsonl").read_text().splitlines()) == total
        assert not (db / ".akeneo-sync-work").exists()
    assert hashes(str(db)) == hashes(str(clean))
    # The resumed run read what its last checkpoint had not covered, not everything again
    # (products committed at the kill are at least what the test saw committed).
    assert resumed <= total - killed_at, (resumed, total, killed_at)


@pytest.mark.parametrize("big_server", [3000], indirect=True)
def test_kill9_twice_then_resume(big_server: EmulatorServer, tmp_path: Path, seed: int) -> None:
    _kill_and_resume(big_server, tmp_path, kills=2, seed=seed)


@pytest.mark.parametrize("big_server", [3000], indirect=True)
def test_kill9_then_resume_into_a_jsonl_directory(
    big_server: EmulatorServer, tmp_path: Path, seed: int
) -> None:
    _kill_and_resume(big_server, tmp_path, kills=2, seed=seed, suffix="-jsonl")


@pytest.mark.slow
@pytest.mark.parametrize("big_server", [10_000], indirect=True)
def test_kill9_resume_10k(big_server: EmulatorServer, tmp_path: Path, seed: int) -> None:
    _kill_and_resume(big_server, tmp_path, kills=1, seed=seed)
