"""File destinations: the lifecycle they share, and a directory of one file per resource (the
destinations that are one file, ``catalog.json`` and ``catalog.xlsx``, are in ``onefile.py``).

The lifecycle is here; how rows are written to a file and read back is the file format's
(``formats.py``). The sink's shape follows its format: a flat one is given Akeneo's flat rows
of products and models, and documents of the rest, which the format encodes (and ``read``
decodes back to documents). In a format people open in a spreadsheet (CSV, XLSX), text that a
spreadsheet would run as a formula gets a leading ``'`` on the way out, taken off on the way
back in (``_cells``), unless the sink was asked for raw cells.

Every write goes to an on-disk index (``_workindex.py``: SQLite, in a hidden work directory inside
the destination) keyed by the resource key, so a row written twice is stored once and memory does
not grow with the catalog. The index is seeded from the previous complete output the first time
a resource is touched, which makes an incremental sync an upsert into what is already there.
Finalisation (``commit`` or ``close(ok=True)``) writes each touched resource to a temp file beside
its output, then replaces outputs with ``os.replace`` and writes the state file last: a reader
sees the old complete files or the new ones, never a partial file, and the state never covers
data that is not on disk.

Checkpoints (``checkpoint(state)``, every few thousand products of a full run) commit the index
with the state, in one SQLite transaction, and leave the outputs alone. A run that dies keeps the
work directory; the next ``open`` takes the index up from its last checkpoint and ``read_state``
gives that checkpoint's state, so the runner resumes where it was. Finalisation removes it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from akeneo_sync.errors import ConfigError
from akeneo_sync.resources import Resource, Shape
from akeneo_sync.sinks import _atomic, _runlog
from akeneo_sync.sinks._cells import guard_row, unguard_row
from akeneo_sync.sinks._workindex import Index, WorkDb
from akeneo_sync.sinks.base import KEEP_RUNS, Doc, Key, Sink, SinkContext, ValueRow
from akeneo_sync.sinks.formats import FORMATS, FileFormat, StoredRows

STATE_FILE = ".akeneo-sync-state.json"
WORK_DIR = ".akeneo-sync-work"
DELETIONS_FILE = "deletions.jsonl"
LOCK_FILE = ".akeneo-sync.lock"
_BATCH = 5000


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _batches(rows: Iterable[Doc]) -> Iterator[list[Doc]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, _BATCH)):
        yield batch


class _Guarded:
    """Stored rows on their way to a spreadsheet: formulas neutralised (``_cells.guard``)."""

    def __init__(self, rows: StoredRows) -> None:
        self.rows = rows
        self.resource = rows.resource
        self.columns = rows.columns

    def header(self) -> list[str]:
        return self.rows.header()

    def __iter__(self) -> Iterator[Doc]:
        return map(guard_row, self.rows)

    def bodies(self) -> Iterator[bytes]:
        return map(orjson.dumps, self)


class FileSink(Sink):
    """Shared lifecycle: lock, index, deletions, atomic finalisation with the state file; how
    rows are written and read is its ``file_format``'s (``formats.py``)."""

    def __init__(
        self, path: str | Path, file_format: FileFormat, *, raw_cells: bool = False
    ) -> None:
        self.path = Path(path)
        self.url = str(path)
        self.file_format = file_format
        self.shape: Shape = "flat" if file_format.flat else "document"
        self.guarded = file_format.spreadsheet and not raw_cells
        """Text cells guarded against formulas (a spreadsheet format, no ``raw_cells``)."""
        self._work: Path | None = None
        self._db: sqlite3.Connection | None = None
        self._workdb: WorkDb | None = None
        self._resumed: dict[str, Any] | None = None
        """The state of the checkpoint this run took the index up from."""
        self._indexes: dict[str, Index] = {}
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

    def _work_name(self) -> str:
        return WORK_DIR

    def _lock_name(self) -> str:
        return LOCK_FILE

    def _deletions_name(self) -> str:
        return DELETIONS_FILE

    def _read_output(self, resource: Resource, path: Path) -> Iterator[Doc]:
        """The rows of ``resource`` in its output file ``path``, as the format stores them."""
        return self.file_format.read(path)

    def _seed(self, resource: Resource) -> Iterable[Doc]:
        """What a run upserts into: the previous complete output of ``resource``."""
        return self._stored(resource)

    def _outputs(self) -> dict[Path, list[Index]]:
        """Each file to write at finalisation, with the indexes it holds (one by default)."""
        out: dict[Path, list[Index]] = {}
        for index in self._indexes.values():
            target = self.output(index.resource)
            assert target is not None  # only stored resources get an index
            out.setdefault(target, []).append(index)
        return out

    def _write_output(self, target: Path, rows: list[StoredRows]) -> None:
        self.file_format.write(target, rows[0])

    def _stored(self, resource: Resource) -> Iterator[Doc]:
        """The rows of ``resource``'s output as they were before the guard (none without)."""
        path = self.output(resource)
        if path is None or not path.exists():
            return
        rows = self._read_output(resource, path)
        yield from map(unguard_row, rows) if self.guarded else rows

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self, context: SinkContext) -> None:
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
            work, last = WorkDb.take(self._work / "index.sqlite", self.file_format.name)
            if work is not None and last is not None:
                self._workdb, self._db = work, work.db
                self._resumed, self._deletions = last
                for resource in context.resources:
                    if work.has(resource):
                        self._index(resource)
                return
            if work is not None:
                work.db.close()
            shutil.rmtree(self._work)
        self._work.mkdir()
        self._workdb = WorkDb(self._work / "index.sqlite", self.file_format.name)
        self._db = self._workdb.db

    def _index(self, resource: Resource) -> Index:
        index = self._indexes.get(resource.name)
        if index is None:
            if self._db is None:
                raise RuntimeError(f"{type(self).__name__}.open() was not called")
            track = self.file_format.flat
            index = self._indexes[resource.name] = Index(self._db, resource, track=track)
            if not index.resumed:
                # Start from the last complete output, as stored: a sync upserts into it.
                for batch in _batches(self._seed(resource)):
                    index.upsert(batch)
        return index

    def write(
        self, resource: Resource, rows: Sequence[Doc], values: Sequence[ValueRow] | None = None
    ) -> None:
        if self.output(resource) is None or not rows:
            return
        encode = self.file_format.encode
        if encode is not None and resource.flat_properties is None:
            rows = [encode(doc) for doc in rows]  # a document, not a flat row
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
            for target, indexes in self._outputs().items():
                tmp = _atomic.temp_path(target)
                staged.append((tmp, target))
                rows: list[StoredRows] = list(indexes)
                self._write_output(tmp, [_Guarded(r) for r in rows] if self.guarded else rows)
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
        return self._checkpoint_state() or self._state_file()

    def _checkpoint_state(self) -> dict[str, Any] | None:
        """The state of the last checkpoint of a run that did not finish, if any: newer than
        the state file, which the outputs match."""
        if self._resumed is not None:
            return dict(self._resumed)
        work = self.directory / self._work_name() / "index.sqlite"
        if self._work is None and work.exists():  # not open (``akeneo-sync state``)
            peek, last = WorkDb.take(work, self.file_format.name)
            if peek is not None:
                peek.db.close()
            if last is not None:
                return last[0]
        return None

    def _state_file(self) -> dict[str, Any] | None:
        if not self.state_path.exists():
            return None
        state = orjson.loads(self.state_path.read_bytes())
        return dict(state) if isinstance(state, dict) else None

    def read(self, resource: Resource) -> Iterator[Doc]:
        """Products and models as stored (flat rows in a flat format), every other resource
        as documents (its stored rows decoded)."""
        decode = self.file_format.decode
        if decode is None or resource.flat_properties is not None:
            yield from self._stored(resource)
        else:
            for row in self._stored(resource):
                yield decode(resource, row)

    # -- run history (``_runlog.py``) -----------------------------------------------------------
    @property
    def runs_path(self) -> Path:
        """Beside the state file: ``.akeneo-sync-runs.jsonl``, ``<name>.runs.jsonl``."""
        name = self.state_path.name.removesuffix("state.json")
        return self.state_path.with_name(f"{name}runs.jsonl")

    def record_run(self, entry: Mapping[str, Any]) -> None:
        _runlog.file_record(self.runs_path, entry, KEEP_RUNS)

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        return _runlog.file_runs(self.runs_path, limit)

    def exists(self) -> bool:
        return self.path.exists() or self.state_path.exists()


class DirectorySink(FileSink):
    """A directory with one ``<resource>.<extension>`` file per resource, in one of
    ``FORMATS``; its shape is ``flat`` for a flat format, else ``document``."""

    def __init__(self, path: str | Path, format: str = "jsonl", *, raw_cells: bool = False) -> None:
        file_format = FORMATS.get(format)
        if file_format is None:
            raise ConfigError(f"unknown file format {format!r}; choose one of {', '.join(FORMATS)}")
        file_format.ensure()  # fail at once, not after an hour of downloading
        super().__init__(path, file_format, raw_cells=raw_cells)
        self.format = format

    @property
    def directory(self) -> Path:
        return self.path

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    def output(self, resource: Resource) -> Path | None:
        return self.path / f"{resource.name}{self.file_format.extension}"
