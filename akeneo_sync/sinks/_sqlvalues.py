"""``product_values`` for SqlSink: a product's rows replaced as a whole, indexes built after a
first load, and the table left out on request (``SinkContext.values_table``).

Into an empty table (a first export) the rows go in without any index, and the indexes are built
sorted, several times faster than maintaining them row by row: on SQLite, where the database works
in the exporter's own process, the uuid index alone was a third of the time ``product_values``
took. They are built at ``finish`` (the sink's ``close``). On PostgreSQL they may be built earlier,
with ``build``, when the sink sees the server waiting for rows (an export that waits on Akeneo's
answers): a build over the first rows is short, the later rows cost the server time it had spare,
and none is left for after the last answer. Not on SQLite: there the rows indexed one by one made
the exporter's own process use 1.6x the CPU for the whole export, taking the cores its reads needed
(BENCHMARKS.md, section 8: 71.9 % of Akeneo's slots used at 100,000 products against 81.5 %
with the build at the end, on a 2-core machine). Without the uuid index a product's old rows
cannot be found, so a batch first asks the products table whether any of its products was stored
before; if one was (a product read twice in one run, or products stored without rows), the uuid
index is built at that moment and rows are deleted as usual from then on. MySQL keeps its uuid
index all along, and builds the others at ``finish`` only: its ``CREATE INDEX`` would commit the
open transaction, and with it data the state does not cover yet.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, inspect, select
from sqlalchemy.sql.expression import bindparam

from akeneo_sync.sinks._sqlbulk import Prepared, mysql_load, pg_copy
from akeneo_sync.sinks._sqlengine import load_refused
from akeneo_sync.sinks._sqlschema import Layout, index_name

IN_CHUNK = 500  # keys per ``IN (...)``: far below every driver's parameter limit
SORT_THREADS = min(os.cpu_count() or 1, 4) - 1
"""SQLite's helper threads for sorting an index build: 100,000 products' indexes took 12.0-12.5 s
with one on 2 cores, 14.0-15.2 s without (``BENCHMARKS.md``, section 9)."""


class ValuesTable:
    """The long table of one sink: ``prepare`` at open, ``replace``/``remove`` in the sink's
    transaction, ``finish`` at close."""

    def __init__(self, layout: Layout, dialect: str, dbapi_error: type[Exception]) -> None:
        self.layout = layout
        self.table: Table = layout.values
        self.dialect = dialect
        self.columns = [c.name for c in self.table.columns]
        self._dbapi_error = dbapi_error
        self._mysql_load = dialect == "mysql"
        self._deferred = False  # indexes to build at ``finish``
        self._unindexed = False  # no uuid index yet: every row is of a product this run wrote
        self._statements: dict[str, Prepared] = {}

    @property
    def uses_load_file(self) -> bool:
        return self._mysql_load

    def exists(self, engine: Engine) -> bool:
        return inspect(engine).has_table(self.table.name, schema=self.table.schema)

    def drop(self, engine: Engine) -> None:
        self.table.drop(engine, checkfirst=True)

    def prepare(self, engine: Engine) -> None:
        """Into an empty table, load first and index after; otherwise make sure every index is
        there, even if a run died before building them."""
        with engine.begin() as conn:
            self._drop_replaced(conn)
            empty = conn.execute(select(self.table.c.uuid).limit(1)).first() is None

        if not empty:
            self._create_indexes(engine)
            return
        with engine.begin() as conn:
            for index in self._deferrable():
                index.drop(conn, checkfirst=True)
        self._deferred = True
        self._unindexed = any(i.info.get("uuid") for i in self._deferrable())

    def finish(self, engine: Engine) -> None:
        if self._deferred:
            self._create_indexes(engine)

    @property
    def can_build(self) -> bool:
        """Whether indexes wait to be built and may be built before ``finish``: PostgreSQL, a
        server of its own whose ``CREATE INDEX`` stays in the transaction (``build``)."""
        return self._deferred and self.dialect == "postgresql"

    def build(self, conn: Connection) -> None:
        """Every index built now, in ``conn``'s transaction; rows are indexed as they come."""
        for index in self.table.indexes:
            index.create(conn, checkfirst=True)
        self._deferred = self._unindexed = False

    def replace(
        self,
        conn: Connection,
        products: Table,
        uuids: Sequence[Any],
        rows: Sequence[tuple[Any, ...]],
        load_file: str | None,
    ) -> None:
        """The rows of ``uuids`` become ``rows``; called before the products are upserted."""
        if self._unindexed and self._stored_before(conn, products, uuids):
            self._index_uuids(conn)
        if not self._unindexed:
            self.remove(conn, uuids)
        self._insert(conn, rows, load_file)

    def remove(self, conn: Connection, uuids: Sequence[Any]) -> None:
        if self._unindexed:
            self._index_uuids(conn)
        stmt = delete(self.table).where(self.table.c.uuid.in_(bindparam("uuids", expanding=True)))
        for start in range(0, len(uuids), IN_CHUNK):
            conn.execute(stmt, {"uuids": list(uuids[start : start + IN_CHUNK])})

    def _drop_replaced(self, conn: Connection) -> None:
        """Indexes of earlier releases that another one replaces: the ``(attribute,
        number_value)`` index over every row, where the database has partial indexes."""
        if self.dialect == "mysql":
            return
        quote = conn.dialect.identifier_preparer
        name = quote.quote(index_name(self.table.name, "attribute", "number_value"))
        if self.table.schema:
            name = f"{quote.quote_schema(self.table.schema)}.{name}"
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")

    def _deferrable(self) -> list[Any]:
        return [
            i
            for i in self.table.indexes
            if i.info.get("deferrable") and not (self.dialect == "mysql" and i.info.get("uuid"))
        ]

    def _stored_before(self, conn: Connection, products: Table, uuids: Sequence[Any]) -> bool:
        key = products.c.uuid
        stmt = select(key).where(key.in_(bindparam("uuids", expanding=True))).limit(1)
        for start in range(0, len(uuids), IN_CHUNK):
            if conn.execute(stmt, {"uuids": list(uuids[start : start + IN_CHUNK])}).first():
                return True
        return False

    def _index_uuids(self, conn: Connection) -> None:
        for index in self.table.indexes:
            if index.info.get("uuid"):
                index.create(conn, checkfirst=True)
        self._unindexed = False

    def _create_indexes(self, engine: Engine) -> None:
        with engine.begin() as conn:
            if self.dialect == "sqlite":  # sort on the other cores too: nothing else runs now
                conn.exec_driver_sql(f"PRAGMA threads = {SORT_THREADS}")
            try:
                self.build(conn)
            finally:
                if self.dialect == "sqlite":
                    conn.exec_driver_sql("PRAGMA threads = 0")

    def _insert(
        self, conn: Connection, rows: Sequence[tuple[Any, ...]], load_file: str | None
    ) -> None:
        if not rows:
            return
        if self.dialect == "postgresql":
            pg_copy(conn, self.table, self.columns, rows)
            return
        if load_file is not None:
            try:
                mysql_load(conn, self.table, self.columns, load_file)
                return
            except self._dbapi_error as exc:
                if not load_refused(exc):
                    raise
                self._mysql_load = False  # the server forbids LOCAL INFILE: INSERTs from now on
        prepared = self._statements.get("insert")
        if prepared is None:
            prepared = self._statements["insert"] = Prepared(insert(self.table), conn.dialect)
        prepared.executemany(conn, rows)
