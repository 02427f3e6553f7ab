"""MongoSink: one collection per resource, plain operations every MongoDB server supports.

``_id`` is the resource key: the product's uuid or the code, and for a two-field key
(``reference_entity|code``, ``attribute|code``, ``family|code``, ``asset_family_code|code``) the
fields joined with ``|``, which Akeneo codes cannot contain (letters, digits and ``_`` only). The
document is stored as given, beside ``_id``; ``read`` gives it back without ``_id``.

Without transactions (a standalone server has none) the sink keeps data and state in order
instead: writes and deletes are buffered and sent at ``commit``, data first and the state after it,
so the state never runs ahead of the data it describes. ``close(ok=False)`` drops the buffer, so an
interrupted run leaves the last committed content. A run that writes more than ``max_buffer``
operations between two commits has them flushed early: the data is then ahead of the state, which
is harmless because every write is an idempotent upsert that a re-run repeats.

The lock is the unique ``_id: "lock"`` document of ``_akeneo_sync_lock``; the stale-lock rule is
``_lock``'s (a dead pid on this host is taken over, another host's lock is reported).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from akeneo_sync.errors import ConfigError, LockedError, SinkError
from akeneo_sync.resources import Resource, Shape
from akeneo_sync.sinks import _lock, _runlog, mask_url, require
from akeneo_sync.sinks.base import KEEP_RUNS, Doc, Key, Sink, SinkContext, ValueRow

STATE_COLLECTION = "_akeneo_sync_state"
LOCK_COLLECTION = "_akeneo_sync_lock"
INDEXED_FIELDS = ("identifier", "family", "parent", "root_parent", "updated")
_ID_SEPARATOR = "|"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def doc_id(resource: Resource, key: Key) -> Any:
    """The ``_id`` of a document of ``resource`` with ``key``."""
    if len(key) == 1:
        return key[0]
    return _ID_SEPARATOR.join(str(part) for part in key)


class MongoSink(Sink):
    """Collections per resource; see docs/destinations.md."""

    shape: Shape = "document"

    def __init__(self, url: str, *, table_prefix: str = "", max_buffer: int = 20_000) -> None:
        self._url = url
        self.url = mask_url(url)
        self.prefix = table_prefix
        self.max_buffer = max_buffer
        self.database = urlsplit(url).path.strip("/")
        if not self.database:
            raise ConfigError(f"{self.url} names no database: use mongodb://host:port/database")
        self._client: Any = None
        self._pending: list[tuple[str, list[Any]]] = []
        self._pending_count = 0
        self._owner: dict[str, Any] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def open(self, context: SinkContext) -> None:
        pymongo = require("pymongo", "mongo")
        db = self._db()
        try:
            self._acquire_lock(db)
            for resource in context.resources:
                coll = db[self.prefix + resource.name]
                for col in resource.columns:
                    if col.name in INDEXED_FIELDS and col.name not in resource.key:
                        coll.create_index(col.name)
        except pymongo.errors.PyMongoError as exc:
            self._release_lock()
            raise SinkError(f"cannot open {self.url}: {_reason(exc)}") from exc

    def write(
        self, resource: Resource, rows: Sequence[Doc], values: Sequence[ValueRow] | None = None
    ) -> None:
        if not rows:
            return
        from pymongo import ReplaceOne

        ops = []
        for doc in rows:
            try:
                key = resource.key_of(doc)
            except KeyError as exc:
                raise SinkError(f"a {resource.name} document has no {exc.args[0]!r} field") from exc
            _id = doc_id(resource, key)
            ops.append(ReplaceOne({"_id": _id}, {"_id": _id, **doc}, upsert=True))
        self._queue(resource.name, ops)

    def delete(self, resource: Resource, keys: Sequence[Key], *, soft: bool = True) -> None:
        if not keys:
            return
        from pymongo import DeleteMany, UpdateMany

        ids = [doc_id(resource, k) for k in keys]
        op = (
            UpdateMany({"_id": {"$in": ids}}, {"$set": {"deleted_at": _now()}})
            if soft
            else DeleteMany({"_id": {"$in": ids}})
        )
        self._queue(resource.name, [op])

    def commit(self, state: Mapping[str, Any] | None = None) -> None:
        pymongo = require("pymongo", "mongo")
        self._flush()
        db = self._db()
        try:
            if state is not None:
                # Journaled, so an acknowledged state survives a crash of the server.
                coll = db.get_collection(
                    self.prefix + STATE_COLLECTION,
                    write_concern=pymongo.WriteConcern(w=1, j=True),
                )
                coll.replace_one(
                    {"_id": "state"},
                    {"_id": "state", "state": dict(state), "committed_at": _now()},
                    upsert=True,
                )
            if self._owner is not None:
                db[self.prefix + LOCK_COLLECTION].update_one(
                    self._owner_filter(), {"$set": {"heartbeat": _now()}}
                )
        except pymongo.errors.PyMongoError as exc:
            raise SinkError(f"{self.url}: commit failed: {exc}") from exc

    def close(self, ok: bool) -> None:
        try:
            if ok:
                self._flush()
            else:
                self._pending, self._pending_count = [], 0
        finally:
            self._release_lock()
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- reading ---------------------------------------------------------------------------

    def read(self, resource: Resource) -> Iterator[Doc]:
        for doc in self._db()[self.prefix + resource.name].find({}, sort=[("_id", 1)]):
            doc.pop("_id", None)
            yield doc

    def get(self, resource: Resource, keys: Collection[Key]) -> Iterator[Doc]:
        ids = [doc_id(resource, key) for key in keys]
        for doc in self._db()[self.prefix + resource.name].find({"_id": {"$in": ids}}):
            doc.pop("_id", None)
            yield doc

    def read_state(self) -> dict[str, Any] | None:
        found = self._db()[self.prefix + STATE_COLLECTION].find_one({"_id": "state"})
        return dict(found["state"]) if found else None

    # -- internals -------------------------------------------------------------------------

    def _db(self) -> Any:
        if self._client is None:
            pymongo = require("pymongo", "mongo")
            self._client = pymongo.MongoClient(
                self._url,
                serverSelectionTimeoutMS=SELECT_TIMEOUT_MS,
                connectTimeoutMS=SELECT_TIMEOUT_MS,
            )
        return self._client[self.database]

    def _queue(self, name: str, ops: list[Any]) -> None:
        if self._pending and self._pending[-1][0] == name:
            self._pending[-1][1].extend(ops)
        else:
            self._pending.append((name, ops))
        self._pending_count += len(ops)
        if self._pending_count >= self.max_buffer:
            self._flush()

    def _flush(self) -> None:
        pymongo = require("pymongo", "mongo")
        pending, self._pending, self._pending_count = self._pending, [], 0
        db = self._db()
        # MongoDB's default, said outright: nx-27017 keeps a journaled write's (the state's)
        # fsync-per-document setting for later writes that do not name one.
        acknowledged = pymongo.WriteConcern(w=1)
        for name, ops in pending:
            coll = db.get_collection(self.prefix + name, write_concern=acknowledged)
            try:
                # ordered: a delete queued after a write of the same key must run after it
                coll.bulk_write(ops, ordered=True)
            except pymongo.errors.PyMongoError as exc:
                raise SinkError(f"{self.url}: writing {len(ops)} {name} failed: {exc}") from exc

    def _owner_filter(self) -> dict[str, Any]:
        assert self._owner is not None
        return {k: self._owner[k] for k in ("_id", "pid", "host", "since")}

    def _acquire_lock(self, db: Any) -> None:
        from pymongo.errors import DuplicateKeyError

        coll = db[self.prefix + LOCK_COLLECTION]
        me = {"_id": "lock", **_lock.me()}
        for _ in range(3):
            try:
                coll.insert_one(dict(me))
            except DuplicateKeyError:
                held = coll.find_one({"_id": "lock"})
                if held is None:
                    continue
                if _lock.is_stale(held):
                    coll.delete_one({k: held.get(k) for k in ("_id", "pid", "host", "since")})
                    continue
                remove = f'db.getCollection("{coll.name}").deleteOne({{_id: "lock"}})'
                raise _lock.locked(self.url, held, remove) from None
            self._owner = me
            return
        raise LockedError(f"{self.url}: could not take the lock, other runs keep taking it")

    def _release_lock(self) -> None:
        if self._owner is None or self._client is None:
            return
        flt = self._owner_filter()
        self._owner = None
        self._client[self.database][self.prefix + LOCK_COLLECTION].delete_one(flt)

    # -- run history (``_runlog.py``) -------------------------------------------------------

    def record_run(self, entry: Mapping[str, Any]) -> None:
        pymongo = require("pymongo", "mongo")
        own = self._client is None  # closed already (a failed run): a client of its own
        try:
            _runlog.mongo_record(self._db(), self.prefix, entry, KEEP_RUNS)
        except pymongo.errors.PyMongoError as exc:
            raise SinkError(f"{self.url}: recording the run failed: {_reason(exc)}") from exc
        finally:
            if own and self._client is not None:
                self._client.close()
                self._client = None

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        pymongo = require("pymongo", "mongo")
        try:
            return _runlog.mongo_runs(self._db(), self.prefix, limit)
        except pymongo.errors.PyMongoError as exc:
            raise SinkError(f"cannot read {self.url}: {_reason(exc)}") from exc

    def exists(self) -> bool:
        """A database with no collection is no destination (reading creates none)."""
        pymongo = require("pymongo", "mongo")
        try:
            return bool(self._db().list_collection_names())
        except pymongo.errors.PyMongoError as exc:
            raise SinkError(f"cannot read {self.url}: {_reason(exc)}") from exc


# An unreachable server fails in about this long, rather than pymongo's 30 s (or the 10 s
# before, whose retries made 11.7 s).
SELECT_TIMEOUT_MS = 5_000


def _reason(exc: Exception) -> str:
    """pymongo's server-selection error ends with its whole topology description (hundreds of
    characters of internals); its first clause is what happened."""
    text = str(exc)
    if type(exc).__name__ == "ServerSelectionTimeoutError":
        first = text.split(" (configured timeouts")[0].split(", Timeout:")[0]
        return (
            f"no MongoDB server answered within {SELECT_TIMEOUT_MS // 1000} s ({first}): "
            "check the host and port, and that the server runs"
        )
    return text
