"""Pick a destination from its URL scheme or file extension: the one registry of sinks.

    open_sink("catalog.json")                          -> JsonSink (product documents)
    open_sink("catalog.json", flat=True)               -> JsonSink (Akeneo's flat product rows)
    open_sink("catalog.xlsx")                          -> WorkbookSink (a sheet per resource)
    open_sink("out/", format="csv")                    -> DirectorySink (jsonl by default)
    open_sink("sqlite:///catalog.db") / "x.db"         -> SqlSink on SQLite
    open_sink("postgresql://u:p@host/db?schema=pim")   -> SqlSink on PostgreSQL
    open_sink("mysql://u:p@host/db")                   -> SqlSink on MySQL / MariaDB
    open_sink("mongodb://host:27017/db")               -> MongoSink

``SCHEMES`` and ``EXTENSIONS`` map a URL scheme or a file name ending to the factory of its sink;
anything else that is no file is a directory, in one of the file ``FORMATS`` (``formats.py``).
Sink modules are imported lazily, so a missing optional driver only matters for the destination
that needs it, and then raises ``MissingDependencyError`` with the exact ``pip install`` line.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from akeneo_sync.errors import ConfigError, MissingDependencyError
from akeneo_sync.sinks.base import Sink, SinkContext
from akeneo_sync.sinks.formats import FORMATS

__all__ = ["FORMATS", "Sink", "SinkContext", "kind_of", "mask_url", "open_sink", "require"]


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


@dataclass(frozen=True)
class SinkOptions:
    format: str | None = None
    """The file format of a directory (``FORMATS``; jsonl when None)."""
    table_prefix: str = ""
    """Prefix of the tables / collections of a database."""
    flat: bool = False
    """A ``.json`` file of Akeneo's flat product rows instead of product documents."""
    raw_cells: bool = False
    """CSV and XLSX: text cells as they are, without the guard against formulas."""


SinkFactory = Callable[[str, SinkOptions], Sink]


def _sqlite(dest: str, options: SinkOptions) -> Sink:
    from akeneo_sync.sinks.sql import SqlSink

    return SqlSink(dest, table_prefix=options.table_prefix)


def _sqlite_file(dest: str, options: SinkOptions) -> Sink:
    return _sqlite(f"sqlite:///{dest}", options)


def _database(module: str, extra: str) -> SinkFactory:
    """A server SQLAlchemy reaches with the driver ``module`` (pip extra ``extra``)."""

    def factory(dest: str, options: SinkOptions) -> Sink:
        require("sqlalchemy", extra)
        require(module, extra)
        from akeneo_sync.sinks.sql import SqlSink

        return SqlSink(dest, table_prefix=options.table_prefix)

    return factory


def _mongo(dest: str, options: SinkOptions) -> Sink:
    require("pymongo", "mongo")
    from akeneo_sync.sinks.mongo import MongoSink

    return MongoSink(dest, table_prefix=options.table_prefix)


def _json_file(dest: str, options: SinkOptions) -> Sink:
    from akeneo_sync.sinks.onefile import JsonSink

    return JsonSink(dest, flat=options.flat)


def _workbook(dest: str, options: SinkOptions) -> Sink:
    from akeneo_sync.sinks.onefile import WorkbookSink

    return WorkbookSink(dest, raw_cells=options.raw_cells)


def _directory(dest: str, options: SinkOptions) -> Sink:
    from akeneo_sync.sinks.files import DirectorySink

    return DirectorySink(dest, options.format or "jsonl", raw_cells=options.raw_cells)


SCHEMES: dict[str, SinkFactory] = {
    "sqlite": _sqlite,
    "postgresql": _database("psycopg", "postgres"),
    "postgres": _database("psycopg", "postgres"),
    "mysql": _database("pymysql", "mysql"),
    "mariadb": _database("pymysql", "mysql"),
    "mongodb": _mongo,
    "mongodb+srv": _mongo,
}
"""URL scheme -> the factory of its sink."""
EXTENSIONS: dict[str, SinkFactory] = {
    ".db": _sqlite_file,
    ".sqlite": _sqlite_file,
    ".sqlite3": _sqlite_file,
    ".json": _json_file,
    ".xlsx": _workbook,
}
"""The end of a file name (no scheme) -> the factory of its sink; other paths are directories."""


def open_sink(
    dest: str,
    *,
    format: str | None = None,
    table_prefix: str = "",
    flat: bool = False,
    raw_cells: bool = False,
) -> Sink:
    """The sink for ``dest``; nothing is opened or created until ``sink.open(context)``."""
    options = SinkOptions(format, table_prefix, flat, raw_cells)
    return _factory(dest, flat)(dest, options)


def kind_of(dest: str, *, flat: bool = False) -> str:
    """What ``dest`` is, ``directory``, ``json``, ``workbook`` or ``database``, told without
    loading its sink's modules; the same errors as ``open_sink``."""
    return _KINDS.get(_factory(dest, flat), "database")


def _factory(dest: str, flat: bool) -> SinkFactory:
    if flat and not dest.lower().endswith(".json"):
        raise ConfigError(f"--flat is for a .json file; {mask_url(dest)} is none")
    scheme = urlsplit(dest).scheme.lower() if "://" in dest else ""
    if scheme:
        factory = SCHEMES.get(scheme)
        if factory is None:
            raise ConfigError(
                f"unknown destination scheme {scheme!r} in {mask_url(dest)}; use a .json file, a "
                "directory, sqlite:///file.db, postgresql://, mysql://, mariadb:// or mongodb://"
            )
        return factory
    for ending, factory in EXTENSIONS.items():
        if dest.lower().endswith(ending):
            return factory
    _, ext = os.path.splitext(dest.rstrip("/\\"))
    if ext and not os.path.isdir(dest):
        raise ConfigError(
            f"cannot tell which destination {dest!r} is: use a .json or .xlsx file, a directory "
            f"(with --format {'/'.join(FORMATS)}), a .db/.sqlite file or a database URL"
        )
    return _directory


_KINDS: dict[SinkFactory, str] = {
    _directory: "directory",
    _json_file: "json",
    _workbook: "workbook",
}
