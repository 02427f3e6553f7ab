"""``--no-values-table``: SQL destinations without the long ``product_values`` table, through the
command line against the emulator; the documents are the same as with the table, and later syncs
keep the table out until ``--values-table`` asks for it again (a full run that fills it)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from sync_helpers import Api, name_value

from akeneo_sync.emulator import EmulatorServer


def _cli(server: EmulatorServer, *args: str) -> str:
    creds = server.credentials()
    env = {
        **os.environ,
        "AKENEO_URL": server.url,
        "AKENEO_CLIENT_ID": creds["client_id"],
        "AKENEO_CLIENT_SECRET": creds["client_secret"],
        "AKENEO_USERNAME": creds["username"],
        "AKENEO_PASSWORD": creds["password"],
    }
    done = subprocess.run(
        [sys.executable, "-m", "akeneo_sync", *args, "--labels", "en_US", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}


def _products(db: Path) -> dict[str, dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT uuid, document FROM products").fetchall()
    return {uuid: json.loads(doc) for uuid, doc in rows}


def _mode(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        (mode,) = conn.execute(
            "SELECT entry->>'mode' FROM _akeneo_sync_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return str(mode)


def test_no_values_table_then_syncs(server: EmulatorServer, api: Api, tmp_path: Path) -> None:
    full, lean = tmp_path / "full.db", tmp_path / "lean.db"
    _cli(server, "export", "--to", str(full))
    _cli(server, "export", "--to", str(lean), "--no-values-table")
    assert "product_values" in _tables(full)
    assert "product_values" not in _tables(lean)
    assert _products(lean) == _products(full)  # the documents are complete without the table
    assert len(_products(lean)) == server.config.products

    uuid = sorted(_products(lean))[0]
    api.patch_product(uuid, {"values": name_value("renamed without rows")})
    _cli(server, "sync", "--to", str(lean))  # says nothing: goes on as the destination is
    assert _mode(lean) == "incremental"
    assert "product_values" not in _tables(lean)
    names = _products(lean)[uuid]["values"]["name"]
    assert {"locale": "en_US", "scope": None, "data": "renamed without rows"} in names

    _cli(server, "sync", "--to", str(lean), "--no-values-table")
    assert _mode(lean) == "incremental"
    assert "product_values" not in _tables(lean)

    _cli(server, "sync", "--to", str(lean), "--values-table")  # a full run fills the table
    assert _mode(lean) == "full"
    with sqlite3.connect(lean) as conn:
        (with_rows,) = conn.execute("SELECT count(DISTINCT uuid) FROM product_values").fetchone()
        (renamed,) = conn.execute(
            "SELECT text_value FROM product_values "
            "WHERE uuid = ? AND attribute = 'name' AND locale = 'en_US'",
            (uuid,),
        ).fetchone()
    assert with_rows == server.config.products
    assert renamed == "renamed without rows"
