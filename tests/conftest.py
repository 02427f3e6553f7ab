"""Shared service fixtures: a fresh PostgreSQL, MariaDB or Mongo database per test.

Services (override with the environment variables in brackets):
- PostgreSQL at 127.0.0.1:5432, trust auth, user ``postgres``, database ``test``
  [AKENEO_SYNC_TEST_POSTGRES, a libpq URL of the admin database];
- MariaDB/MySQL at 127.0.0.1:3306, user ``root``, empty password [AKENEO_SYNC_TEST_MYSQL];
- a MongoDB-compatible server: ``nx-27017`` started once per session on a free port
  [AKENEO_SYNC_TEST_MONGO, a mongodb:// URL of a real server to use instead].

A test needing a service that is unreachable is skipped on a developer's machine and fails when
``CI`` is set, so a broken CI service can never turn the suite green by skipping.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

PG_ADMIN = os.environ.get("AKENEO_SYNC_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN = os.environ.get("AKENEO_SYNC_TEST_MYSQL", "mysql://root:@127.0.0.1:3306/test")
MONGO_URL = os.environ.get("AKENEO_SYNC_TEST_MONGO")


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: a missing service there is a broken pipeline, not a pass."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _pg_admin() -> Iterator[object]:
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed: pip install 'akeneo-sync[postgres]'")
    parts = urlsplit(PG_ADMIN)
    try:
        conn = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        unavailable(f"PostgreSQL is unreachable at {parts.hostname}:{parts.port}: {exc}")
    yield conn
    conn.close()


@pytest.fixture
def postgres_url(_pg_admin: object) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    name = _unique("akeneo_sync_test")
    _pg_admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    parts = urlsplit(PG_ADMIN)
    yield parts._replace(path=f"/{name}").geturl()
    _pg_admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]


# -- MySQL / MariaDB --------------------------------------------------------------------------


def _mysql_connect(database: str | None = None) -> object:
    import pymysql

    parts = urlsplit(MYSQL_ADMIN)
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=database,
        connect_timeout=3,
        autocommit=True,
        charset="utf8mb4",
    )


@pytest.fixture(scope="session")
def _mysql_admin() -> Iterator[object]:
    try:
        import pymysql
    except ImportError:
        unavailable("pymysql is not installed: pip install 'akeneo-sync[mysql]'")
    try:
        conn = _mysql_connect()
    except pymysql.Error as exc:
        unavailable(f"MySQL/MariaDB is unreachable at {urlsplit(MYSQL_ADMIN).netloc}: {exc}")
    yield conn
    conn.close()  # type: ignore[attr-defined]


@pytest.fixture
def mysql_url(_mysql_admin: object) -> Iterator[str]:
    """A fresh, empty MariaDB/MySQL database, dropped after the test."""
    name = _unique("akeneo_sync_test")
    with _mysql_admin.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    parts = urlsplit(MYSQL_ADMIN)
    yield parts._replace(path=f"/{name}").geturl()
    with _mysql_admin.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


# -- MongoDB (nx-27017) -----------------------------------------------------------------------


def _nx_command() -> list[str] | None:
    exe = Path(sys.executable).with_name("nx-27017")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("nx-27017")
    return [found] if found else None


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mongodb://host:port`` of a real server (AKENEO_SYNC_TEST_MONGO) or of nx-27017."""
    try:
        import pymongo
    except ImportError:
        unavailable("pymongo is not installed: pip install 'akeneo-sync[mongo]'")
    if MONGO_URL:
        yield MONGO_URL.rstrip("/")
        return
    command = _nx_command()
    if command is None:
        unavailable(
            "nx-27017 is not installed (pip install nx-27017) and AKENEO_SYNC_TEST_MONGO unset"
        )
    base = tmp_path_factory.mktemp("nx27017")
    port = _free_port()
    log = open(base / "server.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [
            *command,
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
            "--data-dir",
            str(base / "data"),
            "--log-file",
            str(base / "nx.log"),
            "--pid-file",
            str(base / "nx.pid"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"mongodb://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                unavailable(f"nx-27017 exited with {proc.returncode}; see {base / 'server.log'}")
            if _port_open("127.0.0.1", port):
                client = pymongo.MongoClient(url, serverSelectionTimeoutMS=2000)
                try:
                    client.admin.command("ping")
                    break
                except pymongo.errors.PyMongoError:
                    pass
                finally:
                    client.close()
            if time.monotonic() > deadline:
                unavailable(f"nx-27017 did not answer on port {port} within 20 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def mongo_url(mongo_server: str) -> Iterator[str]:
    """A fresh database on the session's Mongo server, dropped after the test."""
    import pymongo

    name = _unique("akeneo_sync_test")
    yield f"{mongo_server}/{name}"
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_server)
    try:
        client.drop_database(name)
    except pymongo.errors.PyMongoError:
        pass  # best effort: each test uses its own name anyway
    finally:
        client.close()


@pytest.fixture
def seed() -> int:
    """A random seed for the test, printed (pytest shows it with a failure) so that the failure
    can be replayed: ``AKENEO_SYNC_TEST_SEED=N pytest ...``."""
    value = int(os.environ.get("AKENEO_SYNC_TEST_SEED") or random.SystemRandom().randrange(2**32))
    print(f"random seed {value} (replay with AKENEO_SYNC_TEST_SEED={value})")
    return value
