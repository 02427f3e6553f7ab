"""kill -9 at seeded random points of an export or a sync, then the same command again: the
result must equal a clean export's (per-resource canonical hash), with every product once.

A kill point is a number of items the emulator has served (``/_emulator/stats``), drawn between
the first and the last item a clean run reads: it falls in the reference data, in the products,
or in the final commit alike, for every destination, with no probe into the destination.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
from dataclasses import dataclass
from typing import Any

from faultlib import cli_args, emulator_stats, wait_for
from sync_helpers import Api, hashes, live_docs

from akeneo_sync import resources as res
from akeneo_sync.emulator import EmulatorServer

CHECKPOINT_EVERY = "100"
KINDS = ["sqlite", "postgres", "mariadb", "mongo", "jsonl", "csv", "parquet"]


@dataclass
class Target:
    """A destination: ``--to`` and, for a directory, ``--format``."""

    dest: str
    fmt: str | None = None

    def flags(self) -> list[str]:
        return ["--to", self.dest, *(["--format", self.fmt] if self.fmt else [])]


def start(server: EmulatorServer, command: str, target: Target) -> subprocess.Popen[str]:
    args = cli_args(server, command, *target.flags(), "--labels", "en_US")
    args += ["--checkpoint-every", CHECKPOINT_EVERY]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> None:
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err


def served(server: EmulatorServer) -> int:
    return int(emulator_stats(server)["items_served"])


def kill_at(proc: subprocess.Popen[str], server: EmulatorServer, items: int) -> bool:
    """SIGKILL ``proc`` once the emulator has served ``items`` items; False if it ended first."""
    wait_for(lambda: proc.poll() is not None or served(server) >= items, 300, f"{items} items")
    if proc.poll() is not None:
        proc.communicate()
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    return True


def change_catalog(server: EmulatorServer, rng: random.Random) -> None:
    """What a sync has to bring: renamed products, a new one, a deleted one."""
    api = Api(server)
    try:
        products = api.products()
        for doc in rng.sample(products, 10):
            name = {"name": [{"locale": "en_US", "scope": None, "data": f"renamed {rng.random()}"}]}
            api.patch_product(doc["uuid"], {"values": name})
        api.delete_product(rng.choice(products)["uuid"])
        api.create_product(f"fault-{rng.randrange(10**9)}", products[0]["family"])
    finally:
        api.close()


def products_once(target: Target) -> int:
    """Live products as stored, duplicates counted (hashes key by uuid and would hide one)."""
    docs = live_docs(target.dest, res.PRODUCTS, target.fmt)
    keys = [str(d.get("uuid")) for d in docs]
    assert len(keys) == len(set(keys)), "a product is stored twice"
    return len(keys)


def kill_and_resume(
    server: EmulatorServer,
    command: str,
    target: Target,
    clean: Target,
    kills: int,
    seed: int,
) -> tuple[str, bool, dict[str, Any]]:
    """Kill ``command`` into ``target`` at ``kills`` seeded points, run it to the end, compare
    with the same command run into ``clean`` without a kill. For ``sync`` both destinations are
    synced once (a full run) and the catalog changed, so the kills hit an incremental run (the
    sync tests show an incremental run equals a fresh export). Returns the outcome, whether
    the hashes are equal, and figures."""
    rng = random.Random(seed)
    if command == "sync":
        for dest in (target, clean):
            finish(start(server, "sync", dest))
        change_catalog(server, rng)
    before = served(server)
    finish(start(server, command, clean))
    span = served(server) - before
    want = hashes(clean.dest, clean.fmt)
    want_products = products_once(clean)

    landed = 0
    for point in sorted(rng.randint(1, span) for _ in range(kills)):
        landed += kill_at(start(server, command, target), server, served(server) + point)
    finish(start(server, command, target))
    got = hashes(target.dest, target.fmt)
    count = products_once(target)
    equal = got == want and count == want_products
    figures = {"kills": landed, "products": count, "expected": want_products}
    outcome = "completed after kills" if landed else "completed (ended before the kill)"
    return outcome, equal, figures
