"""CPU time the exporter spends per product, at zero latency, per destination.

The emulator runs in its own process (its CPU is not counted); each export runs in a fresh
exporter process that reports its own user+sys time (``getrusage``: every thread of it, the
database servers excluded) divided by the products written. Several source trees can be measured
against one emulator, run after run, so a change is always paired with its baseline:

    git worktree add ../cpu-base bdd91c1
    .venv/bin/python bench/cpu_per_product.py --products 20000 --source ../cpu-base --source .
    .venv/bin/python bench/cpu_per_product.py --to sqlite --profile /tmp/prof --source .

``--profile DIR`` records each export with py-spy (separate runs, not the timed ones) and prints
the functions with the most samples: own samples (the function itself running) and inclusive
ones (it or what it called). Only the thread holding the GIL is sampled (``--gil``): without it,
threads waiting for the GIL counted as busy and hid where the CPU goes; C code that runs without
the GIL (SQLite's B-trees, zlib) is thus missing from the profile, though not from the CPU.
``--no-values-table`` passes ``ExportOptions(values_table=False)``.
``--to fetch`` is the floor under every destination: the product and product model pages
fetched and decoded by the client, nothing transformed or stored; ``--to null`` is a whole
export into a sink that stores nothing (reading, transforming and the pipeline: the floor of a
destination that stores documents as they are).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from emulated import start_emulator

PG = "postgresql://postgres@127.0.0.1:5432/test"
DESTINATIONS = ("sqlite", "postgresql", "jsonl", "parquet", "fetch", "null")

CHILD = r"""
import asyncio, json, os, resource, sys, time
started = resource.getrusage(resource.RUSAGE_SELF)
from akeneo_sync.client import AkeneoClient
from akeneo_sync.sinks import open_sink
from akeneo_sync.run import ExportOptions, export

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

from akeneo_sync.sinks.base import Sink

class NullSink(Sink):
    # stores nothing: what reading and transforming cost, whatever the destination
    url = "null"
    def open(self, context): pass
    def write(self, resource, rows, values=None): pass
    def commit(self, state=None): pass
    def close(self, ok): pass
    def read(self, resource): return iter(())

async def main(options):
    async with AkeneoClient(sys.argv[1], client_id="demo", client_secret="demo-secret",
                            username="demo", password="demo") as client:
        sink = NullSink() if sys.argv[2] == "null" else open_sink(
            sys.argv[2], **json.loads(sys.argv[3]))
        return await export(client, sink, options)

# Time in the garbage collector, every thread (steadier than CPU totals between two runs).
import gc
collecting = {"seconds": 0.0, "count": 0, "since": 0.0, "longest": 0.0, "by_generation": [0, 0, 0]}
def timed(phase, info):
    if phase == "start":
        collecting["since"] = time.perf_counter()
    else:
        took = time.perf_counter() - collecting["since"]
        collecting["seconds"] += took
        collecting["count"] += 1
        collecting["longest"] = max(collecting["longest"], took)
        collecting["by_generation"][info["generation"]] += 1
gc.callbacks.append(timed)

extra = json.loads(sys.argv[4])
if os.environ.get("CPU_BENCH_GC"):  # what GC costs: thresholds "a,b,c", or "off"
    spec = os.environ["CPU_BENCH_GC"]
    gc.disable() if spec == "off" else gc.set_threshold(*map(int, spec.split(",")))
imported = cpu()
wall = time.monotonic()
report = asyncio.run(main(ExportOptions(labels="en_US", **extra)))
print(json.dumps({
    "products": report.counts.get("products", 0),
    "requests": report.requests,
    "seconds": round(time.monotonic() - wall, 2),
    "cpu_total": cpu(),
    "cpu_imports": imported,
    "gc_seconds": round(collecting["seconds"], 3),
    "collections": collecting["count"],
    "collections_by_generation": collecting["by_generation"],
    "longest_collection_ms": round(1000 * collecting["longest"], 1),
    "peak_rss_mb": round(int(next(l for l in open("/proc/self/status")
                                  if l.startswith("VmHWM")).split()[1]) / 1024, 1),
}))
"""

# The floor of every destination: the product and product model pages fetched and decoded by
# the client (httpx, orjson), nothing transformed or stored.
FETCH = r"""
import asyncio, json, os, resource, sys, time
from akeneo_sync.client import AkeneoClient

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

async def listing(client, name):
    return sum([len(page) async for page in client.pages(name)])

async def main():
    async with AkeneoClient(sys.argv[1], client_id="demo", client_secret="demo-secret",
                            username="demo", password="demo") as client:
        counts = await asyncio.gather(listing(client, "product_models"),
                                      listing(client, "products"))
        return counts, client.stats.requests

if os.environ.get("CPU_BENCH_GC") == "off":
    import gc
    gc.disable()
imported = cpu()
wall = time.monotonic()
(models, products), requests = asyncio.run(main())
print(json.dumps({
    "products": products,
    "requests": requests,
    "seconds": round(time.monotonic() - wall, 2),
    "cpu_total": cpu(),
    "cpu_imports": imported,
    "peak_rss_mb": round(int(next(l for l in open("/proc/self/status")
                                  if l.startswith("VmHWM")).split()[1]) / 1024, 1),
}))
"""


def start_cpu_emulator(products: int) -> tuple[subprocess.Popen[str], str]:
    emulator, url = start_emulator(["--products", str(products), "--latency-ms", "0"])
    time.sleep(0.5)
    return emulator, url


def target(dest: str, work: Path) -> tuple[str, dict[str, Any]]:
    """The destination string and ``open_sink`` keyword arguments of one destination."""
    if dest == "sqlite":
        return str(work / "catalog.db"), {}
    if dest == "postgresql":
        return f"{PG}?schema=cpu_bench_{os.getpid()}", {}
    if dest in ("fetch", "null"):
        return dest, {}
    return str(work / dest), {"format": dest}


def size_of(dest: str, where: str) -> tuple[int, dict[str, int]]:
    """Bytes the destination takes (PostgreSQL: every relation of the schema, indexes and
    TOAST included; drops the schema afterwards), and the largest tables and indexes (SQLite,
    PostgreSQL)."""
    if dest == "postgresql":
        import psycopg

        schema = where.rsplit("=", 1)[1]
        with psycopg.connect(PG) as db:
            db.execute("CHECKPOINT")  # settle what VACUUM and hint bits would change
            rows = db.execute(
                "SELECT c.relname, CASE c.relkind WHEN 'r' THEN pg_table_size(c.oid) "
                "ELSE pg_relation_size(c.oid) END FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'i') ORDER BY 2 DESC",
                (schema,),
            ).fetchall()
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        sizes = {str(name): int(size) for name, size in rows}
        return sum(sizes.values()), dict(list(sizes.items())[:8])
    path = Path(where)
    if path.is_file():
        wal = Path(f"{where}-wal")
        size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        return size, sqlite_tables(where)
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()), {}


def sqlite_tables(path: str) -> dict[str, int]:
    """Bytes per table and index of a SQLite file (``dbstat``), the largest first."""
    try:
        with sqlite3.connect(path) as db:
            rows = db.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {name: int(size) for name, size in rows[:8]}


def export_once(
    source: Path, url: str, dest: str, extra: dict[str, Any], profile: Path | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        where, sink_options = target(dest, Path(tmp))
        args = [sys.executable, "-c", FETCH if dest == "fetch" else CHILD, url, where]
        args.append(json.dumps(sink_options))
        args.append(json.dumps(extra))
        if profile is not None:
            out = profile / f"{source.resolve().name}-{dest}.txt"
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            args = [spy, "record", "-r", "200", "--gil", "-f", "raw", "-o", str(out), "--", *args]
        env = {**os.environ, "PYTHONPATH": str(source.resolve())}
        done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp)
        if done.returncode != 0:
            raise SystemExit(f"export from {source} into {dest} failed:\n{done.stderr[-3000:]}")
        line = [x for x in done.stdout.splitlines() if x.startswith("{")][-1]  # py-spy talks too
        result: dict[str, Any] = json.loads(line)
        if dest not in ("fetch", "null"):
            result["bytes"], tables = size_of(dest, where)
            if tables:
                result["tables"] = tables
        else:
            result["bytes"] = 0
        if profile is not None:
            result["profile"] = str(out)
        return result


def top_entries(raw: Path, count: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """Total samples, the functions with the most own samples and with the most inclusive."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        samples = int(n)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    return total, own.most_common(count), inclusive.most_common(count)


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPU ({model}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--source", type=Path, action="append", help="a tree to export with")
    parser.add_argument("--to", action="append", choices=DESTINATIONS)
    parser.add_argument("--repeat", type=int, default=1, help="timed exports per source")
    parser.add_argument("--profile", type=Path, help="also record py-spy profiles here")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--no-values-table", action="store_true")
    args = parser.parse_args()
    sources: list[Path] = args.source or [Path(".")]
    dests: list[str] = args.to or list(DESTINATIONS)
    extra = {"values_table": False} if args.no_values_table else {}
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print("machine:", machine())
    emulator, url = start_cpu_emulator(args.products)
    rows = []
    try:
        for dest in dests:
            for _ in range(args.repeat):
                for source in sources:  # alternated: each pair shares the machine's state
                    r = export_once(source, url, dest, extra, None)
                    rows.append((dest, source, r))
                    print(f"  {dest:<10} {source!s:<12} {json.dumps(r)}", flush=True)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            for dest in dests:
                for source in sources:
                    r = export_once(source, url, dest, extra, args.profile)
                    total, own, incl = top_entries(Path(r["profile"]), args.top)
                    print(
                        f"\nprofile {source} -> {dest}: {total} samples at 200/s ({r['profile']})"
                    )
                    for title, entries in (("own", own), ("inclusive", incl)):
                        print(f"  top {title}:")
                        for frame, n in entries:
                            print(f"    {100 * n / total:5.1f}%  {frame}")
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    print("\nload average at the end:", ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        "\n| destination | source | products | CPU s (run) | ms/product (run) "
        "| ms/product (process) | of it GC ms/product | wall s | peak RSS MB | bytes/product |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for dest, source, r in rows:
        n = max(1, r["products"])
        run = r["cpu_total"] - r["cpu_imports"]
        gc_ms = f"{1000 * r['gc_seconds'] / n:.3f}" if "gc_seconds" in r else ""
        print(
            f"| {dest} | {source} | {r['products']:,} | {run:.2f} | {1000 * run / n:.3f} "
            f"| {1000 * r['cpu_total'] / n:.3f} | {gc_ms} | {r['seconds']} | {r['peak_rss_mb']} "
            f"| {r['bytes'] / n:,.0f} |"
        )
    for dest, source, r in rows:
        if r.get("tables"):
            n = max(1, r["products"])
            parts = ", ".join(f"{k} {v / n:,.0f}" for k, v in r["tables"].items())
            print(f"{dest} {source} bytes/product by table: {parts}")


if __name__ == "__main__":
    main()
