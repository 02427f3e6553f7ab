"""What binding ``product_values`` parameters costs in Python's ``sqlite3``, with and without
the None and bool adapters that ``akeneo_sync.sinks._sqlrows`` registers.

    .venv/bin/python bench/sqlite_binding.py --products 5000

The rows of ``--products`` generated products (``sink_throughput.py``'s, ~47 rows each) are
built before the clock and flattened into statements of ``ROWS_A_STATEMENT`` rows, as
``ManyRows`` sends them. Two statements are timed, each run over all the rows, best of
``--repeat``: one that binds the parameters and does nothing with them (``SELECT 1 WHERE 0 AND
EXISTS (VALUES ...)``: the GIL-holding part of an INSERT), and the INSERT into an in-memory
table (rolled back). Binding holds the GIL, so what it saves is time other threads get back.
"""

from __future__ import annotations

import argparse
import platform
import random
import sqlite3
import sys
import time
from collections import Counter
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sink_throughput import attributes, product

from akeneo_sync.resources import VALUE_ROW_COLUMNS
from akeneo_sync.sinks._sqlrows import ROWS_A_STATEMENT
from akeneo_sync.transform.value_rows import product_value_tuples

ADAPTED = [(type(None), sqlite3.PrepareProtocol), (bool, sqlite3.PrepareProtocol)]


def best(
    repeat: int, sql: str, statements: list[tuple[object, ...]], db: sqlite3.Connection
) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for params in statements:
            db.execute(sql, params)
        times.append(time.perf_counter() - start)
        db.rollback()
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    attrs = attributes()
    rng = random.Random(1)
    rows = [
        r for i in range(args.products) for r in product_value_tuples(product(rng, attrs, i), attrs)
    ]
    step = ROWS_A_STATEMENT
    statements = [
        tuple(chain.from_iterable(rows[s : s + step])) for s in range(0, len(rows) - step + 1, step)
    ]
    kinds = Counter(type(v).__name__ for r in rows for v in r)

    group = "(" + ", ".join(["?"] * len(VALUE_ROW_COLUMNS)) + ")"
    groups = ", ".join([group] * step)
    bind_only = f"SELECT 1 WHERE 0 AND EXISTS (SELECT * FROM (VALUES {groups}))"
    insert = f"INSERT INTO v VALUES {groups}"
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE v ({', '.join(VALUE_ROW_COLUMNS)})")

    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    python, sqlite = platform.python_version(), sqlite3.sqlite_version
    print(f"machine: {platform.machine()}, Python {python}, SQLite {sqlite}")
    print(
        f"{len(rows):,} rows in {len(statements):,} statements; parameters by type: {dict(kinds)}"
    )
    print()
    print("| adapters | bind only, s | insert, s |")
    print("|---|---:|---:|")
    ours = {key: sqlite3.adapters.pop(key) for key in ADAPTED}  # the driver's own behaviour
    for label in ("none (the driver's look-up)", "None and bool (`_sqlrows`)"):
        binding = best(args.repeat, bind_only, statements, db)
        inserting = best(args.repeat, insert, statements, db)
        print(f"| {label} | {binding:.3f} | {inserting:.3f} |")
        sqlite3.adapters.update(ours)


if __name__ == "__main__":
    main()
