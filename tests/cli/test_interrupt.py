"""Signals, as a shell or a scheduler sends them: an interrupted run says so, commits what it
read and exits 128 + the signal; the next run picks up; a stop between two --every runs is clean.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from tests.cli.test_cli import CREDS, akeneo_sync

PRODUCTS = 2000


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    # Slow pages, so a signal lands while products are read (about 0.2 s a page).
    config = EmulatorConfig(
        products=PRODUCTS, seed=6, port=0, latency_ms=50, latency_per_item_ms=1.5
    )
    with EmulatorServer(config) as running:
        yield running


def product_requests(server: EmulatorServer) -> int:
    stats = httpx.get(f"{server.url}/_emulator/stats").json()
    return int(stats["by_resource"].get("products-uuid", 0))


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "akeneo_sync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def when_products_are_read(server: EmulatorServer, before: int) -> None:
    deadline = time.monotonic() + 120
    # Past the count and the probes that split the listing (about a dozen), well into its ~30
    # pages: the run writes products by now, and has more to read.
    while product_requests(server) < before + 25:
        assert time.monotonic() < deadline, "the export never reached the products"
        time.sleep(0.02)


def wait_for_line(process: subprocess.Popen[str], text: str) -> list[str]:
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"{text!r} never logged: {''.join(lines)}")


def no_noise(stderr: str) -> None:
    assert "Traceback" not in stderr and "Warning:" not in stderr, stderr


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_an_interrupted_export_says_so_and_the_next_run_picks_up(
    server: EmulatorServer, tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    db = tmp_path / "c.db"
    args = ["export", "--to", str(db), "--url", server.url, *CREDS]
    before = product_requests(server)
    process = start(*args)
    when_products_are_read(server, before)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == code, err
    no_noise(err)
    summary = re.findall(r"^interrupted .*$", out, re.MULTILINE)
    assert len(summary) == 1, out
    written = re.fullmatch(
        rf"interrupted by {signum.name} after ([\d,]+) records: what was read is committed, "
        "and the next run picks up where this one stopped",
        summary[0],
    )
    assert written is not None, summary[0]
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT count(*) FROM products").fetchone()[0]
    assert 0 < kept < PRODUCTS

    resumed = akeneo_sync(*args, "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("resumed full export")
    assert not re.search(r"^interrupted", resumed.stdout, re.MULTILINE)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(DISTINCT uuid) FROM products").fetchone()[0] == PRODUCTS


def test_a_second_signal_aborts_at_once(server: EmulatorServer, tmp_path: Path) -> None:
    before = product_requests(server)
    process = start("export", "--to", str(tmp_path / "c.db"), "--url", server.url, *CREDS)
    when_products_are_read(server, before)
    process.send_signal(signal.SIGTERM)
    wait_for_line(process, "SIGTERM: stopping")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    no_noise(err)
    assert err.splitlines()[-1] == (
        "error: interrupted by SIGTERM; nothing after the last commit was kept"
    )


def test_a_stop_between_two_scheduled_runs_is_clean(server: EmulatorServer, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    process = start("sync", "--every", "1h", "--to", str(db), "--url", server.url, *CREDS)
    wait_for_line(process, "next run at")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    no_noise(err)
    assert not re.search(r"^interrupted", out, re.MULTILINE)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == PRODUCTS
