"""The command line as a user runs it: real processes, real files, exit codes, one-line errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from akeneo_sync.cli import cli
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

CREDS = [
    "--client-id",
    "demo",
    "--client-secret",
    "demo-secret",
    "--username",
    "demo",
    "--password",
    "demo",
]


def akeneo_sync(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "akeneo_sync", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(products=150, seed=11, port=0)) as running:
        yield running


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"`akeneo-sync {command} --help` shows no example"


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = akeneo_sync("demo", "--products", "400", "--to", str(db))
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout  # the example queries
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(DISTINCT uuid) FROM products").fetchone() == (400,)
        # the first example query the demo prints works as printed
        rows = conn.execute(
            "SELECT family, count(*) FROM products GROUP BY family ORDER BY 2 DESC"
        ).fetchall()
        assert sum(n for _, n in rows) == 400
        labelled = conn.execute(
            "SELECT count(*) FROM product_values WHERE attribute = 'color' AND label IS NOT NULL"
        ).fetchone()[0]
        assert labelled > 0


def test_export_with_env_credentials_and_state(server: EmulatorServer, tmp_path: Path) -> None:
    import os

    env = {
        **os.environ,
        "AKENEO_URL": server.url,
        "AKENEO_CLIENT_ID": "demo",
        "AKENEO_CLIENT_SECRET": "demo-secret",
        "AKENEO_USERNAME": "demo",
        "AKENEO_PASSWORD": "demo",
    }
    db = tmp_path / "c.db"
    result = akeneo_sync("export", "--to", str(db), "-q", env=env)
    assert result.returncode == 0, result.stderr
    assert "products" in result.stdout and "150" in result.stdout
    # Closed before the process ended (it exits without tearing the interpreter down): the
    # file holds everything, no write-ahead log is left beside it.
    assert not (tmp_path / "c.db-wal").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM products").fetchone() == (150,)
    state = akeneo_sync("state", "--to", str(db), "--json")
    assert state.returncode == 0 and '"cursors"' in state.stdout
    check = akeneo_sync("check", env=env)
    assert check.returncode == 0, check.stderr
    assert "products" in check.stdout and "150" in check.stdout


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_bad_url_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    result = akeneo_sync(
        "export", "--to", str(tmp_path / "c.db"), "--url", "http://127.0.0.1:9", *CREDS
    )
    assert result.returncode == 3
    assert "cannot connect" in one_line_error(result)


def test_wrong_credentials_exit_non_zero_with_one_line(
    server: EmulatorServer, tmp_path: Path
) -> None:
    args = ["export", "--to", str(tmp_path / "c.db"), "--url", server.url, *CREDS]
    args[args.index("demo-secret")] = "wrong"
    result = akeneo_sync(*args)
    assert result.returncode == 3
    assert "login refused" in one_line_error(result)


@pytest.mark.parametrize("target", ["c.db", "out", "catalog.json"])
def test_unwritable_destination_exits_non_zero_with_one_line(
    server: EmulatorServer, tmp_path: Path, target: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = akeneo_sync("export", "--to", str(blocker / target), "--url", server.url, *CREDS)
    assert result.returncode == 4
    assert str(blocker) in one_line_error(result)


def test_missing_url_is_a_config_error(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AKENEO_")}
    result = akeneo_sync("export", "--to", str(tmp_path / "c.db"), env=env)
    assert result.returncode == 2
    assert "AKENEO_URL" in one_line_error(result)


def test_verbose_logs_requests_but_never_secrets(tmp_path: Path) -> None:
    config = EmulatorConfig(
        products=60, seed=2, port=0, secret="s3cret-Secret", password="pa55-Word"
    )
    with EmulatorServer(config) as running:
        args = [
            "export",
            "--to",
            str(tmp_path / "c.db"),
            "--url",
            running.url,
            "-v",
            "--client-id",
            "demo",
            "--client-secret",
            "s3cret-Secret",
            "--username",
            "demo",
            "--password",
            "pa55-Word",
        ]
        result = akeneo_sync(*args)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "GET " in output and "/api/rest/v1/products-uuid" in output  # request detail
    for secret in ("s3cret-Secret", "pa55-Word", "Bearer", "access_token"):
        assert secret not in output


def test_reconcile_every_takes_a_duration_or_a_run_count(
    server: EmulatorServer, tmp_path: Path
) -> None:
    db = str(tmp_path / "c.db")
    sync = ["sync", "--to", db, "--url", server.url, *CREDS, "-q"]
    bad = akeneo_sync(*sync, "--reconcile-every", "hourly")
    assert bad.returncode == 2
    assert "'hourly' is not a duration" in one_line_error(bad)
    for when in ("2h", "3"):
        result = akeneo_sync(*sync, "--reconcile-every", when)
        assert result.returncode == 0, result.stderr
