"""Where each destination keeps its run history (``Sink.record_run``, ``Sink.runs``): in the
state's own storage, the last ``KEEP_RUNS`` entries.

- SQL: a ``_akeneo_sync_runs`` table (with the prefix, in the schema), one row per run with
  its time, kind and outcome as columns (``WHERE outcome = 'failed'`` works in plain SQL) and
  the whole entry as JSON;
- MongoDB: a ``_akeneo_sync_runs`` collection, one document per entry;
- files: JSON lines beside the state file (``.akeneo-sync-runs.jsonl``, ``<name>.runs.jsonl``).

A run is recorded after its commit, or after its rollback when it failed, so every write here
is short and on its own (a connection, a transaction or a file append of its own), never part
of the data's transaction, and works whether or not the sink is open.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Column, Double, Engine, Integer, Table, delete, func, insert, inspect, select

from akeneo_sync.sinks import _atomic
from akeneo_sync.sinks._sqlschema import Layout, datetime_type, json_type, short_text

RUNS = "_akeneo_sync_runs"

# -- SQL ------------------------------------------------------------------------------------


def runs_table(layout: Layout) -> Table:
    """The history table of ``layout`` (its prefix and schema), defined once per layout."""
    name = layout.prefix + RUNS
    key = f"{layout.metadata.schema}.{name}" if layout.metadata.schema else name
    found = layout.metadata.tables.get(key)
    if found is not None:
        return found
    return Table(
        name,
        layout.metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("seq", Integer, nullable=False),
        Column("kind", short_text(), nullable=False),
        Column("outcome", short_text(), nullable=False),
        Column("started_at", datetime_type(), nullable=False),
        Column("finished_at", datetime_type(), nullable=False),
        Column("seconds", Double()),
        Column("entry", json_type(), nullable=False),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )


def _stamp(dialect: str, iso: str) -> Any:
    """ISO text in SQLite, an aware datetime in PostgreSQL, naive UTC in MySQL (as the
    resource tables store their datetimes)."""
    if dialect == "sqlite":
        return iso
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None) if dialect == "mysql" else moment


def sql_record(engine: Engine, layout: Layout, entry: Mapping[str, Any], keep: int) -> None:
    table = runs_table(layout)
    dialect = engine.dialect.name
    layout.metadata.create_all(engine, tables=[table])
    row = {
        "seq": int(entry["seq"]),
        "kind": str(entry["kind"]),
        "outcome": str(entry["outcome"]),
        "started_at": _stamp(dialect, str(entry["started_at"])),
        "finished_at": _stamp(dialect, str(entry["finished_at"])),
        "seconds": entry.get("seconds"),
        "entry": dict(entry),
    }
    with engine.begin() as conn:
        conn.execute(insert(table), [row])
        newest = conn.execute(select(func.max(table.c.id))).scalar() or 0
        # MySQL cannot delete from a table it selects from in the same statement: two steps.
        conn.execute(delete(table).where(table.c.id <= newest - keep))


def sql_runs(engine: Engine, layout: Layout, limit: int) -> list[dict[str, Any]]:
    table = runs_table(layout)
    if not inspect(engine).has_table(table.name, schema=layout.metadata.schema):
        return []
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.entry).order_by(table.c.id.desc()).limit(limit))
        return [dict(entry) for (entry,) in rows]


# -- MongoDB --------------------------------------------------------------------------------


def mongo_record(db: Any, prefix: str, entry: Mapping[str, Any], keep: int) -> None:
    collection = db[prefix + RUNS]
    collection.insert_one(dict(entry))
    collection.delete_many({"seq": {"$lte": int(entry["seq"]) - keep}})


def mongo_runs(db: Any, prefix: str, limit: int) -> list[dict[str, Any]]:
    found = db[prefix + RUNS].find({}, sort=[("seq", -1)], limit=limit)
    return [{k: v for k, v in doc.items() if k != "_id"} for doc in found]


# -- files ----------------------------------------------------------------------------------


def file_record(path: Path, entry: Mapping[str, Any], keep: int) -> None:
    line = orjson.dumps(dict(entry), default=str) + b"\n"
    lines = path.read_bytes().splitlines(keepends=True) if path.exists() else []
    torn = bool(lines) and not lines[-1].endswith(b"\n")
    if torn:
        lines.pop()  # cut by a crash mid-append: that entry is lost, the file stays readable
    if torn or len(lines) >= keep:
        kept = lines[-(keep - 1) :] if keep > 1 else []
        _atomic.write_atomic(path, b"".join([*kept, line]))
        return
    with open(path, "ab") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())


def file_runs(path: Path, limit: int) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    found: list[dict[str, Any]] = []
    for raw in reversed(path.read_bytes().splitlines()):
        try:
            entry = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue  # a torn last line
        if isinstance(entry, dict):
            found.append(entry)
            if len(found) >= limit:
                break
    return found
