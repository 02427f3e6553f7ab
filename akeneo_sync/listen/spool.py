"""The spool: every accepted event, durable on local disk before the platform hears 200.

A SQLite file next to the destination (``default_path``), in WAL mode with ``synchronous=FULL``:
an insert that returned is on disk, through a ``kill -9`` or a power cut. The platform keeps
nothing once it has its 200 (no replay), so this file is the only copy of an acknowledged event
until the applier has committed what it names into the destination.

    events(seq, id UNIQUE, type, time, body, received_at, due, attempts, applied_at)

- ``id`` is the CloudEvent id: a delivery seen before (a retry, a duplicate) is acknowledged
  again and stored once. Applied events are kept ``keep`` long (a day by default, well past the
  platform's ~35 minutes of retries) so late duplicates are still recognised, then pruned.
- Requests that arrive together share one transaction and one fsync (``add`` batches them), so
  a burst costs one disk flush, not one each.
- ``limit`` bounds the events waiting to be applied; past it the receiver answers 429 and the
  platform slows down and retries, instead of the disk filling up while the destination is down.

Every call runs on one thread that owns the connection, off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from akeneo_sync.sinks import mask_url

T = TypeVar("T")
Outcome = Literal["added", "duplicate", "full"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    time TEXT,
    body BLOB NOT NULL,
    received_at REAL NOT NULL,
    due REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    applied_at REAL
);
CREATE INDEX IF NOT EXISTS events_pending ON events (due) WHERE applied_at IS NULL;
CREATE INDEX IF NOT EXISTS events_applied ON events (applied_at) WHERE applied_at IS NOT NULL;
"""


def default_path(destination: str) -> Path:
    """Beside a file destination, named after it (``catalog.db`` -> ``catalog.db.events``;
    a directory ``out/`` -> ``out.events``); for a database URL, in the current directory,
    named after its host and database."""
    scheme = urlsplit(destination).scheme.lower() if "://" in destination else ""
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy reads them.
        return Path(destination.split(":///", 1)[-1] + ".events")
    if not scheme:
        return Path(destination.rstrip("/\\") + ".events")
    parts = urlsplit(mask_url(destination))
    digest = hashlib.sha256(mask_url(destination).encode()).hexdigest()[:8]
    name = "-".join(p for p in (parts.hostname, parts.path.strip("/").replace("/", "_")) if p)
    return Path(f"akeneo-sync-{scheme}-{name or 'db'}-{digest}.events")


@dataclass
class Spooled:
    seq: int
    id: str
    type: str
    time: str | None
    body: bytes
    received_at: float
    attempts: int


class Spool:
    def __init__(self, path: str | Path, *, limit: int = 100_000, keep: float = 86_400.0) -> None:
        self.path = Path(path)
        self.limit = limit
        self.keep = keep
        self.pending = 0
        """Events received and not applied yet (kept in memory: asked on every request)."""
        self.arrived = asyncio.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._db: sqlite3.Connection | None = None
        self._incoming: list[tuple[tuple[Any, ...], asyncio.Future[Outcome]]] = []
        self._flushing = False
        self._flusher: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.pending = await self._call(self._open)

    def _open(self) -> int:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")  # durable before 200, power cut included
        db.execute("PRAGMA busy_timeout = 5000")
        db.executescript(SCHEMA)
        if os.name == "posix":
            os.chmod(self.path, 0o600)  # event bodies name catalog entities
        self._db = db
        return int(db.execute("SELECT count(*) FROM events WHERE applied_at IS NULL").fetchone()[0])

    async def close(self) -> None:
        if self._db is not None:
            await self._call(self._db.close)
            self._db = None
        self._pool.shutdown(wait=True)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    # -- the receiving side --------------------------------------------------------------------
    async def add(self, event_id: str, type_: str, time_: str | None, body: bytes) -> Outcome:
        """Store one event durably; returns once it is on disk (or known, or refused)."""
        if self.pending >= self.limit:
            return "full"
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._incoming.append(((event_id, type_, time_, body), future))
        if not self._flushing:
            self._flushing = True
            self._flusher = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        """Everything that arrived while the previous transaction was being written goes into
        the next one: one fsync for a burst."""
        try:
            while self._incoming:
                batch, self._incoming = self._incoming, []
                try:
                    outcomes = await self._call(self._insert, [row for row, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
                if "added" in outcomes:
                    self.arrived.set()
        finally:
            self._flushing = False

    def _insert(self, rows: list[tuple[str, str, str | None, bytes]]) -> list[Outcome]:
        now = time.time()
        outcomes: list[Outcome] = []
        with self._transaction() as db:
            for event_id, type_, time_, body in rows:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO events (id, type, time, body, received_at, due) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (event_id, type_, time_, body, now, now),
                )
                outcomes.append("added" if cursor.rowcount == 1 else "duplicate")
        self.pending += outcomes.count("added")
        return outcomes

    # -- the applying side ---------------------------------------------------------------------
    async def take(self, limit: int) -> list[Spooled]:
        """The oldest events due now, not applied yet (they stay pending until ``done``)."""
        return await self._call(self._take, limit, time.time())

    def _take(self, limit: int, now: float) -> list[Spooled]:
        rows = self._conn().execute(
            "SELECT seq, id, type, time, body, received_at, attempts FROM events "
            "WHERE applied_at IS NULL AND due <= ? ORDER BY seq LIMIT ?",
            (now, limit),
        )
        return [Spooled(*row) for row in rows]

    async def next_due(self) -> float | None:
        """When the earliest pending event falls due (epoch seconds), None when none waits."""
        return await self._call(self._next_due)

    def _next_due(self) -> float | None:
        row = self._conn().execute("SELECT min(due) FROM events WHERE applied_at IS NULL")
        value = row.fetchone()[0]
        return float(value) if value is not None else None

    async def done(self, ids: Iterable[str]) -> int:
        """Mark events applied (after the destination committed them); returns how many were
        still pending."""
        return await self._call(self._done, list(ids), time.time())

    def _done(self, ids: list[str], now: float) -> int:
        changed = 0
        with self._transaction() as db:
            for event_id in ids:
                cursor = db.execute(
                    "UPDATE events SET applied_at = ? WHERE id = ? AND applied_at IS NULL",
                    (now, event_id),
                )
                changed += cursor.rowcount
            db.execute("DELETE FROM events WHERE applied_at < ?", (now - self.keep,))
        self.pending -= changed
        return changed

    async def later(self, ids: Iterable[str], delay: float) -> None:
        """Ask again in ``delay`` seconds (a created product not in Akeneo's index yet)."""
        await self._call(self._later, list(ids), time.time() + delay)

    def _later(self, ids: list[str], due: float) -> None:
        with self._transaction() as db:
            db.executemany(
                "UPDATE events SET due = ?, attempts = attempts + 1 WHERE id = ?",
                [(due, event_id) for event_id in ids],
            )

    async def counts(self) -> dict[str, Any]:
        return await self._call(self._counts)

    def _counts(self) -> dict[str, Any]:
        pending, oldest = (
            self._conn()
            .execute("SELECT count(*), min(received_at) FROM events WHERE applied_at IS NULL")
            .fetchone()
        )
        return {"pending": int(pending), "oldest_pending_received_at": oldest}

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction, one fsync (the connection is in autocommit mode otherwise)."""
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the spool is not open")
        return self._db
