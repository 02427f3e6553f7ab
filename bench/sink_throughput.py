"""Products per second and peak RSS of every destination, with realistic generated products.

    .venv/bin/python bench/sink_throughput.py --products 20000
    .venv/bin/python bench/sink_throughput.py --only sqlite --only postgresql

Each destination runs in its own child process, so its peak RSS is its own. A product is a
~4 KB document with 40 values giving ~47 product_values rows (texts in two locales, a ~0.8 KB
textarea, selects, multi selects, metrics, prices, numbers, booleans, dates), written in batches
of 1,000 with a ``checkpoint(state)`` every 10 batches and a final ``commit``, as the export
runner does. Databases: PostgreSQL at 127.0.0.1:5432 (user postgres), MariaDB at 127.0.0.1:3306
(user root), and nx-27017 (a MongoDB wire-protocol server on SQLite, *not* MongoDB) started on a
free port; override with --postgres-admin and --mongo.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

BATCH = 1000
COMMIT_EVERY = 10
DESTINATIONS = ("sqlite", "postgresql", "mysql", "mongodb", "jsonl", "csv", "parquet")


def attributes() -> dict[str, dict[str, Any]]:
    spec = (
        [("sku", "pim_catalog_identifier")]
        + [(f"name_{i}", "pim_catalog_text") for i in range(4)]
        + [("description", "pim_catalog_textarea")]
        + [(f"color_{i}", "pim_catalog_simpleselect") for i in range(6)]
        + [(f"materials_{i}", "pim_catalog_multiselect") for i in range(4)]
        + [(f"weight_{i}", "pim_catalog_metric") for i in range(4)]
        + [(f"price_{i}", "pim_catalog_price_collection") for i in range(3)]
        + [(f"stock_{i}", "pim_catalog_number") for i in range(5)]
        + [(f"flag_{i}", "pim_catalog_boolean") for i in range(5)]
        + [(f"date_{i}", "pim_catalog_date") for i in range(3)]
    )
    return {
        code: {
            "code": code,
            "type": type_,
            "localizable": code.startswith("name"),
            "scopable": code == "description",
            "group": "marketing",
            "labels": {},
        }
        for code, type_ in spec
    }


def product(rng: random.Random, attrs: dict[str, dict[str, Any]], n: int) -> dict[str, Any]:
    def v(data: Any, locale: str | None = None, scope: str | None = None) -> dict[str, Any]:
        return {"locale": locale, "scope": scope, "data": data}

    values: dict[str, list[dict[str, Any]]] = {}
    words = ("alpha", "cotton", "shirt", "blue", "summer", "classic", "slim", "organic")
    for code, attr in attrs.items():
        t = attr["type"]
        if t == "pim_catalog_identifier":
            values[code] = [v(f"SKU-{n:08d}")]
        elif t == "pim_catalog_text":
            values[code] = [v(" ".join(rng.choices(words, k=4)), loc) for loc in ("en_US", "fr_FR")]
        elif t == "pim_catalog_textarea":
            values[code] = [v(" ".join(rng.choices(words, k=120)), "en_US", "ecommerce")]
        elif t == "pim_catalog_simpleselect":
            values[code] = [v(rng.choice(("red", "blue", "green", "black")))]
        elif t == "pim_catalog_multiselect":
            values[code] = [v(rng.sample(("cotton", "linen", "silk", "wool"), 2))]
        elif t == "pim_catalog_metric":
            values[code] = [v({"amount": f"{rng.uniform(0, 10):.4f}", "unit": "KILOGRAM"})]
        elif t == "pim_catalog_price_collection":
            values[code] = [
                v([{"amount": f"{rng.uniform(1, 99):.2f}", "currency": c} for c in ("EUR", "USD")])
            ]
        elif t == "pim_catalog_number":
            values[code] = [v(rng.randint(0, 1000))]
        elif t == "pim_catalog_boolean":
            values[code] = [v(rng.random() < 0.5)]
        else:
            values[code] = [v("2024-01-15T00:00:00+00:00")]
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "identifier": f"SKU-{n:08d}",
        "enabled": True,
        "family": f"family_{n % 20}",
        "categories": ["master", f"cat_{n % 50}"],
        "groups": [],
        "parent": None,
        "root_parent": None,
        "family_variant": None,
        "values": values,
        "created": "2024-01-01T10:00:00+00:00",
        "updated": "2024-03-01T10:00:00+00:00",
        "associations": {"X_SELL": {"products": [], "product_models": [], "groups": []}},
        "quantified_associations": {},
    }


def run_one(name: str, dest: str, fmt: str | None, count: int) -> dict[str, Any]:
    from akeneo_sync.resources import ATTRIBUTES, PRODUCTS
    from akeneo_sync.sinks import open_sink
    from akeneo_sync.sinks.base import SinkContext
    from akeneo_sync.transform.shapes import shape_rows

    def write(resource: Any, docs: list[dict[str, Any]]) -> None:
        # Shaping is timed with the write: it is what sinks did themselves before it moved.
        shaped = shape_rows(sink.shape, resource, docs, attrs)
        sink.write(resource, shaped.rows, shaped.values)

    attrs = attributes()
    rng = random.Random(42)
    # Batches are generated one at a time (memory bounded like the real runner's) and only the
    # sink's calls are timed, so the figure is the sink's own cost.
    size = sum(len(json.dumps(product(random.Random(1), attrs, j))) for j in range(100)) / 100
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sink = open_sink(dest, format=fmt)
    elapsed = 0.0
    cpu = 0.0  # this process's CPU in the sink's calls (its threads included; servers not)
    start = time.perf_counter()
    sink.open(SinkContext([ATTRIBUTES, PRODUCTS]))
    write(ATTRIBUTES, list(attrs.values()))
    elapsed += time.perf_counter() - start
    for i in range(1, count // BATCH + 1):
        batch = [product(rng, attrs, i * BATCH + j) for j in range(BATCH)]
        start, cpu_start = time.perf_counter(), time.process_time()
        write(PRODUCTS, batch)
        if i % COMMIT_EVERY == 0:
            sink.checkpoint({"products": {"written": i * BATCH}})
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
    start, cpu_start = time.perf_counter(), time.process_time()
    sink.commit({"products": {"written": count}})
    sink.close(True)
    elapsed += time.perf_counter() - start
    cpu += time.process_time() - cpu_start
    return {
        "destination": name,
        "products": count,
        "seconds": round(elapsed, 2),
        "products_per_s": round(count / elapsed),
        "doc_bytes": round(size),
        "client_cpu_ms_per_product": round(cpu * 1000 / count, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_before_mb": round(rss_before / 1024),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_nx(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = Path(sys.executable).with_name("nx-27017")
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(exe),
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
            "--data-dir",
            str(workdir / "nx"),
            "--log-file",
            str(workdir / "nx.log"),
            "--pid-file",
            str(workdir / "nx.pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"mongodb://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("nx-27017 did not start")


def _fresh_databases(args: argparse.Namespace, name: str) -> tuple[str, str]:
    import psycopg
    import pymysql

    with psycopg.connect(args.postgres_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    my = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with my.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    my.close()
    return (
        args.postgres_admin.rsplit("/", 1)[0] + f"/{name}",
        f"mysql://root:@127.0.0.1:3306/{name}",
    )


def _drop_databases(args: argparse.Namespace, name: str) -> None:
    import psycopg
    import pymysql

    with psycopg.connect(args.postgres_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    my = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    with my.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    my.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--only", action="append", choices=DESTINATIONS)
    parser.add_argument("--postgres-admin", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--mongo", help="mongodb://host:port of a real server (else nx-27017)")
    parser.add_argument(
        "--child", nargs=3, metavar=("NAME", "DEST", "FORMAT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        name, dest, fmt = args.child
        print(json.dumps(run_one(name, dest, None if fmt == "-" else fmt, args.products)))
        return

    work = Path(tempfile.mkdtemp(prefix="sink-bench-"))
    nx = None
    try:
        names = args.only or list(DESTINATIONS)
        pg_url = my_url = mongo = ""
        if {"postgresql", "mysql"} & set(names):
            pg_url, my_url = _fresh_databases(args, "akeneo_sync_bench")
        if "mongodb" in names:
            if args.mongo:
                mongo = args.mongo
            else:
                nx, mongo = _start_nx(work)
        dests = {
            "sqlite": (f"sqlite:///{work / 'bench.db'}", "-"),
            "postgresql": (pg_url, "-"),
            "mysql": (my_url, "-"),
            "mongodb": (f"{mongo}/akeneo_sync_bench_{os.getpid()}", "-"),
            "jsonl": (str(work / "jsonl"), "jsonl"),
            "csv": (str(work / "csv"), "csv"),
            "parquet": (str(work / "parquet"), "parquet"),
        }
        print(
            f"{'destination':<12} {'products':>8} {'seconds':>8} {'products/s':>10} "
            f"{'peak RSS MB':>11}"
        )
        for name in names:
            dest, fmt = dests[name]
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--products",
                    str(args.products),
                    "--child",
                    name,
                    dest,
                    fmt,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"{name:<12} {r['products']:>8} {r['seconds']:>8} {r['products_per_s']:>10} "
                f"{r['peak_rss_mb']:>11} {r['client_cpu_ms_per_product']:>21}   "
                f"(doc ~{r['doc_bytes']} B, "
                f"{r['rss_before_mb']} MB before writing)",
                flush=True,
            )
    finally:
        if pg_url:
            _drop_databases(args, "akeneo_sync_bench")
        if nx is not None:
            nx.terminate()
            nx.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
