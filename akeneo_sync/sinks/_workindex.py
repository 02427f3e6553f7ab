"""The work index of a file sink: rows by key on local disk, and the last checkpoint beside them.

A file sink writes nothing into its outputs until it finalises; until then every row goes to a
SQLite file in a hidden work directory, one table per resource keyed by the resource key (last
write wins, first-write order kept), so memory does not grow with the catalog and a row written
twice is stored once. The same file holds the last checkpoint (a state and the deletions not yet
logged), committed with the rows it covers, which is what lets a killed run be resumed.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from akeneo_sync.resources import Resource
from akeneo_sync.sinks import _cells
from akeneo_sync.sinks._sqlrows import ManyRows
from akeneo_sync.sinks.base import Doc, Key

_NUMERIC_START = frozenset("-0123456789")


def _json(data: Any) -> str:
    return orjson.dumps(data).decode()


def table_exists(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


class WorkDb:
    """The indexes' SQLite file, with the last checkpoint (a state and pending deletions) and
    the kind of output it was for (a JSONL run's documents are no CSV run's rows)."""

    def __init__(self, path: Path, kind: str) -> None:
        self.kind = kind
        # The runner may call open and write from different (serialised) threads.
        self.db = sqlite3.connect(path, check_same_thread=False)
        # 16 KB pages (a new file only): a ~5 KB document fits in one, no overflow pages.
        self.db.execute("PRAGMA page_size = 16384")
        # WAL: a killed process loses what followed the last commit, never the file.
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "kind TEXT NOT NULL, state BLOB NOT NULL, deletions BLOB NOT NULL)"
        )
        self.db.commit()

    @classmethod
    def take(
        cls, path: Path, kind: str
    ) -> tuple[WorkDb | None, tuple[dict[str, Any], list[Doc]] | None]:
        """An existing work file and its last checkpoint (None for a file SQLite refuses)."""
        try:
            work = cls(path, kind)
        except sqlite3.Error:
            return None, None
        try:
            return work, work.last()
        except sqlite3.Error:
            return work, None

    def last(self) -> tuple[dict[str, Any], list[Doc]] | None:
        found = self.db.execute(
            "SELECT state, deletions FROM checkpoint WHERE kind = ?", (self.kind,)
        ).fetchone()
        return None if found is None else (orjson.loads(found[0]), orjson.loads(found[1]))

    def clear(self) -> None:
        self.db.execute("DELETE FROM checkpoint")
        self.db.commit()

    def save(self, state: Mapping[str, Any], deletions: list[Doc]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO checkpoint VALUES (1, ?, ?, ?)",
            (self.kind, orjson.dumps(dict(state), default=str), orjson.dumps(deletions)),
        )
        self.db.commit()

    def has(self, resource: Resource) -> bool:
        """Whether a checkpoint left rows of ``resource`` here."""
        return table_exists(self.db, Index.table_name(resource))


class Index:
    """Rows of one resource by key, in first-write order, on disk; with ``track``, the columns
    and the kinds of values seen, from which a flat file takes its header and column types."""

    def __init__(self, db: sqlite3.Connection, resource: Resource, *, track: bool) -> None:
        self.db = db
        self.resource = resource
        self.track = track
        name = self.table_name(resource)
        self.table = f'"{name}"'
        self._upsert = ManyRows(
            f"INSERT INTO {self.table}(k, body) VALUES (?, ?) "
            "ON CONFLICT(k) DO UPDATE SET body = excluded.body"
        )
        # column -> kinds seen (``_cells.kind``), for the header of a flat file, the Parquet
        # schema and the typed cells of a workbook (bounded by the columns)
        self.columns: dict[str, set[str]] = {}
        # columns a flat row puts among its properties though they are none: the identifier
        # attribute's (``sku``...), second in a product row
        self.identifiers: set[str] = set()
        self.resumed = table_exists(db, name)  # a checkpoint's
        if self.resumed and track:
            for row in self:
                self._track([row])
        elif not self.resumed:
            db.execute(
                f"CREATE TABLE {self.table} "
                "(seq INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, body BLOB NOT NULL)"
            )

    @staticmethod
    def table_name(resource: Resource) -> str:
        return f"r_{resource.name}"

    def _key(self, row: Mapping[str, Any]) -> str:
        return _json([row[k] for k in self.resource.key])

    def _track(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not self.track:
            return
        properties = self.resource.flat_properties
        columns = self.columns
        kind = _cells.kind
        for row in rows:
            for name, value in row.items():
                types = columns.get(name)
                if types is None:
                    types = columns[name] = set()
                if value is None:
                    continue
                # Most cells are text that cannot be a number or a date: ``kind`` without
                # the call (it says "str" for them too).
                if value.__class__ is str and value and value[0] not in _NUMERIC_START:
                    types.add("str")
                else:
                    types.add(kind(value))
            if properties is not None:
                second = next(itertools.islice(row, 1, 2), None)
                if second is not None and second not in properties:
                    self.identifiers.add(second)

    def header(self) -> list[str]:
        """The resource's leading columns first (with the identifier column right after the
        first, where ``flatten_product`` puts it), then every other column seen, sorted."""
        seen = self.columns
        lead = [c for c in self.resource.leading_columns if c in seen]
        lead[1:1] = [c for c in seen if c not in lead and c in self.identifiers]
        rest = sorted(c for c in seen if c not in lead)
        return lead + rest

    def upsert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._track(rows)
        self._upsert.run(self.db, [(self._key(row), orjson.dumps(row)) for row in rows])

    def get(self, key: Key) -> Doc | None:
        found = self.db.execute(
            f"SELECT body FROM {self.table} WHERE k = ?", (_json(list(key)),)
        ).fetchone()
        return None if found is None else dict(orjson.loads(found[0]))

    def remove(self, key: Key) -> None:
        self.db.execute(f"DELETE FROM {self.table} WHERE k = ?", (_json(list(key)),))

    def __iter__(self) -> Iterator[Doc]:
        for body in self.bodies():
            yield orjson.loads(body)

    def bodies(self) -> Iterator[bytes]:
        """Each row as the JSON it is stored as (``orjson.dumps`` of it), in first-write
        order: what a JSON file writes, without decoding and encoding it again."""
        for (body,) in self.db.execute(f"SELECT body FROM {self.table} ORDER BY seq"):
            yield body
