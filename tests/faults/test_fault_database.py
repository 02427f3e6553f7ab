"""The database going away mid-run (its own PostgreSQL instance, stopped as in a crash while an
export writes): one line, exit 4; started again, the same export resumes and equals a clean
run. And two processes syncing one destination: one is refused (exit 5, one line), never both
write, and the destination equals a clean run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dblib import database_goes_away, two_syncs
from pgtemp import PgInstance, available, pg_instance

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def own_postgres() -> Iterator[PgInstance]:
    reason = available()
    if reason:
        pytest.skip(reason)
    with pg_instance() as pg:
        yield pg


def test_the_database_going_away_mid_export(own_postgres: PgInstance, seed: int) -> None:
    line, equal = database_goes_away(own_postgres, 400, seed % 1000)
    print(line)
    assert f"127.0.0.1:{own_postgres.port}" in line, line
    assert equal


@pytest.mark.parametrize("fmt", [None, "jsonl"], ids=["sqlite", "jsonl"])
def test_two_syncs_into_one_destination(tmp_path: Path, fmt: str | None, seed: int) -> None:
    line, equal = two_syncs(tmp_path, fmt, 300, seed % 1000)
    print(line)
    assert "lock" in line or "being synced" in line, line
    assert equal
