"""The status server against real runs: /metrics parses as Prometheus text, /healthz follows the
runs (503 once one fails, or when the last success is too old), the page masks credentials;
``state`` prints the history and never creates a destination; ``sync --every --status-port``
serves the same pages."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from status_helpers import failing_sync, served, some_runs
from sync_helpers import Api, name_value, run_export, run_sync

from akeneo_sync.emulator import EmulatorServer
from akeneo_sync.sinks import open_sink


def _metrics(url: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_metrics_count_the_runs(server: EmulatorServer, api: Api, tmp_path: Path) -> None:
    dest = f"sqlite:///{tmp_path / 'c.db'}"
    before = datetime.now(UTC).timestamp()
    some_runs(server, api, dest)
    runs = open_sink(dest).runs(100)
    with served(dest) as url:
        metrics = _metrics(url)
    assert metrics["akeneo_sync_runs_total"] == {
        (("outcome", "ok"),): 5.0,
        (("outcome", "failed"),): 1.0,
        (("outcome", "interrupted"),): 0.0,
    }
    written = sum(r["written"].get("products", 0) for r in runs if r["outcome"] != "failed")
    products = metrics["akeneo_sync_records_written_total"][(("resource", "products"),)]
    assert products == written > 200  # the export's, and the syncs' (with their overlap)
    assert metrics["akeneo_sync_requests_total"][()] == sum(r["requests"] for r in runs)
    assert metrics["akeneo_sync_retries_total"][()] == 0
    last_ok = metrics["akeneo_sync_last_success_timestamp_seconds"][()]
    assert before <= last_ok <= datetime.now(UTC).timestamp()
    assert metrics["akeneo_sync_last_run_outcome"][(("outcome", "ok"),)] == 1.0
    lag = metrics["akeneo_sync_cursor_lag_seconds"][(("resource", "products"),)]
    assert 300 <= lag < 400  # the 5 minutes' overlap and the few seconds since
    assert metrics["akeneo_sync_healthy"][()] == 1.0


def test_healthz_follows_the_runs(server: EmulatorServer, api: Api, tmp_path: Path) -> None:
    dest = f"sqlite:///{tmp_path / 'c.db'}"
    with served(dest) as url:
        missing = httpx.get(f"{url}/healthz")
        assert missing.status_code == 503 and "no such destination" in missing.text
        run_export(server, dest)
        assert httpx.get(f"{url}/healthz").status_code == 200

        error = failing_sync(server, api, dest)
        failed = httpx.get(f"{url}/healthz")
        assert failed.status_code == 503
        assert "the last run failed" in failed.text and error in failed.text and "403" in error
        assert _metrics(url)["akeneo_sync_healthy"][()] == 0.0

        api.patch_product(api.products()[0]["uuid"], {"values": name_value("fixed")})
        run_sync(server, dest)
        assert httpx.get(f"{url}/healthz").status_code == 200
    with served(dest, stale_after=timedelta(milliseconds=1)) as url:
        time.sleep(1.1)
        stale = httpx.get(f"{url}/healthz")
        assert stale.status_code == 503 and "old" in stale.text


def test_the_page_never_shows_a_password(
    server: EmulatorServer, api: Api, postgres_url: str
) -> None:
    # Trust authentication ignores the password: the URL carries one all the same.
    dest = postgres_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in dest
    run_export(server, dest)
    failing_sync(server, api, dest)
    with served(dest) as url:
        page = httpx.get(f"{url}/").text
        everything = page + httpx.get(f"{url}/metrics").text + httpx.get(f"{url}/healthz").text
    assert "postgres:***@" in page and server.url in page
    for secret in ("s3cret-pw", server.config.secret, server.config.password + "@"):
        assert secret not in everything
    assert server.config.client_id not in page.replace("akeneo-sync", "")


def _akeneo_sync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "akeneo_sync", *args], capture_output=True, text=True, timeout=120
    )


def test_state_prints_the_runs_and_creates_nothing(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    typo = tmp_path / "typo.db"
    missing = _akeneo_sync("state", "--to", str(typo))
    assert missing.returncode == 4 and "no such destination" in missing.stderr
    assert not typo.exists()
    assert _akeneo_sync("state", "--to", str(tmp_path / "nothing-here")).returncode == 4
    assert not (tmp_path / "nothing-here").exists()

    db = tmp_path / "c.db"
    run_export(server, str(db))
    failing_sync(server, api, str(db))
    shown = _akeneo_sync("state", "--to", str(db))
    assert shown.returncode == 0, shown.stderr
    for expected in ("last successful run", "cursors", "last runs", "failed", "last error"):
        assert expected in shown.stdout
    assert server.url in shown.stdout  # the source: its URL only
    raw = _akeneo_sync("state", "--to", str(db), "--json")
    assert raw.returncode == 0 and '"cursors"' in raw.stdout and '"outcome": "failed"' in raw.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sync_every_serves_the_status_pages(server: EmulatorServer, tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "c.db"
    creds = server.credentials()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "akeneo_sync",
            "sync",
            "--to",
            str(db),
            "--every",
            "1h",
            "--status-port",
            str(port),
            "--url",
            creds["url"],
            "--client-id",
            creds["client_id"],
            "--client-secret",
            creds["client_secret"],
            "--username",
            creds["username"],
            "--password",
            creds["password"],
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            except httpx.TransportError:
                health = None
            if health is not None and health.status_code == 200:
                break
            time.sleep(0.3)
        assert health is not None and health.status_code == 200, health and health.text
        page = httpx.get(f"http://127.0.0.1:{port}/").text
        assert 'id="runs"' in page and "export" not in page.split('id="runs"')[1][:40]
        assert ">sync (full)<" in page
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
