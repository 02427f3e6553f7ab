"""Destinations in pairs (the killed one and a clean one) for every kind the kill tests use."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from killlib import Target

KINDS = ["sqlite", "postgres", "mariadb", "mongo", "jsonl", "csv", "parquet"]


def _database(request: pytest.FixtureRequest, kind: str) -> Iterator[str]:
    """A fresh database URL of ``kind`` on the shared test services, dropped afterwards."""
    name = f"akeneo_sync_fault_{uuid.uuid4().hex[:10]}"
    if kind == "postgres":
        from tests.conftest import PG_ADMIN

        admin = request.getfixturevalue("_pg_admin")
        admin.execute(f'CREATE DATABASE "{name}"')
        yield urlsplit(PG_ADMIN)._replace(path=f"/{name}").geturl()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif kind == "mariadb":
        from tests.conftest import MYSQL_ADMIN

        admin = request.getfixturevalue("_mysql_admin")
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        yield urlsplit(MYSQL_ADMIN)._replace(path=f"/{name}").geturl()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    else:
        import pymongo

        server = request.getfixturevalue("mongo_server")
        yield f"{server}/{name}"
        with pymongo.MongoClient(server) as client:
            client.drop_database(name)


@pytest.fixture
def targets(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Target, Target]]:
    """(killed, clean) destinations of the kind ``request.param``."""
    kind = request.param
    if kind == "sqlite":
        yield Target(str(tmp_path / "killed.db")), Target(str(tmp_path / "clean.db"))
    elif kind in ("jsonl", "csv", "parquet"):
        yield Target(str(tmp_path / "killed"), kind), Target(str(tmp_path / "clean"), kind)
    else:
        first, second = _database(request, kind), _database(request, kind)
        yield Target(next(first)), Target(next(second))
        for gen in (first, second):
            next(gen, None)
