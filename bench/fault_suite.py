"""The fault suite, long version: more runs and bigger catalogs than the tests' short version
(``tests/faults/``), the same scenarios. Prints the figures table of ``docs/reliability.md``:
fault, how it is injected, runs, outcome, content equal to a clean run or not.

    .venv/bin/python bench/fault_suite.py                     # the long version (~25 min)
    .venv/bin/python bench/fault_suite.py --quick             # a smoke run of every row
    .venv/bin/python bench/fault_suite.py --seed 7 --only kill

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust), MariaDB on 127.0.0.1:3306 (root, no
password), nx-27017 (started here on a free port), and initdb/pg_ctl for the database that goes
away (an instance of its own; the shared server is never stopped). The seed is printed first:
``--seed N`` replays a run. Exits 1 if any run lost, duplicated or changed anything.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "faults"))

from dblib import database_goes_away, two_syncs
from faultlib import (
    EMULATOR_FAULTS,
    Row,
    emulator,
    run_emulator_fault,
    run_token_expiry,
    wait_for,
)
from killlib import Target, kill_and_resume
from pgtemp import pg_instance

PG = "postgresql://postgres@127.0.0.1:5432/test"
MYSQL = ("127.0.0.1", 3306, "root")
KINDS = ["sqlite", "postgres", "mariadb", "mongo", "jsonl", "csv", "parquet"]


@contextmanager
def nx_27017(base: Path) -> Iterator[str]:
    import socket

    import pymongo

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("nx-27017")
    args = [str(exe), "--host", "127.0.0.1", "-p", str(port), "--data-dir", str(base / "nx")]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"mongodb://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            with pymongo.MongoClient(url, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
            return True
        except pymongo.errors.PyMongoError:
            return False

    try:
        wait_for(ready, 30, "nx-27017")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Databases:
    """Fresh databases on the shared servers, dropped at the end."""

    def __init__(self, mongo: str) -> None:
        self.mongo = mongo
        self.drops: list[Callable[[], None]] = []

    def new(self, kind: str) -> str:
        name = f"akeneo_sync_fault_{uuid.uuid4().hex[:10]}"
        if kind == "postgres":
            import psycopg

            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')

            def drop_pg() -> None:
                with psycopg.connect(PG, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

            self.drops.append(drop_pg)
            return PG.rsplit("/", 1)[0] + f"/{name}"
        if kind == "mariadb":
            import pymysql

            def run(sql: str) -> None:
                host, port, user = MYSQL
                conn = pymysql.connect(host=host, port=port, user=user, autocommit=True)
                with conn, conn.cursor() as cur:
                    cur.execute(sql)

            run(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            self.drops.append(lambda: run(f"DROP DATABASE IF EXISTS `{name}`"))
            return f"mysql://root:@127.0.0.1:3306/{name}"
        return f"{self.mongo}/{name}"  # dropped with the nx-27017 data directory

    def pair(self, kind: str, tmp: Path) -> tuple[Target, Target]:
        if kind == "sqlite":
            return Target(str(tmp / "killed.db")), Target(str(tmp / "clean.db"))
        if kind in ("jsonl", "csv", "parquet"):
            return Target(str(tmp / "killed"), kind), Target(str(tmp / "clean"), kind)
        return Target(self.new(kind)), Target(self.new(kind))

    def close(self) -> None:
        for drop in self.drops:
            drop()


def kill_rows(
    dbs: Databases, tmp: Path, products: int, rounds: int, kills: int, seed: int
) -> list[Row]:
    rows = []
    for command in ("export", "sync"):
        for kind in KINDS:
            how = f"SIGKILL at {rounds}×{kills} seeded points of `{command}`, then `{command}`"
            row = Row(f"kill -9, {command} into {kind}", how + f" ({products} products)")
            for i in range(rounds):
                base = tmp / f"kill-{command}-{kind}-{i}"
                base.mkdir(parents=True)
                killed, clean = dbs.pair(kind, base)
                try:
                    with emulator(products, seed + i) as server:
                        outcome, equal, figures = kill_and_resume(
                            server, command, killed, clean, kills, seed + i
                        )
                except AssertionError as exc:  # a failed run is a figure, not the end
                    outcome, equal, figures = f"FAILED: {str(exc)[:200]}", False, {"kills": 0}
                row.add(outcome, equal, kills_landed=figures["kills"])
                print(f"  {kind} {command} round {i}: {outcome}, equal={equal}, {figures}")
            rows.append(row)
    return rows


def emulator_rows(tmp: Path, products: int, runs: int, seed: int) -> list[Row]:
    rows = []
    for name in EMULATOR_FAULTS:
        started = time.monotonic()
        rows.append(run_emulator_fault(name, products, seed, runs, tmp / "emu"))
        print(f"  {rows[-1].markdown()}  [{time.monotonic() - started:.0f} s]")
    rows.append(run_token_expiry(products, seed, runs, tmp / "emu"))
    print(f"  {rows[-1].markdown()}")
    return rows


def destination_rows(tmp: Path, products: int, runs: int, seed: int) -> list[Row]:
    gone = Row(
        "PostgreSQL going away mid-export",
        "an instance of its own (initdb, pg_ctl); `pg_ctl stop -m immediate` once 100 products "
        "are committed; started again, the export rerun",
    )
    with pg_instance() as pg:
        for i in range(runs):
            try:
                line, equal = database_goes_away(pg, products, seed + i)
            except AssertionError as exc:
                gone.add(f"FAILED: {str(exc)[:200]}", False)
                continue
            port = f"127.0.0.1:{pg.port}"
            gone.add("exit 4, one line; rerun completed", equal, f"`{line.replace(port, '…')}`")
    two = Row("two syncs into one destination", "a second `sync` while the first runs")
    for i in range(runs):
        for fmt in (None, "jsonl"):
            base = tmp / f"two-{i}-{fmt}"
            base.mkdir(parents=True)
            try:
                line, equal = two_syncs(base, fmt, products, seed + i)
            except AssertionError as exc:
                two.add(f"FAILED: {str(exc)[:200]}", False)
                continue
            two.add("second refused: exit 5, one line; first completed", equal)
    return [gone, two]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small, one run each")
    parser.add_argument("--seed", type=int, default=random.SystemRandom().randrange(10**6))
    parser.add_argument("--only", choices=["emulator", "kill", "destination"])
    args = parser.parse_args()
    print(f"seed {args.seed} (replay with --seed {args.seed})")
    products, runs, rounds, kills = (200, 1, 1, 2) if args.quick else (2000, 3, 2, 10)
    rows: list[Row] = []
    started = time.monotonic()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fault-suite-")))
        if args.only in (None, "emulator"):
            rows += emulator_rows(tmp, products, runs, args.seed)
        if args.only in (None, "kill"):
            dbs = Databases(stack.enter_context(nx_27017(tmp)))
            stack.callback(dbs.close)
            rows += kill_rows(dbs, tmp, products // 2, rounds, kills, args.seed)
        if args.only in (None, "destination"):
            rows += destination_rows(tmp, max(400, products // 4), runs, args.seed)
    print(f"\nseed {args.seed}, {time.monotonic() - started:.0f} s\n")
    print("| fault | how injected | runs | outcome | content hash vs a clean run |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(row.markdown())
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
