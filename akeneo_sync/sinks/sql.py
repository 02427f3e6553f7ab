"""SqlSink: one implementation over SQLAlchemy Core for SQLite, PostgreSQL and MySQL/MariaDB.

Transactions: ``open`` creates the schema and takes the lock, each in its own short committed
transaction; from then on everything ``write`` and ``delete`` do is in one transaction that
``commit(state)`` ends after writing the state row, so data and the state that describes it become
durable together. ``close(ok=False)`` rolls back what was not committed.

Upserts are the dialect's own (``ON CONFLICT DO UPDATE`` / ``ON DUPLICATE KEY UPDATE``), sent with
executemany. Its shape is ``values``: products come with their ``product_values`` rows, shaped by
the runner (``transform.shapes``); a product's rows are replaced as a whole (``_sqlvalues``).
Asked to leave the long table out (``SinkContext.values_table``), its shape is ``document``, it
drops the table if there is one, and remembers that in ``_akeneo_sync_meta``: later runs that do
not say go on without it, and one that asks for the table again is a full one (``read_state``
gives nothing) and fills it.

The lock is a row in ``_akeneo_sync_lock`` rather than an advisory lock, because it works the same
on all three databases and can say who holds it. A lock left by a process that died is taken over
when that process ran on this host (its pid is gone); one from another host is only reported,
with the statement that removes it, since we cannot tell whether that run is still alive.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Select, Table, delete, inspect, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateSchema
from sqlalchemy.sql import ClauseElement, Insert
from sqlalchemy.sql.expression import bindparam

from akeneo_sync.errors import SinkError
from akeneo_sync.resources import PRODUCTS, VALUE_ROW_COLUMNS, Resource, Shape
from akeneo_sync.sinks import _runlog, _sqllock, mask_url
from akeneo_sync.sinks._sqlbulk import Prepared, tsv_file, upsert
from akeneo_sync.sinks._sqlengine import dbapi_error, engine_url, make_engine
from akeneo_sync.sinks._sqlschema import SCHEMA_VERSION, shared_layout
from akeneo_sync.sinks._sqlvalues import IN_CHUNK, ValuesTable
from akeneo_sync.sinks._sqlwriter import BackgroundWriter
from akeneo_sync.sinks.base import KEEP_RUNS, Doc, Key, Sink, SinkContext, ValueRow

log = logging.getLogger("akeneo_sync")

# ``_akeneo_sync_meta`` names: the schema version, and whether products have their rows.
_VERSION = "schema_version"
_VALUES = "values_table"
EARLY_INDEX_WINDOW = 5.0
"""Seconds of products over which the database's spare time is judged (``_index_early``)."""


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _now() -> datetime:
    return datetime.now(UTC)


class SqlSink(Sink):
    """Tables per resource plus ``product_values``; see docs/destinations.md."""

    shape: Shape = "values"

    def __init__(self, url: str, *, table_prefix: str = "") -> None:
        self.url = mask_url(url)
        self._engine_url, self.schema = engine_url(url)
        self.dialect = self._engine_url.get_backend_name()
        self.layout = shared_layout(table_prefix, self.schema)
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._owner: dict[str, Any] | None = None
        self._statements: dict[str, Prepared] = {}
        self._writer: BackgroundWriter | None = None
        self._dbapi_error: type[Exception] = dbapi_error(self.dialect)
        self.values = ValuesTable(self.layout, self.dialect, self._dbapi_error)
        assert tuple(self.values.columns) == VALUE_ROW_COLUMNS  # rows are built in that order
        self._with_values = True
        self._values_flag: str | None = None  # to record with the next state
        self._refill = False  # products stored without rows: a full run must fill the table
        self._window: tuple[float, float] | None = None  # since, writer's idle: _index_early

    # -- lifecycle -------------------------------------------------------------------------

    def open(self, context: SinkContext) -> None:
        database = self._engine_url.database
        if self.dialect == "sqlite" and database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = self._get_engine()
        try:
            if self.schema:
                with engine.begin() as conn:
                    conn.execute(CreateSchema(self.schema, if_not_exists=True))
            self.layout.metadata.create_all(engine, tables=[self.layout.lock])
            self._acquire_lock(engine)
        except SQLAlchemyError as exc:
            raise SinkError(f"cannot open {self.url}: {exc}") from exc
        try:
            products = any(r.name == PRODUCTS.name for r in context.resources)
            tables = [self.layout.table(r) for r in context.resources]
            tables += [self.layout.state, self.layout.meta]
            self.layout.metadata.create_all(engine, tables=tables)
            recorded = self._check_meta(engine)
            wanted = context.values_table
            if wanted is None:  # as the destination has it
                wanted = recorded != "0"
            self._with_values = products and wanted
            self.shape = "values" if self._with_values else "document"
            if self._with_values:
                self._refill = recorded == "0"
                if recorded != "1":
                    self._values_flag = "1"
                self.layout.metadata.create_all(engine, tables=[self.layout.values])
                self.values.prepare(engine)
            elif products:
                self.values.drop(engine)
                self._set_meta(engine, _VALUES, "0")
            self._conn = engine.connect()
        except BaseException:
            self._release_lock(engine)
            raise

    def write(
        self, resource: Resource, rows: Sequence[Doc], values: Sequence[ValueRow] | None = None
    ) -> None:
        if not rows:
            return
        if resource.name == PRODUCTS.name and values is None and self._with_values:
            raise ValueError(
                "products come with their product_values rows: shape them with "
                "transform.shapes.shape_rows(sink.shape, ...)"
            )
        conn = self._connection()
        by_key = {self._key(resource, d): d for d in rows}  # last one wins, as in any upsert
        # Parameters are built here, stored by the writer thread while the caller shapes the
        # next batch; the job holds them, not the documents (memory).
        upsert = self._prepared(resource.name, lambda: self._upsert(resource))
        params = self._params(resource, upsert.names, list(by_key.values()))
        if resource.name != PRODUCTS.name or not self._with_values:
            values = None
        uuids = [k[0] for k in by_key]
        load_file = tsv_file(values) if values and self.values.uses_load_file else None
        products = self.layout.table(resource)
        what = f"{self.url}: writing {len(params)} {resource.name} failed"

        def store() -> None:
            try:
                if values is not None:  # first: it asks which products were stored before
                    self.values.replace(conn, products, uuids, values, load_file)
                upsert.executemany(conn, params)
            except SQLAlchemyError as exc:
                raise SinkError(f"{what}: {exc}") from exc
            except self._dbapi_error as exc:
                raise SinkError(f"{what}: {exc}") from exc
            finally:
                if load_file:
                    os.unlink(load_file)

        writer = self._writer_thread()
        if values is not None and self.values.can_build:
            self._index_early(conn, writer)
        writer.submit(store)

    def _index_early(self, conn: Connection, writer: BackgroundWriter) -> None:
        """The ``product_values`` indexes built now, if the database server waited for rows
        half the time over the last ``EARLY_INDEX_WINDOW`` seconds of products (``_sqlvalues``:
        PostgreSQL only)."""
        now = time.perf_counter()
        if self._window is None:
            self._window = (now, writer.idle)
            return
        since, idle = self._window
        if now - since < EARLY_INDEX_WINDOW:
            return
        self._window = (now, writer.idle)
        spare = (writer.idle - idle) / (now - since)
        if spare >= 0.5:
            log.debug("product_values indexes built now: the database waited %.0f%%", spare * 100)
            writer.submit(functools.partial(self.values.build, conn))

    def delete(self, resource: Resource, keys: Sequence[Key], *, soft: bool = True) -> None:
        if not keys:
            return
        conn = self._connection()
        self._wait()
        table = self.layout.table(resource)
        key_cols = [table.c[k] for k in resource.key]
        params = [{f"k_{i}": v for i, v in enumerate(key)} for key in keys]
        where = [col == bindparam(f"k_{i}") for i, col in enumerate(key_cols)]
        try:
            if soft:
                stamp = self._datetime(_now().isoformat())
                stmt = sql_update(table).where(*where).values(deleted_at=stamp)
                conn.execute(stmt, params)
            else:
                conn.execute(delete(table).where(*where), params)
                if resource.name == PRODUCTS.name and self._with_values:
                    self.values.remove(conn, [k[0] for k in keys])
        except SQLAlchemyError as exc:
            raise SinkError(
                f"{self.url}: deleting {len(keys)} {resource.name} failed: {exc}"
            ) from exc

    def commit(self, state: Mapping[str, Any] | None = None) -> None:
        conn = self._connection()
        self._wait()
        now = _now()
        try:
            if state is not None:
                table = self.layout.state
                row = {
                    "id": 1,
                    "state": dict(state),
                    "committed_at": self._datetime(now.isoformat()),
                }
                conn.execute(upsert(self.dialect, table, ("id",)), [row])
                if self._values_flag is not None:  # products have their rows from this state on
                    self._write_meta(conn, _VALUES, self._values_flag)
                    self._values_flag = None
            if self._owner is not None:
                lock = self.layout.lock
                conn.execute(
                    sql_update(lock)
                    .where(lock.c.pid == self._owner["pid"], lock.c.host == self._owner["host"])
                    .values(heartbeat=now.isoformat(timespec="seconds"))
                )
            conn.commit()
        except SQLAlchemyError as exc:
            raise SinkError(f"{self.url}: commit failed: {exc}") from exc

    def close(self, ok: bool) -> None:
        engine = self._engine
        error = None
        if self._writer is not None:
            error = self._writer.drain()
            self._writer.stop()
            self._writer = None
        if self._conn is not None:
            try:
                if ok and error is None:
                    # Data written after the last commit(state) but kept: harmless, since the
                    # state it would need is older and a re-run rewrites the same rows.
                    self._conn.commit()
                else:
                    self._conn.rollback()
            finally:
                self._conn.close()
                self._conn = None
        if engine is not None:
            try:
                if self._with_values:
                    self.values.finish(engine)
            finally:
                self._release_lock(engine)
                engine.dispose()
            self._engine = None
        if ok and error is not None:
            raise error

    # -- reading ---------------------------------------------------------------------------

    def _rows(self, resource: Resource, query: Callable[[Table], Select[Any]]) -> Iterator[Any]:
        """Rows of ``query(table)`` for ``resource``'s table; none before it is created."""
        table = self.layout.table(resource)
        engine = self._get_engine()
        if not inspect(engine).has_table(table.name, schema=self.schema):
            return
        with engine.connect() as conn:
            yield from conn.execute(query(table))

    def read(self, resource: Resource) -> Iterator[Doc]:
        rows = self._rows(
            resource,
            lambda t: select(t.c.document, t.c.deleted_at).order_by(
                *(t.c[k] for k in resource.key)
            ),
        )
        return self._docs(rows)

    def get(self, resource: Resource, keys: Collection[Key]) -> Iterator[Doc]:
        if len(resource.key) != 1:
            yield from super().get(resource, keys)
            return
        wanted = [k[0] for k in keys]
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]

            def query(t: Table, chunk: list[Any] = chunk) -> Select[Any]:
                return select(t.c.document, t.c.deleted_at).where(t.c[resource.key[0]].in_(chunk))

            yield from self._docs(self._rows(resource, query))

    def _docs(self, rows: Iterable[Any]) -> Iterator[Doc]:
        for document, deleted_at in rows:
            doc = dict(document)
            if deleted_at is not None:
                doc["deleted_at"] = self._iso(deleted_at)
            yield doc

    def keys(self, resource: Resource) -> Iterator[Key]:
        """Only the key columns of rows not soft-deleted: no document is parsed."""
        rows = self._rows(
            resource,
            lambda t: select(*(t.c[k] for k in resource.key)).where(t.c.deleted_at.is_(None)),
        )
        for row in rows:
            yield tuple(row)

    def read_state(self) -> dict[str, Any] | None:
        if self._refill:
            return None  # the products stored so far have no product_values rows
        table = self.layout.state
        engine = self._get_engine()
        if not inspect(engine).has_table(table.name, schema=self.schema):
            return None
        with engine.connect() as conn:
            state = conn.execute(select(table.c.state).where(table.c.id == 1)).scalar()
        return dict(state) if state is not None else None

    # -- internals -------------------------------------------------------------------------

    def _get_engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self._engine_url, self.dialect)
        return self._engine

    def _writer_thread(self) -> BackgroundWriter:
        if self._writer is None:
            self._writer = BackgroundWriter(f"akeneo-sync-writer {self.url}")
        return self._writer

    def _wait(self) -> None:
        if self._writer is not None:
            self._writer.wait()

    def _connection(self) -> Connection:
        if self._conn is None:
            raise SinkError(f"{self.url} is not open: call open(context) first")
        return self._conn

    def _key(self, resource: Resource, doc: Doc) -> Key:
        try:
            return resource.key_of(doc)
        except KeyError as exc:
            raise SinkError(f"a {resource.name} document has no {exc.args[0]!r} key field") from exc

    def _params(
        self, resource: Resource, names: Sequence[str], docs: Sequence[Doc]
    ) -> list[tuple[Any, ...]]:
        """The upsert's parameters of each document, in the statement's order: its typed
        columns as the dialect stores them, the document as JSON text, no ``deleted_at``."""
        kinds = {c.name: c.type for c in resource.columns}
        dumps = orjson.dumps
        convert = self._datetime
        out = []
        for doc in docs:
            row: list[Any] = []
            for name in names:
                if name == "document":
                    row.append(dumps(doc).decode())
                    continue
                kind = kinds.get(name)
                value = doc.get(name) if kind is not None else None  # deleted_at
                if kind == "datetime":
                    value = convert(value)
                elif kind == "bool":
                    value = value if isinstance(value, bool) else None
                elif kind == "int":
                    ok = isinstance(value, int) and not isinstance(value, bool)
                    value = value if ok else None
                elif value is not None and not isinstance(value, str):
                    value = _dumps(value)
                row.append(value)
            out.append(tuple(row))
        return out

    def _datetime(self, value: Any) -> Any:
        """Akeneo's ISO text as the dialect stores it; unparsable text becomes NULL."""
        if not isinstance(value, str):
            return None
        if self.dialect == "sqlite":
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        if self.dialect == "mysql":
            return parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed

    def _iso(self, value: Any) -> str:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            return value.astimezone(UTC).isoformat()
        return str(value)

    def _upsert(self, resource: Resource) -> Insert:
        return upsert(self.dialect, self.layout.table(resource), resource.key)

    def _prepared(self, name: str, build: Callable[[], ClauseElement]) -> Prepared:
        found = self._statements.get(name)
        if found is None:
            found = self._statements[name] = Prepared(build(), self._get_engine().dialect)
        return found

    def _check_meta(self, engine: Engine) -> str | None:
        """Refuse a schema this release cannot write, migrate an older one; return what the
        destination recorded about ``product_values`` (None: nothing, a table in every run)."""
        meta = self.layout.meta
        with engine.begin() as conn:
            found = dict(conn.execute(select(meta.c.name, meta.c.value)).all())
            version = found.get(_VERSION)
            if version is None or int(version) == 1:
                # Version 2 may have no product_values (``_VALUES`` says so); version 1 always
                # had it: nothing to change but the number.
                self._write_meta(conn, _VERSION, str(SCHEMA_VERSION))
            elif int(version) != SCHEMA_VERSION:
                raise SinkError(
                    f"{self.url} has akeneo-sync schema version {version}, this release writes "
                    f"version {SCHEMA_VERSION}; use the matching akeneo-sync release or a new "
                    "destination (or --table-prefix)"
                )
        return found.get(_VALUES)

    def _set_meta(self, engine: Engine, name: str, value: str) -> None:
        with engine.begin() as conn:
            self._write_meta(conn, name, value)

    def _write_meta(self, conn: Connection, name: str, value: str) -> None:
        conn.execute(
            upsert(self.dialect, self.layout.meta, ("name",)), [{"name": name, "value": value}]
        )

    def _acquire_lock(self, engine: Engine) -> None:
        self._owner = _sqllock.acquire(engine, self.layout.lock, self.url)

    def _release_lock(self, engine: Engine) -> None:
        if self._owner is not None:
            owner, self._owner = self._owner, None
            _sqllock.release(engine, self.layout.lock, owner)

    # -- run history (``_runlog.py``) -------------------------------------------------------

    def record_run(self, entry: Mapping[str, Any]) -> None:
        # After close (a failed run's rollback) there is no engine: a short-lived one.
        engine, own = self._engine, self._engine is None
        if engine is None:
            engine = make_engine(self._engine_url, self.dialect)
        try:
            _runlog.sql_record(engine, self.layout, entry, KEEP_RUNS)
        except SQLAlchemyError as exc:
            raise SinkError(f"{self.url}: recording the run failed: {exc}") from exc
        finally:
            if own:
                engine.dispose()

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        try:
            return _runlog.sql_runs(self._get_engine(), self.layout, limit)
        except SQLAlchemyError as exc:
            raise SinkError(f"cannot read {self.url}: {exc}") from exc

    def exists(self) -> bool:
        """A SQLite file must be there (connecting would create it); a server's database is
        found by connecting, which creates nothing."""
        if self.dialect != "sqlite":
            return True
        database = self._engine_url.database
        return database not in (None, "", ":memory:") and Path(str(database)).is_file()
