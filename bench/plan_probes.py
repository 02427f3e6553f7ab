"""What planning a listing costs: probes, parts, the pages the parts take, and the time to plan.

    .venv/bin/python bench/plan_probes.py --source ../other-tree --source .
    .venv/bin/python bench/plan_probes.py --source . --products 100000 --latency-ms 0
    .venv/bin/python bench/plan_probes.py --source . --created-days 0.25   # imported in one go

Against one emulator (``--max-concurrency 4``, ``--latency-ms 400`` by default), each source
tree plans the product-model listing (one part a slot, as an export does) and the product
listing (two a slot, small parts last) in a process of its own (``python -P``, the tree on
``PYTHONPATH``), then prints, per listing: the requests the plan made (the count included),
the parts, the pages they take to read (a part of n documents takes n // 100 + 1 pages), and
the wall time of the plan. Every part is a cursor's last page that is not full, and every probe
a request that brings no document, so both add to the requests an export makes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

from emulated import start_emulator

CHILD = r"""
import asyncio, json, sys, time
from akeneo_sync import plan
from akeneo_sync.client import AkeneoClient

async def main():
    found = {}
    async with AkeneoClient(sys.argv[1], client_id="demo", client_secret="demo-secret",
                            username="demo", password="demo") as client:
        await client.count("locales")  # the token, outside the figures
        for resource, per_slot, tail in (("product_models", 1, False), ("products", 2, True)):
            before, began = client.stats.requests, time.perf_counter()
            parts = await plan.plan(client, resource, {}, per_slot=per_slot, tail=tail)
            sizes = [p.size or 0 for p in parts]
            found[resource] = {
                "requests": client.stats.requests - before,
                "parts": len(parts),
                "pages": sum(s // 100 + 1 for s in sizes),
                "documents": sum(sizes),
                "seconds": time.perf_counter() - began,
            }
    print(json.dumps(found))

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", required=True)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=400.0)
    parser.add_argument("--created-days", type=float)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    emu_args = ["--products", str(args.products), "--max-concurrency", "4"]
    emu_args += ["--latency-ms", str(args.latency_ms)]
    if args.created_days is not None:
        emu_args += ["--created-days", str(args.created_days)]
    print(f"$ {shlex.join([Path(sys.executable).name, *sys.argv])}")
    python = platform.python_version()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {python}")
    print(f"emulator: {shlex.join(emu_args)}")
    emulator, url = start_emulator(emu_args)
    rows = []
    try:
        for _ in range(args.repeat):
            for source in args.source:
                env = dict(os.environ, PYTHONPATH=str(Path(source).resolve()))
                out = subprocess.run(
                    [sys.executable, "-P", "-c", CHILD, url],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                rows.append((source, json.loads(out)))
    finally:
        emulator.terminate()
        emulator.wait()
    print()
    print("| source | listing | documents | requests | parts | pages | plan, s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for source, found in rows:
        for resource, r in found.items():
            print(
                f"| {source} | {resource} | {r['documents']:,} | {r['requests']} | {r['parts']} "
                f"| {r['pages']:,} | {r['seconds']:.2f} |"
            )


if __name__ == "__main__":
    main()
