"""The database's own share of loading ``product_values``: what no client-side work can go below.

    .venv/bin/python bench/values_floor.py --products 10000

The rows of ``--products`` generated products (the ``sink_throughput.py`` ones, ~47 rows each)
are built before the clock starts, and for MySQL written to LOAD DATA files beforehand too. Then,
per database, into a fresh ``product_values`` table of SqlSink's layout (the uuid index in place,
the two attribute indexes built after the load, as SqlSink does into an empty table), the timed
part is only the bulk load SqlSink uses (SQLite ``executemany``, PostgreSQL ``COPY``, MySQL ``LOAD
DATA LOCAL INFILE``), in batches of 1,000 products, one transaction, and the index build. No
documents are written. The last column is the products/s this alone would allow.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))
from sink_throughput import BATCH, _drop_databases, _fresh_databases, attributes, product

from akeneo_sync.resources import VALUE_ROW_COLUMNS
from akeneo_sync.sinks._sqlbulk import Prepared, mysql_load, pg_copy, tsv_file
from akeneo_sync.sinks._sqlengine import engine_url, make_engine
from akeneo_sync.sinks._sqlschema import Layout
from akeneo_sync.transform.value_rows import product_value_tuples


def load(engine: Engine, batches: list[list[tuple[Any, ...]]]) -> tuple[float, float]:
    """Seconds to load ``batches`` into a fresh product_values, and to build its indexes."""
    layout = Layout()
    values = layout.values
    deferred = [i for i in values.indexes if i.info.get("deferrable")]
    layout.metadata.create_all(engine, tables=[values])
    with engine.begin() as conn:
        for index in deferred:
            index.drop(conn)
    dialect = engine.dialect.name
    files = [tsv_file(rows) for rows in batches] if dialect == "mysql" else []
    try:
        with engine.connect() as conn:
            start = time.perf_counter()
            for i, rows in enumerate(batches):
                if dialect == "postgresql":
                    pg_copy(conn, values, VALUE_ROW_COLUMNS, rows)
                elif dialect == "mysql":
                    mysql_load(conn, values, VALUE_ROW_COLUMNS, files[i])
                else:
                    Prepared(values.insert(), engine.dialect).executemany(conn, rows)
            conn.commit()
            loaded = time.perf_counter() - start
            start = time.perf_counter()
            for index in deferred:
                index.create(conn)
            conn.commit()
            return loaded, time.perf_counter() - start
    finally:
        for path in files:
            os.unlink(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--postgres-admin", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    attrs = attributes()
    rng = random.Random(42)
    batches = [
        [r for j in range(BATCH) for r in product_value_tuples(product(rng, attrs, i + j), attrs)]
        for i in range(0, args.products, BATCH)
    ]
    rows = sum(len(b) for b in batches)
    print(f"{args.products:,} products, {rows:,} product_values rows\n")
    print("| database | load s | index build s | total s | products/s at most |")
    print("|---|---:|---:|---:|---:|")
    pg_url, my_url = _fresh_databases(args, "akeneo_sync_floor")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, url in (
                ("SQLite", f"sqlite:///{tmp}/floor.db"),
                ("PostgreSQL", pg_url),
                ("MariaDB", my_url),
            ):
                parsed, _ = engine_url(url)
                engine = make_engine(parsed, parsed.get_backend_name())
                try:
                    loaded, indexed = load(engine, batches)
                finally:
                    engine.dispose()
                total = loaded + indexed
                print(
                    f"| {name} | {loaded:.2f} | {indexed:.2f} | {total:.2f} "
                    f"| {args.products / total:,.0f} |",
                    flush=True,
                )
    finally:
        _drop_databases(args, "akeneo_sync_floor")


if __name__ == "__main__":
    main()
