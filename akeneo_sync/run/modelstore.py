"""Product models by code, kept on local disk so memory does not grow with the catalog.

Every variant product needs its parent models to be merged, so a run must be able to look any
model up; a catalog can hold hundreds of thousands of them. They live in a temporary SQLite file
(as orjson bytes) with a small LRU of decoded models in front, and one of merged chains
(``chain(code)``, what ``transform.merge_chain`` merges a variant onto): a parent has several
variants, so its chain is merged once rather than once per variant. Any write empties the chain
cache, since a chain depends on every model above it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import orjson

from akeneo_sync.sinks._sqlrows import ManyRows
from akeneo_sync.transform.variants import Chain, parent_chain

Doc = dict[str, Any]

_REPLACE = ManyRows("INSERT OR REPLACE INTO models VALUES (?, ?)")
_LOOKUPS = 500
"""Codes a query, at most (SQLite allows 999 parameters before 3.32)."""


class ModelStore(MutableMapping[str, Doc]):
    def __init__(self, cache_size: int = 1024) -> None:
        self._dir: str | None = None
        self._conn: sqlite3.Connection | None = None
        self._cache: OrderedDict[str, Doc] = OrderedDict()
        self._cache_size = cache_size
        self._chains: OrderedDict[str, Chain] = OrderedDict()

    @property
    def _db(self) -> sqlite3.Connection:
        """The file, made on first use: a session that needs no model (every batch of
        ``listen`` has one, and uses the applier's) costs no directory nor database."""
        if self._conn is None:
            self._dir = tempfile.mkdtemp(prefix="akeneo-sync-models-")
            path = os.path.join(self._dir, "models.db")
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA page_size = 16384")  # a model in one page, no overflow pages
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            # Its own private file: holding the lock for good spares each look-up taking and
            # checking it (a chain not in the cache is one; half the time of a look-up).
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute("CREATE TABLE models (code TEXT PRIMARY KEY, doc BLOB NOT NULL)")
            self._conn = db
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def update_many(self, models: Iterable[Doc]) -> None:
        rows = [(m["code"], orjson.dumps(m)) for m in models]
        _REPLACE.run(self._db, rows)
        for code, _ in rows:
            self._cache.pop(code, None)
        self._chains.clear()

    def __getitem__(self, code: str) -> Doc:
        doc = self._cache.get(code)
        if doc is not None:
            self._cache.move_to_end(code)
            return doc
        if self._conn is None:
            raise KeyError(code)
        row = self._db.execute("SELECT doc FROM models WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise KeyError(code)
        return self._keep(code, orjson.loads(row[0]))

    def _keep(self, code: str, doc: Doc) -> Doc:
        self._cache[code] = doc
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return doc

    def preload(self, parents: Iterable[str | None]) -> None:
        """Read the models of these parents' chains that are not cached, one query a level.

        A page's variants name up to a hundred parents; looked up one by one, each is a query
        that lets go of the GIL and waits to take it back behind the sink's threads."""
        if self._conn is None:
            return
        level = {code for code in parents if code and code not in self._chains}
        seen: set[str] = set()
        while level:
            seen |= level
            missing = [code for code in level if code not in self._cache]
            for at in range(0, len(missing), _LOOKUPS):
                codes = missing[at : at + _LOOKUPS]
                marks = ",".join("?" * len(codes))
                query = f"SELECT code, doc FROM models WHERE code IN ({marks})"
                for code, blob in self._db.execute(query, codes).fetchall():
                    self._keep(code, orjson.loads(blob))
            docs = (self._cache.get(code) for code in level)
            level = {d["parent"] for d in docs if d and d.get("parent")} - seen

    def chain(self, code: str) -> Chain:
        """The merged chain of parent model ``code`` (root first), as far as the store knows it."""
        chain = self._chains.get(code)
        if chain is not None:
            self._chains.move_to_end(code)
            return chain
        chain = self._chains[code] = Chain(parent_chain({"parent": code}, self))
        if len(self._chains) > self._cache_size:
            self._chains.popitem(last=False)
        return chain

    def __setitem__(self, code: str, doc: Doc) -> None:
        self.update_many([doc] if doc.get("code") == code else [{**doc, "code": code}])

    def __delitem__(self, code: str) -> None:
        self._cache.pop(code, None)
        self._chains.clear()
        if self._conn is None:
            return
        self._db.execute("DELETE FROM models WHERE code = ?", (code,))

    def __contains__(self, code: object) -> bool:
        if code in self._cache:
            return True
        if self._conn is None:
            return False
        found = self._db.execute("SELECT 1 FROM models WHERE code = ?", (code,)).fetchone()
        return found is not None

    def __iter__(self) -> Iterator[str]:
        if self._conn is None:
            return
        for (code,) in self._db.execute("SELECT code FROM models ORDER BY code").fetchall():
            yield code

    def __len__(self) -> int:
        if self._conn is None:
            return 0
        return int(self._db.execute("SELECT count(*) FROM models").fetchone()[0])

    def docs(self, batch: int = 1000) -> Iterator[list[Doc]]:
        """Every model, a batch at a time, without loading them all."""
        cursor = self._db.execute("SELECT doc FROM models ORDER BY code")
        while rows := cursor.fetchmany(batch):
            yield [orjson.loads(doc) for (doc,) in rows]


class ModelCache:
    """Product models read from Akeneo, kept across the batches of ``listen``'s applier.

    Every batch of product events needs the parent models of its variants; reading them again
    each batch was most of the requests the events cost. Instead a model read from Akeneo is
    trusted until a product-model event names it (``forget``: a model event is then read like
    any other, which refreshes the model, its sub models and its variants), until ``max_age``
    has passed since it was read (a bound on how long a lost model event can leave variants
    merged with an old parent), or until ``clear`` (the reconciling sync, the safety net, ran).
    Forgetting a model forgets the models below it too: a sub model's chain is its root's.

    Only models read in the last ``max_age`` are kept (in ``store``, on disk; their read times
    and parents here), so it is bounded by the rate of changes, not by the catalog.
    """

    def __init__(self, max_age: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = ModelStore()
        self.max_age = max_age
        self._clock = clock
        self._read: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        """code -> (when it was read, its parent), oldest read first."""

    def close(self) -> None:
        self.store.close()

    def __len__(self) -> int:
        return len(self._read)

    def fresh(self) -> set[str]:
        """The codes whose model in ``store`` is Akeneo's, as far as events tell."""
        horizon = self._clock() - self.max_age
        old = []
        for code, (at, _) in self._read.items():
            if at >= horizon:
                break
            old.append(code)
        if old:
            self.forget(old)
        return set(self._read)

    def remember(self, models: Mapping[str, str | None], at: float) -> None:
        """``models`` (code -> parent), read from Akeneo at ``at`` (a ``clock`` time taken
        before the requests) and written in ``store``."""
        for code, parent in models.items():
            self._read.pop(code, None)
            self._read[code] = (at, parent)

    def forget(self, codes: Iterable[str]) -> None:
        """These models and every cached model below them: read again when next needed."""
        gone = set(codes)
        while True:
            below = {c for c, (_, parent) in self._read.items() if parent in gone} - gone
            if not below:
                break
            gone |= below
        for code in gone:
            self._read.pop(code, None)
            del self.store[code]  # also one that a failed batch left behind

    def clear(self) -> None:
        self.forget(list(self._read))

    def now(self) -> float:
        return self._clock()
