"""A destination is tied to the Akeneo it mirrors: another one is refused, or replaces it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sync_helpers import assert_matches_fresh_export, hashes, run_sync

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.errors import SourceMismatchError


def stored_state(db: str) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        return dict(json.loads(conn.execute("SELECT state FROM _akeneo_sync_state").fetchone()[0]))


def test_a_destination_of_another_akeneo_is_refused_then_replaced_on_request(
    server: EmulatorServer, tmp_path: Path
) -> None:
    dest = str(tmp_path / "dest.db")
    run_sync(server, dest)
    assert stored_state(dest)["source"] == {
        "url": server.url,
        "client_id": "demo",
        "username": "demo",
    }
    before = hashes(dest)
    with EmulatorServer(EmulatorConfig(port=0, products=120, seed=6)) as other:
        with pytest.raises(SourceMismatchError, match=r"mirrors http://127\.0\.0\.1:\d+ \(as"):
            run_sync(other, dest)
        assert hashes(dest) == before  # nothing was touched
        replaced = run_sync(other, dest, replace=True)
        assert replaced.mode == "full"
        assert replaced.deleted["products"] > 0  # the first catalog's, hard-deleted
        assert_matches_fresh_export(other, dest, str(tmp_path / "oracle.db"))
        assert stored_state(dest)["source"]["url"] == other.url  # type: ignore[index]


def test_a_state_from_before_sources_is_adopted(server: EmulatorServer, tmp_path: Path) -> None:
    dest = str(tmp_path / "dest.db")
    run_sync(server, dest)
    with sqlite3.connect(dest) as conn:
        state = stored_state(dest)
        del state["source"]
        conn.execute("UPDATE _akeneo_sync_state SET state = ?", (json.dumps(state),))
    again = run_sync(server, dest)
    assert again.mode == "incremental"
    assert "source" in stored_state(dest)


def test_the_cli_says_which_akeneo_a_destination_mirrors(
    server: EmulatorServer, tmp_path: Path
) -> None:
    import subprocess
    import sys

    dest = str(tmp_path / "dest.db")
    run_sync(server, dest)
    with EmulatorServer(EmulatorConfig(port=0, products=50, seed=6)) as other:
        creds = other.credentials()
        args = [sys.executable, "-m", "akeneo_sync", "sync", "--to", dest, "-q"]
        for flag in ("url", "client_id", "client_secret", "username", "password"):
            args += [f"--{flag.replace('_', '-')}", creds[flag]]
        refused = subprocess.run(args, capture_output=True, text=True)
        assert refused.returncode == 2
        assert refused.stderr.strip() == (
            f"error: sqlite:///{dest} mirrors {server.url} (as demo), this run reads "
            f"{other.url} (as demo): sync into another destination (or --table-prefix), or give "
            "--replace to replace its content"
        )
        replaced = subprocess.run([*args, "--replace"], capture_output=True, text=True)
        assert replaced.returncode == 0, replaced.stderr
