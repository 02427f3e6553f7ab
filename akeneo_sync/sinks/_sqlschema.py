"""The relational layout SqlSink writes, as SQLAlchemy Core tables, for every dialect at once.

One table per resource (named after it, with the optional prefix): the resource's typed columns
(key first; the primary key is the resource key), ``document`` (the whole JSON document) and
``deleted_at``; ``product_values`` (the long table); and three bookkeeping tables:
``_akeneo_sync_state`` (one row, the sync state), ``_akeneo_sync_meta`` (``schema_version``) and
``_akeneo_sync_lock`` (at most one row: the run that holds the destination).

Column types differ per dialect only where they must:
- datetimes: ISO text in SQLite (it has no datetime type; ISO text sorts and compares right),
  ``timestamptz`` in PostgreSQL and ``DATETIME(6)`` holding UTC in MySQL, so ``updated > now() - 1
  day`` works there;
- MySQL can only index bounded strings (utf8mb4: 4 bytes a character, 3072 bytes a key), so short
  text columns are ``VARCHAR(255)`` there (Akeneo codes are at most 100 characters, identifiers
  255) and long ones ``LONGTEXT``; tables use ``utf8mb4_bin`` so codes compare exactly as in the
  other databases;
- the document is JSON text in SQLite, ``JSONB`` in PostgreSQL and ``JSON`` in MySQL/MariaDB.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeEngine

from akeneo_sync.resources import ALL, Resource

SCHEMA_VERSION = 2
"""Bump when the layout changes, and teach ``SqlSink`` to migrate from the previous one.
2: ``product_values`` may be left out (``_akeneo_sync_meta.values_table`` = ``0``); 1 had it
always, so 1 becomes 2 as it is."""

STATE_TABLE = "_akeneo_sync_state"
META_TABLE = "_akeneo_sync_meta"
LOCK_TABLE = "_akeneo_sync_lock"
VALUES_TABLE = "product_values"

# Typed columns worth an index: what people filter and join on.
INDEXED_COLUMNS = ("identifier", "family", "parent", "root_parent", "updated")

# PostgreSQL's btree refuses entries over ~2.7 KB, and a textarea can be 50 KB: its text index
# covers the first characters only (a plain ``text_value = 'red'`` still uses the attribute part).
PG_TEXT_INDEX_CHARS = 255
MYSQL_TEXT_INDEX_CHARS = 255

_MYSQL_TABLE: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def short_text() -> TypeEngine[Any]:
    return Text().with_variant(mysql.VARCHAR(255), "mysql", "mariadb")


def long_text() -> TypeEngine[Any]:
    return Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def datetime_type() -> TypeEngine[Any]:
    return (
        Text()
        .with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
        .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    )


def json_type() -> TypeEngine[Any]:
    return JSON().with_variant(postgresql.JSONB(), "postgresql")


def _column_type(kind: str) -> TypeEngine[Any]:
    if kind == "int":
        return BigInteger()
    if kind == "bool":
        return Boolean()
    if kind == "datetime":
        return datetime_type()
    return short_text()


def index_name(table: str, *columns: str) -> str:
    """``<table>_<cols>_idx``, shortened with a hash past PostgreSQL's and MySQL's 63 chars."""
    name = f"{table}_{'_'.join(columns)}_idx"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:50]}_{digest}_idx"


@functools.lru_cache(maxsize=16)
def shared_layout(prefix: str = "", schema: str | None = None) -> Layout:
    """One ``Layout`` per prefix and schema in a process: it is never changed once built, and
    building its tables costs milliseconds that ``listen`` would pay at every batch (it opens
    the destination each time)."""
    return Layout(prefix, schema)


class Layout:
    """Every table of one destination (one prefix, one schema), built once per sink."""

    def __init__(self, prefix: str = "", schema: str | None = None) -> None:
        self.prefix = prefix
        self.metadata = MetaData(schema=schema)
        self.resources: dict[str, Table] = {r.name: self._resource_table(r) for r in ALL}
        self.values = self._values_table()
        self.state = Table(
            prefix + STATE_TABLE,
            self.metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("state", json_type(), nullable=False),
            Column("committed_at", datetime_type(), nullable=False),
            **_MYSQL_TABLE,
        )
        self.meta = Table(
            prefix + META_TABLE,
            self.metadata,
            Column("name", short_text(), primary_key=True),
            Column("value", Text, nullable=False),
            **_MYSQL_TABLE,
        )
        self.lock = Table(
            prefix + LOCK_TABLE,
            self.metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("pid", Integer, nullable=False),
            Column("host", short_text(), nullable=False),
            Column("since", short_text(), nullable=False),
            Column("heartbeat", short_text(), nullable=False),
            **_MYSQL_TABLE,
        )

    def table(self, resource: Resource) -> Table:
        return self.resources[resource.name]

    def _resource_table(self, resource: Resource) -> Table:
        name = self.prefix + resource.name
        columns = [
            Column(
                c.name,
                _column_type(c.type),
                primary_key=c.name in resource.key,
                nullable=c.name not in resource.key,
                autoincrement=False,
            )
            for c in resource.columns
        ]
        indexes = [
            Index(index_name(name, c.name), c.name)
            for c in resource.columns
            if c.name in INDEXED_COLUMNS and c.name not in resource.key
        ]
        return Table(
            name,
            self.metadata,
            *columns,
            Column("document", json_type(), nullable=False),
            Column("deleted_at", datetime_type()),
            *indexes,
            **_MYSQL_TABLE,
        )

    def _values_table(self) -> Table:
        name = self.prefix + VALUES_TABLE
        table = Table(
            name,
            self.metadata,
            # No primary key: a product's rows are only ever replaced as a whole (by uuid).
            Column("uuid", short_text(), nullable=False),
            Column("attribute", short_text(), nullable=False),
            Column("locale", short_text(), nullable=False),
            Column("channel", short_text(), nullable=False),
            Column("type", short_text()),
            Column("text_value", long_text()),
            Column("number_value", Double()),
            Column("bool_value", Boolean()),
            Column("unit", short_text()),
            Column("json_value", long_text()),
            Column("label", long_text()),
            **_MYSQL_TABLE,
        )
        # Every index is "deferrable": SqlSink builds them after the first load of an empty
        # table, several times faster than maintaining them row by row (``_sqlvalues``).
        Index(index_name(name, "uuid"), table.c.uuid, info={"deferrable": True, "uuid": True})
        # Numbers: only the rows that hold one (a fifth of them), where the database can say so;
        # ``number_value < 20`` implies ``IS NOT NULL``, so such queries still use it.
        Index(
            index_name(name, "numbers"),
            table.c.attribute,
            table.c.number_value,
            sqlite_where=table.c.number_value.is_not(None),
            postgresql_where=table.c.number_value.is_not(None),
            info={"deferrable": True},
        ).ddl_if(dialect=("sqlite", "postgresql"))  # type: ignore[arg-type]  # SA takes a tuple
        Index(
            index_name(name, "attribute", "number_value"),
            table.c.attribute,
            table.c.number_value,
            info={"deferrable": True},
        ).ddl_if(dialect="mysql")
        text_index = index_name(name, "attribute", "text_value")
        Index(
            text_index,
            table.c.attribute,
            table.c.text_value,
            mysql_length={"text_value": MYSQL_TEXT_INDEX_CHARS},
            info={"deferrable": True},
        ).ddl_if(dialect=("sqlite", "mysql"))  # type: ignore[arg-type]  # SA takes a tuple
        Index(
            text_index,
            table.c.attribute,
            func.left(table.c.text_value, PG_TEXT_INDEX_CHARS),
            info={"deferrable": True},
        ).ddl_if(dialect="postgresql")
        return table
