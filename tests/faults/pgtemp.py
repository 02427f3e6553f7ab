"""A PostgreSQL instance of the test's own (initdb, pg_ctl) that a test may stop mid-run: the
shared server on 5432 is never touched. Runs as the ``postgres`` user when started as root
(PostgreSQL refuses to run as root)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    return found[-1] or None


def available() -> str | None:
    """Why an own instance cannot be started here, or None."""
    if not (_bin("initdb") and _bin("pg_ctl")):
        return "initdb/pg_ctl not found (under /usr/lib/postgresql/*/bin or on PATH)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgInstance:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(_bin("initdb")), "-D", str(self.data), "-U", "postgres", "-A", "trust")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.base / "server.log")
        pg_ctl = str(_bin("pg_ctl"))
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``immediate``: the server goes away as in a crash (connections cut, no goodbye)."""
        self._run(str(_bin("pg_ctl")), "-D", str(self.data), "-m", mode, "-w", "stop")


@contextmanager
def pg_instance() -> Iterator[PgInstance]:
    base = Path(tempfile.mkdtemp(prefix="akeneo-sync-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    pg = PgInstance(base)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test
            pg.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)
