"""The hot path of SqlSink: statements compiled once by SQLAlchemy, run with plain tuples.

SQLAlchemy Core builds and quotes every statement (identifiers are always quoted by its
preparer, so attribute codes and prefixes are data, never SQL); but its per-row parameter
processing costs more than the database itself for the ~50 ``product_values`` rows a product has.
So the compiled text goes straight to the DBAPI cursor's ``executemany`` with tuples in the
statement's parameter order, and PostgreSQL gets ``product_values`` through ``COPY``. Both run on
the SQLAlchemy connection's own DBAPI connection, inside its transaction.
SQLite gets its INSERTs many rows a statement (``_sqlrows``); PyMySQL's ``executemany`` does
that by itself.

Callers pass values the driver takes as is: JSON as text (orjson), datetimes as the dialect
stores them (see ``_sqlschema``), booleans, floats, ints, text and None.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Insert

from akeneo_sync.sinks._sqlrows import ManyRows

_PYFORMAT = re.compile(r"%\(([^)]+)\)s")


class Prepared:
    """One statement as SQL text plus the names of its parameters, in order."""

    def __init__(self, stmt: ClauseElement, dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        sql = str(compiled)
        if dialect.paramstyle in ("pyformat", "format"):
            # ``%(name)s`` -> ``%s`` so rows can be tuples (pymysql and psycopg take both).
            self.names = [m.group(1) for m in _PYFORMAT.finditer(sql)]
            sql = _PYFORMAT.sub("%s", sql)
        elif getattr(compiled, "positiontup", None) is not None:
            self.names = list(compiled.positiontup)  # type: ignore[attr-defined]
        else:  # pragma: no cover - every dialect we support is positional or pyformat
            raise ValueError(f"unsupported paramstyle {dialect.paramstyle}")
        self.sql = sql
        sqlite = dialect.name == "sqlite" and isinstance(stmt, Insert)
        self._rows = ManyRows(sql) if sqlite else None

    def params(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        names = self.names
        return [tuple([row[n] for n in names]) for row in rows]

    def executemany(self, conn: Connection, params: Sequence[tuple[Any, ...]]) -> None:
        if not params:
            return
        cursor = dbapi_cursor(conn)
        try:
            if self._rows is None:
                cursor.executemany(self.sql, params)
            else:
                self._rows.run(cursor, params)
        finally:
            cursor.close()


def dbapi_cursor(conn: Connection) -> Any:
    """A cursor of ``conn``'s DBAPI connection, in ``conn``'s transaction (begun if need be)."""
    if not conn.in_transaction():
        conn.begin()
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def pg_copy(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """``COPY table (columns) FROM STDIN`` of ``rows`` (tuples in ``columns`` order)."""
    if not rows:
        return
    preparer = conn.dialect.identifier_preparer
    target = preparer.format_table(table)
    cols = ", ".join(preparer.quote(c) for c in columns)
    cursor = dbapi_cursor(conn)
    try:
        with cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def upsert(dialect: str, table: Table, key: Sequence[str]) -> Insert:
    """INSERT that updates every non-key column of an existing row (and clears deleted_at)."""
    others = [c.name for c in table.columns if c.name not in key]
    if dialect == "mysql":
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        mstmt = mysql_insert(table)
        return mstmt.on_duplicate_key_update({c: mstmt.inserted[c] for c in others})
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pstmt = pg_insert(table)
        set_ = {c: pstmt.excluded[c] for c in others}
        return pstmt.on_conflict_do_update(index_elements=list(key), set_=set_)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    sstmt = sqlite_insert(table)
    set_ = {c: sstmt.excluded[c] for c in others}
    return sstmt.on_conflict_do_update(index_elements=list(key), set_=set_)


# LOAD DATA's default escapes (FIELDS ESCAPED BY '\\'): these characters, and \N for NULL.
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _tsv_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_TSV_ESCAPES)
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


def tsv_file(rows: Sequence[tuple[Any, ...]]) -> str:
    """Write ``rows`` as LOAD DATA text to a temporary file; the caller removes it.

    Most rows hold no tab, newline or backslash, so a row is joined first and escaped field by
    field only when the joined line shows one of those: half the time of escaping every field."""
    fd, path = tempfile.mkstemp(prefix="akeneo-sync-", suffix=".tsv")
    null = "\\N"
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
        lines = []
        for row in rows:
            fields = [
                v if v.__class__ is str else null if v is None else _tsv_field(v) for v in row
            ]
            line = "\t".join(fields)
            # Each NULL brings one backslash (\\N); any other, a newline or a tab is in the data.
            if (
                line.count("\\") != row.count(None)
                or "\n" in line
                or line.count("\t") != len(fields) - 1
            ):
                line = "\t".join([_tsv_field(v) for v in row])
            lines.append(line)
        out.write("\n".join(lines))
        out.write("\n")
    return path


def mysql_load(conn: Connection, table: Table, columns: Sequence[str], path: str) -> None:
    """``LOAD DATA LOCAL INFILE``: several times faster than multi-row INSERTs through pymysql,
    whose pure-Python escaping is the bottleneck. Needs ``local_infile`` on the server."""
    preparer = conn.dialect.identifier_preparer
    target = preparer.format_table(table)
    cols = ", ".join(preparer.quote(c) for c in columns)
    literal = path.replace("\\", "\\\\").replace("'", "\\'")
    cursor = dbapi_cursor(conn)
    try:
        cursor.execute(
            f"LOAD DATA LOCAL INFILE '{literal}' INTO TABLE {target} CHARACTER SET utf8mb4 ({cols})"
        )
    finally:
        cursor.close()
