"""File destinations: one JSON array of flat products, or a directory of one file per resource.

Every write goes to an on-disk index (SQLite, in a hidden work directory inside the destination)
keyed by the resource key, so a document written twice is stored once and memory does not grow
with the catalog. The index is seeded from the previous complete output the first time a resource
is touched, which makes an incremental sync an upsert into what is already there. Finalisation
(``commit`` or ``close(ok=True)``) writes each touched resource to a temp file beside its output,
then replaces outputs with ``os.replace`` and writes the state file last: a reader sees the old
complete files or the new ones, never a partial file, and the state never covers data that is
not on disk.

Checkpoints (``checkpoint(state)``, every few thousand products of a full run) commit the index
with the state, in one SQLite transaction, and leave the outputs alone. A run that dies keeps the
work directory; the next ``open`` takes the index up from its last checkpoint and ``read_state``
gives that checkpoint's state, so the runner resumes where it was. Finalisation removes it.
"""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from akeneo_sync.errors import ConfigError, MissingDependencyError
from akeneo_sync.resources import PRODUCT_MODELS, PRODUCTS, Resource
from akeneo_sync.sinks import _atomic
from akeneo_sync.sinks.base import Doc, Key, Sink, SinkContext
from akeneo_sync.transform.values import (
    MODEL_PROPERTIES,
    PRODUCT_PROPERTIES,
    flatten_model,
    flatten_product,
    to_json,
)

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")
STATE_FILE = ".akeneo-sync-state.json"
WORK_DIR = ".akeneo-sync-work"
DELETIONS_FILE = "deletions.jsonl"
LOCK_FILE = ".akeneo-sync.lock"
_BATCH = 5000


def flat_row(resource: Resource, doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> Doc:
    """The flat (CSV/Parquet) row of a document: products and models per Akeneo's convention,
    other resources with top-level scalars as is and anything nested as a JSON string."""
    if resource.name == PRODUCTS.name:
        row: Doc = flatten_product(doc, attributes)
    elif resource.name == PRODUCT_MODELS.name:
        row = flatten_model(doc, attributes)
    else:
        row = {k: to_json(v) if isinstance(v, dict | list) else v for k, v in doc.items()}
    if "deleted_at" in doc:
        row["deleted_at"] = doc["deleted_at"]
    return row


def _leading_columns(resource: Resource) -> tuple[str, ...]:
    if resource.name == PRODUCTS.name:
        return PRODUCT_PROPERTIES
    if resource.name == PRODUCT_MODELS.name:
        return MODEL_PROPERTIES
    return tuple(dict.fromkeys([*resource.key, *(c.name for c in resource.columns)]))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2**63) <= value < 2**63 else "str"
    if isinstance(value, float):
        return "float"
    return "str"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def table_exists(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


class _WorkDb:
    """The indexes' SQLite file, with the last checkpoint (a state and pending deletions) and
    the kind of output it was for (a JSONL run's documents are no CSV run's rows)."""

    def __init__(self, path: Path, kind: str) -> None:
        self.kind = kind
        # The runner may call open and write from different (serialised) threads.
        self.db = sqlite3.connect(path, check_same_thread=False)
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
    ) -> tuple[_WorkDb | None, tuple[dict[str, Any], list[Doc]] | None]:
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


class _Index:
    """Documents of one resource by key, in first-write order, on disk."""

    def __init__(self, db: sqlite3.Connection, resource: Resource, *, track: bool) -> None:
        self.db = db
        self.resource = resource
        self.track = track
        name = f"r_{resource.name}"
        self.table = f'"{name}"'
        # column -> types seen, for the CSV header and the Parquet schema (bounded by columns)
        self.columns: dict[str, set[str]] = {}
        # identifier columns of products (``sku``...): the value flatten_product puts 2nd
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

    def _key(self, doc: Mapping[str, Any]) -> str:
        return to_json(list(self.resource.key_of(dict(doc))))

    def _track(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not self.track:
            return
        for row in rows:
            for name, value in row.items():
                types = self.columns.setdefault(name, set())
                if value is not None:
                    types.add(_type_name(value))
            if self.resource.name == PRODUCTS.name:
                second = next(itertools.islice(row, 1, 2), None)
                if second is not None and second not in PRODUCT_PROPERTIES:
                    self.identifiers.add(second)

    def upsert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._track(rows)
        self.db.executemany(
            f"INSERT INTO {self.table}(k, body) VALUES (?, ?) "
            "ON CONFLICT(k) DO UPDATE SET body = excluded.body",
            [(self._key(row), orjson.dumps(row)) for row in rows],
        )

    def get(self, key: Key) -> Doc | None:
        found = self.db.execute(
            f"SELECT body FROM {self.table} WHERE k = ?", (to_json(list(key)),)
        ).fetchone()
        return None if found is None else dict(orjson.loads(found[0]))

    def remove(self, key: Key) -> None:
        self.db.execute(f"DELETE FROM {self.table} WHERE k = ?", (to_json(list(key)),))

    def __iter__(self) -> Iterator[Doc]:
        for (body,) in self.db.execute(f"SELECT body FROM {self.table} ORDER BY seq"):
            yield orjson.loads(body)


class _FileSink(Sink):
    """Shared lifecycle: lock, index, deletions, atomic finalisation with the state file."""

    flat = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = str(path)
        self.context = SinkContext(resources=())
        self._work: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._workdb: _WorkDb | None = None
        self._resumed: dict[str, Any] | None = None
        """The state of the checkpoint this run took the index up from."""
        self._indexes: dict[str, _Index] = {}
        self._deletions: list[Doc] = []
        self._lock: _atomic.DirLock | None = None
        self._dirty = False

    # -- what subclasses decide -------------------------------------------------------------
    @property
    def directory(self) -> Path:
        raise NotImplementedError

    @property
    def state_path(self) -> Path:
        raise NotImplementedError

    def output(self, resource: Resource) -> Path | None:
        """The file of ``resource``, None for a resource this sink does not store."""
        raise NotImplementedError

    def write_output(self, resource: Resource, index: _Index, target: Path) -> None:
        raise NotImplementedError

    def read_output(self, resource: Resource, path: Path) -> Iterator[Doc]:
        raise NotImplementedError

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self, context: SinkContext) -> None:
        self.context = context
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = _atomic.DirLock(self.directory / self._lock_name())
        self._lock.acquire()
        try:
            self._work = self.directory / self._work_name()
            self._open_work(context)
        except BaseException:
            self._cleanup(keep_work=True)  # a checkpoint there is for a run that can open
            raise

    def _open_work(self, context: SinkContext) -> None:
        """Take up the work directory a killed run checkpointed, or start an empty one."""
        assert self._work is not None
        if self._work.exists():
            work, last = _WorkDb.take(self._work / "index.sqlite", self._kind())
            if work is not None and last is not None:
                self._workdb, self._db = work, work.db
                self._resumed, self._deletions = last
                for resource in context.resources:
                    if table_exists(work.db, f"r_{resource.name}"):
                        self._index(resource)
                return
            if work is not None:
                work.db.close()
            shutil.rmtree(self._work)
        self._work.mkdir()
        self._workdb = _WorkDb(self._work / "index.sqlite", self._kind())
        self._db = self._workdb.db

    def _work_name(self) -> str:
        return WORK_DIR

    def _kind(self) -> str:
        raise NotImplementedError

    def _lock_name(self) -> str:
        return LOCK_FILE

    def _index(self, resource: Resource) -> _Index:
        index = self._indexes.get(resource.name)
        if index is None:
            if self._db is None:
                raise RuntimeError(f"{type(self).__name__}.open() was not called")
            index = self._indexes[resource.name] = _Index(self._db, resource, track=self.flat)
            previous = self.output(resource)
            if not index.resumed and previous is not None and previous.exists():
                # Start from the last complete output: a sync upserts into it.
                batch: list[Doc] = []
                for row in self.read_output(resource, previous):
                    batch.append(row)
                    if len(batch) >= _BATCH:
                        index.upsert(batch)
                        batch = []
                index.upsert(batch)
        return index

    def write(self, resource: Resource, docs: Sequence[Doc]) -> None:
        if self.output(resource) is None or not docs:
            return
        attributes = self.context.attributes
        rows = [flat_row(resource, d, attributes) if self.flat else d for d in docs]
        self._index(resource).upsert(rows)
        self._dirty = True

    def delete(self, resource: Resource, keys: Sequence[Key], *, soft: bool = True) -> None:
        if self.output(resource) is None or not keys:
            return
        index = self._index(resource)
        at = _now()
        for key in keys:
            self._deletions.append(
                {"resource": resource.name, "key": list(key), "deleted_at": at, "soft": soft}
            )
            if not soft:
                index.remove(tuple(key))
                continue
            doc = index.get(tuple(key))
            if doc is not None:
                doc["deleted_at"] = at
                index.upsert([doc])
        self._dirty = True

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        """Commit the index with ``state``; the outputs are left as they are."""
        if self._workdb is None:
            raise RuntimeError(f"{type(self).__name__}.open() was not called")
        self._workdb.save(state, self._deletions)
        self._resumed = dict(state)

    def commit(self, state: Mapping[str, Any] | None = None) -> None:
        if self._db is None:
            raise RuntimeError(f"{type(self).__name__}.open() was not called")
        staged: list[tuple[Path, Path]] = []
        try:
            for index in self._indexes.values():
                target = self.output(index.resource)
                assert target is not None  # only stored resources get an index
                tmp = _atomic.temp_path(target)
                staged.append((tmp, target))
                self.write_output(index.resource, index, tmp)
                _atomic.fsync_file(tmp)
            if self._deletions:
                target = self.directory / self._deletions_name()
                tmp = _atomic.temp_path(target)
                staged.append((tmp, target))
                with open(tmp, "wb") as out:
                    if target.exists():
                        with open(target, "rb") as old:
                            shutil.copyfileobj(old, out)
                    for entry in self._deletions:
                        out.write(orjson.dumps(entry) + b"\n")
                _atomic.fsync_file(tmp)
        except BaseException:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise
        for tmp, target in staged:  # data first ...
            os.replace(tmp, target)
        self._deletions = []
        if state is not None:  # ... the state that covers it last
            _atomic.write_atomic(self.state_path, orjson.dumps(dict(state), default=str))
        _atomic.fsync_dir(self.directory)
        if self._workdb is not None and self._resumed is not None:
            self._workdb.clear()  # the outputs are ahead of the checkpoint now
            self._resumed = None
        self._dirty = False

    def _deletions_name(self) -> str:
        return DELETIONS_FILE

    def close(self, ok: bool) -> None:
        try:
            if ok and self._db is not None and self._dirty:
                self.commit(None)
        finally:
            # A failed run that checkpointed keeps its work for the next run to resume.
            self._cleanup(keep_work=not ok and self._resumed is not None)

    def _cleanup(self, keep_work: bool = False) -> None:
        if self._db is not None:
            self._db.close()  # what followed the last checkpoint is rolled back
            self._db = self._workdb = None
        if self._work is not None:
            if not keep_work:
                shutil.rmtree(self._work, ignore_errors=True)
            self._work = None
        self._resumed = None
        self._indexes = {}
        self._deletions = []
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def read_state(self) -> dict[str, Any] | None:
        if self._resumed is not None:  # newer than the state file, which the outputs match
            return dict(self._resumed)
        work = self.directory / self._work_name() / "index.sqlite"
        if self._work is None and work.exists():  # not open (``akeneo-sync state``)
            peek, last = _WorkDb.take(work, self._kind())
            if peek is not None:
                peek.db.close()
            if last is not None:
                return last[0]
        if not self.state_path.exists():
            return None
        state = orjson.loads(self.state_path.read_bytes())
        return dict(state) if isinstance(state, dict) else None

    def read(self, resource: Resource) -> Iterator[Doc]:
        path = self.output(resource)
        if path is not None and path.exists():
            yield from self.read_output(resource, path)


def _iter_jsonl(path: Path) -> Iterator[Doc]:
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


def _iter_json_array(path: Path) -> Iterator[Doc]:
    """Rows of a JSON array; ours have one row per line, so they stream."""
    done = 0
    with open(path, "rb") as handle:
        if handle.readline().strip() in (b"[", b"[]"):
            try:
                for line in handle:
                    line = line.strip().rstrip(b",")
                    if line not in (b"", b"]"):
                        row = orjson.loads(line)
                        yield row
                        done += 1
                return
            except orjson.JSONDecodeError:
                pass  # someone else's layout: read it whole, past the rows already yielded
    yield from orjson.loads(path.read_bytes())[done:]


class JsonSink(_FileSink):
    """``catalog.json``: one JSON array of flat product rows; other resources are ignored."""

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def state_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.state.json")

    def _lock_name(self) -> str:
        return f".{self.path.name}.lock"

    def _work_name(self) -> str:
        return f".{self.path.name}.akeneo-sync-work"

    def _kind(self) -> str:
        return "json"

    def _deletions_name(self) -> str:
        return f"{self.path.stem}.deletions.jsonl"

    def output(self, resource: Resource) -> Path | None:
        return self.path if resource.name == PRODUCTS.name else None

    def write_output(self, resource: Resource, index: _Index, target: Path) -> None:
        with open(target, "wb") as out:
            out.write(b"[")
            sep = b"\n"
            for row in index:
                out.write(sep + orjson.dumps(row))
                sep = b",\n"
            out.write(b"\n]\n")

    def read_output(self, resource: Resource, path: Path) -> Iterator[Doc]:
        return _iter_json_array(path)


class DirectorySink(_FileSink):
    """A directory with one ``<resource>.<format>`` file per resource."""

    def __init__(self, path: str | Path, format: str = "jsonl") -> None:
        if format not in FORMATS:
            raise ConfigError(f"unknown file format {format!r}; choose one of {', '.join(FORMATS)}")
        super().__init__(path)
        self.format: Format = format
        self.flat = format != "jsonl"
        if format == "parquet":
            _pyarrow()  # fail at once, not after an hour of downloading

    @property
    def directory(self) -> Path:
        return self.path

    def _kind(self) -> str:
        return self.format

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    def output(self, resource: Resource) -> Path | None:
        return self.path / f"{resource.name}.{self.format}"

    def header(self, resource: Resource, index: _Index) -> list[str]:
        """Properties (key and typed columns) first, then every other column seen, sorted."""
        seen = index.columns
        lead = [c for c in _leading_columns(resource) if c in seen]
        if resource.name == PRODUCTS.name:
            # The identifier column (``sku``...) sits right after uuid, as flatten_product puts it.
            idents = [c for c in seen if c not in lead and _is_identifier(resource, index, c)]
            lead[1:1] = idents
        rest = sorted(c for c in seen if c not in lead)
        return lead + rest

    def write_output(self, resource: Resource, index: _Index, target: Path) -> None:
        if self.format == "jsonl":
            with open(target, "wb") as out:
                for doc in index:
                    out.write(orjson.dumps(doc) + b"\n")
        elif self.format == "csv":
            _write_csv(target, self.header(resource, index), index)
        else:
            _write_parquet(target, self.header(resource, index), index)

    def read_output(self, resource: Resource, path: Path) -> Iterator[Doc]:
        if self.format == "jsonl":
            return _iter_jsonl(path)
        if self.format == "csv":
            return _iter_csv(path)
        return _iter_parquet(path)


def _is_identifier(resource: Resource, index: _Index, column: str) -> bool:
    # Set by flatten_product: the only value column placed among the properties.
    return column in index.identifiers


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_csv(target: Path, header: list[str], rows: Iterator[Doc] | _Index) -> None:
    # utf-8-sig: the BOM is what makes spreadsheets read UTF-8; pandas and DuckDB skip it.
    with open(target, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in header])


def _iter_csv(path: Path) -> Iterator[Doc]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {k: (v if v != "" else None) for k, v in row.items()}


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MissingDependencyError("pyarrow", "parquet") from None
    return pyarrow


def _arrow_type(pa: Any, types: set[str]) -> Any:
    if types == {"bool"}:
        return pa.bool_()
    if types == {"int"}:
        return pa.int64()
    if types and types <= {"int", "float"}:
        return pa.float64()
    return pa.string()


def _arrow_cell(value: Any, kind: str) -> Any:
    if value is None or kind != "string" or isinstance(value, str):
        return value
    return _csv_cell(value) if isinstance(value, bool) else str(value)


def _write_parquet(target: Path, header: list[str], index: _Index) -> None:
    pa = _pyarrow()
    schema = pa.schema([(c, _arrow_type(pa, index.columns.get(c, set()))) for c in header])
    kinds = {f.name: "string" if f.type == pa.string() else "typed" for f in schema}
    with pa.parquet.ParquetWriter(str(target), schema) as writer:
        batch: list[Doc] = []

        def flush() -> None:
            columns = {c: [_arrow_cell(r.get(c), kinds[c]) for r in batch] for c in header}
            writer.write_table(pa.table(columns, schema=schema))

        for row in index:
            batch.append(row)
            if len(batch) >= _BATCH:
                flush()
                batch = []
        if batch:
            flush()


def _iter_parquet(path: Path) -> Iterator[Doc]:
    pa = _pyarrow()
    parquet_file = pa.parquet.ParquetFile(str(path))
    for batch in parquet_file.iter_batches(batch_size=_BATCH):
        yield from batch.to_pylist()
