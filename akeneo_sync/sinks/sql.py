"""SqlSink: one implementation over SQLAlchemy Core for SQLite, PostgreSQL and MySQL/MariaDB.

Transactions: ``open`` creates the schema and takes the lock, each in its own short committed
transaction; from then on everything ``write`` and ``delete`` do is in one transaction that
``commit(state)`` ends after writing the state row, so data and the state that describes it become
durable together. ``close(ok=False)`` rolls back what was not committed.

Upserts are the dialect's own (``ON CONFLICT DO UPDATE`` / ``ON DUPLICATE KEY UPDATE``), sent with
executemany; a product's ``product_values`` rows are deleted and inserted again as a whole.

The lock is a row in ``_akeneo_sync_lock`` rather than an advisory lock, because it works the same
on all three databases and can say who holds it. A lock left by a process that died is taken over
when that process ran on this host (its pid is gone); one from another host is only reported,
with the statement that removes it, since we cannot tell whether that run is still alive.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, inspect, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.schema import CreateSchema
from sqlalchemy.sql import ClauseElement, Insert
from sqlalchemy.sql.expression import bindparam

from akeneo_sync.errors import LockedError, SinkError
from akeneo_sync.resources import PRODUCTS, Resource
from akeneo_sync.sinks import mask_url
from akeneo_sync.sinks._sqlbulk import Prepared, pg_copy, upsert
from akeneo_sync.sinks._sqlschema import SCHEMA_VERSION, Layout
from akeneo_sync.sinks.base import Doc, Key, Sink, SinkContext
from akeneo_sync.transform.values import product_value_rows

_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}
_IN_CHUNK = 500  # keys per ``IN (...)``: far below every driver's parameter limit


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _engine_url(url: str) -> tuple[URL, str | None]:
    """SQLAlchemy URL with our driver, and the PostgreSQL ``?schema=`` option taken out."""
    parsed = make_url(url)
    backend = parsed.drivername.split("+")[0]
    if backend not in _DRIVERS:
        raise SinkError(f"SqlSink cannot write to {mask_url(url)}")
    schema = parsed.query.get("schema")
    parsed = parsed.set(drivername=_DRIVERS[backend]).difference_update_query(["schema"])
    if backend in ("mysql", "mariadb"):
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    if isinstance(schema, tuple):
        schema = schema[-1]
    return parsed, schema


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL: readers never block the writer; NORMAL is durable at each commit's WAL checkpoint
    # boundary and loses nothing on a process crash, only possibly the last commit on power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> datetime:
    return datetime.now(UTC)


class SqlSink(Sink):
    """Tables per resource plus ``product_values``; see docs/destinations.md."""

    def __init__(self, url: str, *, table_prefix: str = "") -> None:
        self.url = mask_url(url)
        self._engine_url, self.schema = _engine_url(url)
        self.dialect = self._engine_url.get_backend_name()
        self.layout = Layout(table_prefix, self.schema)
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._attributes: dict[str, Doc] = {}
        self._owner: dict[str, Any] | None = None
        self._statements: dict[str, Prepared] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def open(self, context: SinkContext) -> None:
        self._attributes = dict(context.attributes)
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
            tables = [self.layout.table(r) for r in context.resources]
            if any(r.name == PRODUCTS.name for r in context.resources):
                tables.append(self.layout.values)
            tables += [self.layout.state, self.layout.meta]
            self.layout.metadata.create_all(engine, tables=tables)
            self._check_version(engine)
            self._conn = engine.connect()
        except BaseException:
            self._release_lock(engine)
            raise

    def write(self, resource: Resource, docs: Sequence[Doc]) -> None:
        if not docs:
            return
        conn = self._connection()
        by_key = {self._key(resource, d): d for d in docs}  # last one wins, as in any upsert
        unique = list(by_key.values())
        if resource.name == "attributes":
            self._attributes.update((d["code"], d) for d in unique)
        try:
            upsert = self._prepared(resource.name, lambda: self._upsert(resource))
            upsert.executemany(conn, [self._row(resource, d) for d in unique])
            if resource.name == PRODUCTS.name:
                self._delete_values(conn, [k[0] for k in by_key])
                rows = [r for d in unique for r in product_value_rows(d, self._attributes)]
                self._insert_values(conn, rows)
        except SQLAlchemyError as exc:
            raise SinkError(
                f"{self.url}: writing {len(unique)} {resource.name} failed: {exc}"
            ) from exc

    def delete(self, resource: Resource, keys: Sequence[Key], *, soft: bool = True) -> None:
        if not keys:
            return
        conn = self._connection()
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
                if resource.name == PRODUCTS.name:
                    self._delete_values(conn, [k[0] for k in keys])
        except SQLAlchemyError as exc:
            raise SinkError(
                f"{self.url}: deleting {len(keys)} {resource.name} failed: {exc}"
            ) from exc

    def commit(self, state: Mapping[str, Any] | None = None) -> None:
        conn = self._connection()
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
        if self._conn is not None:
            try:
                if ok:
                    # Data written after the last commit(state) but kept: harmless, since the
                    # state it would need is older and a re-run rewrites the same rows.
                    self._conn.commit()
                else:
                    self._conn.rollback()
            finally:
                self._conn.close()
                self._conn = None
        if engine is not None:
            self._release_lock(engine)
            engine.dispose()
            self._engine = None

    # -- reading ---------------------------------------------------------------------------

    def read(self, resource: Resource) -> Iterator[Doc]:
        table = self.layout.table(resource)
        engine = self._get_engine()
        if not inspect(engine).has_table(table.name, schema=self.schema):
            return
        order = [table.c[k] for k in resource.key]
        with engine.connect() as conn:
            result = conn.execute(select(table.c.document, table.c.deleted_at).order_by(*order))
            for document, deleted_at in result:
                doc = dict(document)
                if deleted_at is not None:
                    doc["deleted_at"] = self._iso(deleted_at)
                yield doc

    def read_state(self) -> dict[str, Any] | None:
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
            engine = create_engine(
                self._engine_url, json_serializer=_dumps, json_deserializer=orjson.loads
            )
            if self.dialect == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            self._engine = engine
        return self._engine

    def _connection(self) -> Connection:
        if self._conn is None:
            raise SinkError(f"{self.url} is not open: call open(context) first")
        return self._conn

    def _key(self, resource: Resource, doc: Doc) -> Key:
        try:
            return resource.key_of(doc)
        except KeyError as exc:
            raise SinkError(f"a {resource.name} document has no {exc.args[0]!r} key field") from exc

    def _row(self, resource: Resource, doc: Doc) -> dict[str, Any]:
        row: dict[str, Any] = {"document": _dumps(doc), "deleted_at": None}
        for col in resource.columns:
            value = doc.get(col.name)
            if col.type == "datetime":
                value = self._datetime(value)
            elif col.type == "bool":
                value = value if isinstance(value, bool) else None
            elif col.type == "int":
                value = value if isinstance(value, int) and not isinstance(value, bool) else None
            elif value is not None and not isinstance(value, str):
                value = _dumps(value)
            row[col.name] = value
        return row

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

    def _insert_values(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        values = self.layout.values
        if self.dialect == "postgresql":
            names = [c.name for c in values.columns]
            pg_copy(conn, values, names, [tuple([r[n] for n in names]) for r in rows])
        else:
            self._prepared(values.name, lambda: insert(values)).executemany(conn, rows)

    def _delete_values(self, conn: Connection, uuids: Sequence[Any]) -> None:
        values = self.layout.values
        stmt = delete(values).where(values.c.uuid.in_(bindparam("uuids", expanding=True)))
        for start in range(0, len(uuids), _IN_CHUNK):
            conn.execute(stmt, {"uuids": list(uuids[start : start + _IN_CHUNK])})

    def _check_version(self, engine: Engine) -> None:
        meta = self.layout.meta
        with engine.begin() as conn:
            found = conn.execute(
                select(meta.c.value).where(meta.c.name == "schema_version")
            ).scalar()
            if found is None:
                conn.execute(
                    insert(meta), [{"name": "schema_version", "value": str(SCHEMA_VERSION)}]
                )
            elif int(found) != SCHEMA_VERSION:
                raise SinkError(
                    f"{self.url} has akeneo-sync schema version {found}, this release writes "
                    f"version {SCHEMA_VERSION}; use the matching akeneo-sync release or a new "
                    "destination (or --table-prefix)"
                )

    def _acquire_lock(self, engine: Engine) -> None:
        lock = self.layout.lock
        now = _now().isoformat(timespec="seconds")
        me = {
            "id": 1,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": now,
            "heartbeat": now,
        }
        for _ in range(3):
            # Read before inserting: on SQLite an insert would wait behind the holder's open
            # write transaction and fail with "database is locked" instead of saying who holds it.
            with engine.connect() as conn:
                held = conn.execute(select(lock)).mappings().first()
            if held is None:
                try:
                    with engine.begin() as conn:
                        conn.execute(insert(lock), [me])
                except IntegrityError:
                    continue  # another run got in between: read who
                self._owner = me
                return
            if held["host"] == me["host"] and not _pid_alive(held["pid"]):
                with engine.begin() as conn:  # a dead run of this host: take its lock over
                    conn.execute(
                        delete(lock).where(lock.c.pid == held["pid"], lock.c.since == held["since"])
                    )
                continue
            table = f"{self.schema}.{lock.name}" if self.schema else lock.name
            raise LockedError(
                f"{self.url} is locked by pid {held['pid']} on {held['host']} since "
                f"{held['since']} (last commit {held['heartbeat']}); if that run is dead, "
                f'remove the lock with: DELETE FROM "{table}"'
            )
        raise LockedError(f"{self.url}: could not take the lock, other runs keep taking it")

    def _release_lock(self, engine: Engine) -> None:
        if self._owner is None:
            return
        lock = self.layout.lock
        owner, self._owner = self._owner, None
        with engine.begin() as conn:
            conn.execute(
                delete(lock).where(
                    lock.c.pid == owner["pid"],
                    lock.c.host == owner["host"],
                    lock.c.since == owner["since"],
                )
            )
