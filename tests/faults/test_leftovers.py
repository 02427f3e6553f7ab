"""Nothing left behind by a run that never reached Akeneo, outputs with the umask's mode, a
table prefix checked before anything is created, an unreachable MongoDB failing fast."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
from faultlib import CLI, cli_args, emulator

pytestmark = pytest.mark.timeout(120)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: list[str], umask: int | None = None) -> subprocess.CompletedProcess[str]:
    # The umask of the child only (os.umask in a preexec_fn), not of the test process.
    preexec = None if umask is None else (lambda: os.umask(umask) and None)
    return subprocess.run(args, capture_output=True, text=True, timeout=90, preexec_fn=preexec)


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code and len(lines) == 1, (done.returncode, done.stderr)
    assert lines[0].startswith("error: "), lines
    return lines[0]


DESTINATIONS = ["new.db", "newdir", "catalog.json", "csvdir"]


def _format(dest: str) -> list[str]:
    return ["--format", "csv"] if dest == "csvdir" else []


@pytest.mark.parametrize("dest", DESTINATIONS)
def test_a_wrong_url_leaves_no_destination_behind(tmp_path: Path, dest: str) -> None:
    target = tmp_path / dest
    url = f"http://127.0.0.1:{closed_port()}"
    flags = ["--client-id", "a", "--client-secret", "b", "--username", "c", "--password", "d"]
    done = run([*CLI, "export", "--url", url, *flags, "--to", str(target), *_format(dest)])
    one_line(done, 3)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dest", ["new.db", "csvdir"])
def test_refused_credentials_leave_no_destination_behind(tmp_path: Path, dest: str) -> None:
    with emulator(10, 1) as server:
        args = cli_args(server, "sync", "--to", str(tmp_path / dest), *_format(dest))
        done = run([*args, "--password", "wrong"])  # the last --password wins
    assert "login refused" in one_line(done, 3)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_keeps_a_destination_that_existed_before(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "mine.txt").write_text("the user's")
    url = f"http://127.0.0.1:{closed_port()}"
    done = run([*CLI, "export", "--url", url, "--token", "t", "--to", str(target)])
    one_line(done, 3)
    assert (target / "mine.txt").read_text() == "the user's"


@pytest.mark.parametrize("umask", [0o027], ids=["027"])
def test_outputs_get_the_umasks_mode(tmp_path: Path, umask: int) -> None:
    with emulator(10, 1) as server:
        done = run(cli_args(server, "export", "--to", str(tmp_path / "out")), umask)
        assert done.returncode == 0, done.stderr
        done = run(cli_args(server, "export", "--to", str(tmp_path / "c.db")), umask)
        assert done.returncode == 0, done.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    modes = {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {oct(0o666 & ~umask)}, modes


@pytest.mark.parametrize("prefix", ["pim`", "x;drop", "é_"])
def test_a_table_prefix_is_checked_before_anything_is_created(tmp_path: Path, prefix: str) -> None:
    flags = ["--url", "http://127.0.0.1:1", "--token", "t", "--table-prefix", prefix]
    done = run([*CLI, "export", *flags, "--to", str(tmp_path / "c.db")])
    assert "--table-prefix" in one_line(done, 2)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_mongodb_fails_in_about_five_seconds_with_one_line() -> None:
    flags = ["--url", "http://127.0.0.1:1", "--token", "t"]
    dest = f"mongodb://127.0.0.1:{closed_port()}/catalog"
    started = time.monotonic()
    done = run([*CLI, "export", *flags, "--to", dest])
    took = time.monotonic() - started
    line = one_line(done, 4)
    assert took < 9, took
    assert len(line) < 250 and "Topology" not in line, line
