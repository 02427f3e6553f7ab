"""Pick a destination from its URL scheme or file extension: the one registry of sinks.

    open_sink("catalog.json")                          -> JsonSink (flat product rows)
    open_sink("out/", format="csv")                    -> DirectorySink (jsonl by default)
    open_sink("sqlite:///catalog.db") / "x.db"         -> SqlSink on SQLite
    open_sink("postgresql://u:p@host/db?schema=pim")   -> SqlSink on PostgreSQL
    open_sink("mysql://u:p@host/db")                   -> SqlSink on MySQL / MariaDB
    open_sink("mongodb://host:27017/db")               -> MongoSink

Sink modules are imported lazily, so a missing optional driver only matters for the destination
that needs it, and then raises ``MissingDependencyError`` with the exact ``pip install`` line.
"""

from __future__ import annotations

import importlib
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from akeneo_sync.errors import ConfigError, MissingDependencyError
from akeneo_sync.sinks.base import Sink, SinkContext

__all__ = ["Sink", "SinkContext", "mask_url", "open_sink", "require"]

# scheme -> (dialect name used by SqlSink, driver module, pip extra)
_SQL_SCHEMES: dict[str, tuple[str, str, str]] = {
    "postgresql": ("postgresql", "psycopg", "postgres"),
    "postgres": ("postgresql", "psycopg", "postgres"),
    "mysql": ("mysql", "pymysql", "mysql"),
    "mariadb": ("mysql", "pymysql", "mysql"),
}
_SQLITE_EXTENSIONS = (".db", ".sqlite", ".sqlite3")


def require(module: str, extra: str) -> Any:
    """Import an optional driver, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module, extra) from exc


def mask_url(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def open_sink(dest: str, *, format: str | None = None, table_prefix: str = "") -> Sink:
    """The sink for ``dest``; nothing is opened or created until ``sink.open(context)``."""
    scheme = urlsplit(dest).scheme.lower() if "://" in dest else ""
    if scheme == "sqlite" or (not scheme and dest.lower().endswith(_SQLITE_EXTENSIONS)):
        from akeneo_sync.sinks.sql import SqlSink

        return SqlSink(dest if scheme else f"sqlite:///{dest}", table_prefix=table_prefix)
    if scheme in _SQL_SCHEMES:
        _, module, extra = _SQL_SCHEMES[scheme]
        require("sqlalchemy", extra)
        require(module, extra)
        from akeneo_sync.sinks.sql import SqlSink

        return SqlSink(dest, table_prefix=table_prefix)
    if scheme in ("mongodb", "mongodb+srv"):
        require("pymongo", "mongo")
        from akeneo_sync.sinks.mongo import MongoSink

        return MongoSink(dest, table_prefix=table_prefix)
    if scheme:
        raise ConfigError(
            f"unknown destination scheme {scheme!r} in {mask_url(dest)}; use a .json file, a "
            "directory, sqlite:///file.db, postgresql://, mysql://, mariadb:// or mongodb://"
        )
    files = importlib.import_module("akeneo_sync.sinks.files")
    if dest.lower().endswith(".json"):
        json_sink: Sink = files.JsonSink(dest)
        return json_sink
    _, ext = os.path.splitext(dest.rstrip("/\\"))
    if ext and not os.path.isdir(dest):
        raise ConfigError(
            f"cannot tell which destination {dest!r} is: use a .json file, a directory "
            "(with --format jsonl/csv/parquet), a .db/.sqlite file or a database URL"
        )
    if format == "parquet":
        require("pyarrow", "parquet")
    dir_sink: Sink = files.DirectorySink(dest, format or "jsonl")
    return dir_sink
