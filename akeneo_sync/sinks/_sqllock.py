"""SqlSink's lock: the single row of ``_akeneo_sync_lock``, inserted in its own committed
transaction, so it is visible to every other run at once and survives nothing but ``close``.

A row rather than ``pg_advisory_lock`` / ``GET_LOCK`` / a lock file: it works the same on all
three databases and says who holds it. Stale locks follow ``_lock``'s rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from akeneo_sync.errors import LockedError
from akeneo_sync.sinks import _lock


def acquire(engine: Engine, table: Table, url: str) -> dict[str, Any]:
    """Take the lock or raise ``LockedError``; returns the owner row to release it with."""
    owner = {"id": 1, **_lock.me()}
    for _ in range(3):
        # Read before inserting: on SQLite an insert would wait behind the holder's open write
        # transaction and fail with "database is locked" instead of saying who holds it.
        with engine.connect() as conn:
            row = conn.execute(select(table)).mappings().first()
        held = dict(row) if row is not None else None
        if held is None:
            try:
                with engine.begin() as conn:
                    conn.execute(insert(table), [owner])
            except IntegrityError:
                continue  # another run got in between: read who
            return owner
        if _lock.is_stale(held):
            with engine.begin() as conn:  # a dead run of this host: take its lock over
                conn.execute(_where_owner(delete(table), table, held))
            continue
        name = engine.dialect.identifier_preparer.format_table(table)
        raise _lock.locked(url, held, f"DELETE FROM {name}")
    raise LockedError(f"{url}: could not take the lock, other runs keep taking it")


def release(engine: Engine, table: Table, owner: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(_where_owner(delete(table), table, owner))


def _where_owner(stmt: Any, table: Table, owner: Any) -> Any:
    return stmt.where(
        table.c.pid == owner["pid"], table.c.host == owner["host"], table.c.since == owner["since"]
    )
