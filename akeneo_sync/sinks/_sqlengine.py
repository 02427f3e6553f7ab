"""Connecting SqlSink: URLs, drivers, per-connection settings and the drivers' own errors."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from akeneo_sync.errors import SinkError
from akeneo_sync.sinks import mask_url

_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def engine_url(url: str) -> tuple[URL, str | None]:
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
    # 16 KB pages (only for a new file): a ~4 KB document fits without overflow pages; ~8%
    # faster loads than the default 4 KB.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # An 8 MB page cache per connection: every pooled connection keeps its own, filled by a
    # whole-catalog load or index build, so 64 MB was ~150 MB of an export's 370 MB peak RSS,
    # for no CPU measured (bench/export_memory.py, bench/cpu_per_product.py); the OS page cache
    # serves the rest.
    cursor.execute("PRAGMA cache_size=-8192")
    cursor.close()


def dbapi_error(dialect: str) -> type[Exception]:
    """The driver's base exception: the fast paths call the DBAPI directly."""
    if dialect == "postgresql":
        import psycopg

        return psycopg.Error
    if dialect == "mysql":
        import pymysql

        return pymysql.Error
    return sqlite3.Error


def load_refused(exc: Exception) -> bool:
    """MySQL/MariaDB refusing LOAD DATA LOCAL (disabled on the server or the client)."""
    code = exc.args[0] if exc.args else None
    return code in (1148, 2068, 3948, 4166)


class _RepeatedError(logging.Filter):
    """psycopg warns "error ignored terminating <psycopg.Pipeline [BAD]>: the connection is
    lost" when the server goes away inside an executemany's pipeline: the very error the sink
    raises (one line, exit 4), printed as a second line before it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("error ignored terminating")


logging.getLogger("psycopg").addFilter(_RepeatedError())


def make_engine(url: URL, dialect: str) -> Engine:
    connect_args: dict[str, Any] = {}
    if dialect == "sqlite":
        connect_args["check_same_thread"] = False  # the writer thread uses it, one at a time
    elif dialect == "mysql":
        connect_args["local_infile"] = True  # product_values go through LOAD DATA LOCAL
    engine = create_engine(
        url, json_serializer=_dumps, json_deserializer=orjson.loads, connect_args=connect_args
    )
    if dialect == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
