"""SQLite INSERTs of many rows a statement.

Python's ``sqlite3`` lets go of the GIL for every statement it steps, ``executemany`` included:
once a row. A thread inserting rows then takes the GIL back once a row, and while other threads
keep it busy (the event loop decoding pages, a sink thread shaping rows) each of those waits
can last the interpreter's switch interval. Measured alone, 200,000 ``product_values`` rows took
1.50 s one row a statement and 0.91 s at 50 rows; beside a thread that keeps the GIL busy, 72 s
against 9 s. So the SQLite writers (the SQL sink, the file sinks' work index, the model store)
insert ``ROWS_A_STATEMENT`` rows a statement: ``VALUES (?, ?), (?, ?), ...``.

Binding those parameters holds the GIL, and ``sqlite3`` binds only int, float, str and bytes
directly: any other value is looked up as an adapter first, and None and bool miss that look-up
twice (``__adapt__``, then ``__conform__``: two attribute errors raised and cleared) before
they are bound as NULL and 0/1 all the same. A third of a ``product_values`` row's parameters
are None, so those misses were about 40 % of the time a statement took to bind
(``BENCHMARKS.md``, section 10). ``_bind_directly`` registers adapters that give the very same
values.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any, Protocol

ROWS_A_STATEMENT = 100
MAX_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
"""SQLite's default limit on a statement's parameters."""

_VALUES = re.compile(r"\bVALUES (\((?:\?, ?)*\?\))")


def _null(value: None) -> None:
    return value


def _bind_directly() -> None:
    """None as NULL and bool as 0/1, as ``sqlite3`` binds them anyway, found at the first
    look-up. Process-wide; an adapter the embedding program registered is left alone."""
    if (type(None), sqlite3.PrepareProtocol) not in sqlite3.adapters:
        sqlite3.register_adapter(type(None), _null)
    if (bool, sqlite3.PrepareProtocol) not in sqlite3.adapters:
        sqlite3.register_adapter(bool, int)


_bind_directly()


class Executes(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any], /) -> Any: ...


class ManyRows:
    """``sql``, an INSERT with one ``VALUES (?, ...)`` group, run for many rows a statement."""

    def __init__(self, sql: str) -> None:
        found = _VALUES.search(sql)
        if found is None:
            raise ValueError(f"not an INSERT ... VALUES (?, ...): {sql}")
        self._head, self._group, self._tail = sql[: found.start(1)], found[1], sql[found.end(1) :]
        self._step = max(1, min(ROWS_A_STATEMENT, MAX_PARAMETERS // found[1].count("?")))
        self._texts: dict[int, str] = {}

    def run(self, db: Executes, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` (each in the statement's parameter order) on ``db``, a connection
        or cursor of ``sqlite3``."""
        for start in range(0, len(rows), self._step):
            some = rows[start : start + self._step]
            db.execute(self._text(len(some)), tuple(chain.from_iterable(some)))

    def _text(self, rows: int) -> str:
        text = self._texts.get(rows)
        if text is None:
            text = self._texts[rows] = self._head + ", ".join([self._group] * rows) + self._tail
        return text
