"""Per-resource content hashes of an export, to show two versions export the same content.

Starts the emulator (this tree's) with a fixed catalog and, against that one server (documents
carry its URL in their media links), runs ``akeneo-sync export`` of each source tree into
SQLite, PostgreSQL (when reachable), a JSONL, a CSV and a Parquet directory. Each output is read
back without akeneo_sync's own code (sqlite3, psycopg, json, csv, pyarrow) and hashed per
resource; the script prints every hash per source and which differ:

    git worktree add ../before <commit>
    .venv/bin/python bench/content_hashes.py --products 3000 --source ../before --source .
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

PG = "postgresql://postgres@127.0.0.1:5432/test"
DOCUMENT_TABLES = (
    "products",
    "product_models",
    "families",
    "attributes",
    "attribute_options",
    "categories",
    "channels",
    "reference_entity_records",
    "assets",
)


def digest(rows: Iterable[Any]) -> str:
    lines = sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def sqlite_hashes(path: Path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(path) as db:
        out = {
            t: digest(json.loads(d) for (d,) in db.execute(f"SELECT document FROM {t}"))
            for t in DOCUMENT_TABLES
        }
        values = db.execute("SELECT * FROM product_values").fetchall()
        out["product_values"] = digest([list(v) for v in values])
    return out


def postgres_hashes(schema: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(PG) as db:
        out = {
            t: digest(d for (d,) in db.execute(f"SELECT document FROM {schema}.{t}"))
            for t in DOCUMENT_TABLES
        }
        values = db.execute(f"SELECT * FROM {schema}.product_values").fetchall()
        out["product_values"] = digest([[str(c) for c in v] for v in values])
        db.execute(f"DROP SCHEMA {schema} CASCADE")
    return out


def file_rows(path: Path) -> Iterator[Any]:
    if path.suffix == ".jsonl":
        with path.open() as handle:
            yield from (json.loads(line) for line in handle)
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle)
    else:
        import pyarrow.parquet as pq

        yield from (dict(sorted(r.items())) for r in pq.read_table(path).to_pylist())


def directory_hashes(directory: Path) -> dict[str, str]:
    return {
        path.stem: digest(file_rows(path))
        for path in sorted(directory.iterdir())
        if path.suffix in (".jsonl", ".csv", ".parquet")
    }


def export(source: Path, server: EmulatorServer, to: str, *extra: str) -> None:
    creds = server.credentials()
    args = [
        sys.executable,
        "-m",
        "akeneo_sync",
        "export",
        "--to",
        to,
        "--labels",
        "en_US",
        "-q",
        "--url",
        creds["url"],
        "--client-id",
        creds["client_id"],
        "--client-secret",
        creds["client_secret"],
        "--username",
        creds["username"],
        "--password",
        creds["password"],
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(source.resolve())}
    subprocess.run(args, check=True, env=env, cwd=tempfile.gettempdir(), capture_output=True)


def hashes(source: Path, server: EmulatorServer, work: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    export(source, server, str(work / "catalog.db"))
    out["sqlite"] = sqlite_hashes(work / "catalog.db")
    schema = f"hashes_{os.getpid()}"
    try:
        export(source, server, f"{PG}?schema={schema}")
        out["postgresql"] = postgres_hashes(schema)
    except (subprocess.CalledProcessError, ImportError) as exc:
        print(f"postgresql skipped: {exc}", file=sys.stderr)
    for fmt in ("jsonl", "csv", "parquet"):
        export(source, server, str(work / fmt), "--format", fmt)
        out[fmt] = directory_hashes(work / fmt)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--source", type=Path, action="append", help="a tree to export with")
    args = parser.parse_args()
    sources: list[Path] = args.source or [Path(".")]
    found: dict[str, dict[str, dict[str, str]]] = {}
    config = EmulatorConfig(products=args.products, seed=args.seed, port=0)
    with EmulatorServer(config) as server:
        for source in sources:
            with tempfile.TemporaryDirectory() as tmp:
                found[str(source)] = hashes(source, server, Path(tmp))
    first = found[str(sources[0])]
    differ = [
        f"{dest}/{resource}"
        for dest, per in first.items()
        for resource in per
        if any(other.get(dest, {}).get(resource) != per[resource] for other in found.values())
    ]
    compared = sum(len(per) for per in first.values())
    print(json.dumps(found, indent=1, sort_keys=True))
    print(
        f"{len(sources)} sources, {compared} destination/resource hashes: "
        + (f"differ: {', '.join(differ)}" if differ else "all identical")
    )


if __name__ == "__main__":
    main()
