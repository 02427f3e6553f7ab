"""Peak memory of a full export does not grow with the number of products.

Runs the emulator in its own process (so its memory is not counted), then, for each catalog size,
a fresh exporter process that exports the whole catalog into SQLite and reports its own peak RSS.

    .venv/bin/python bench/export_memory.py --sizes 20000 100000 [--to out]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from emulated import free_port

CHILD = r"""
import asyncio, json, sys, time
from akeneo_sync.client import AkeneoClient
from akeneo_sync.sinks import open_sink
from akeneo_sync.run import ExportOptions, export

async def main():
    async with AkeneoClient(sys.argv[1], client_id="demo", client_secret="demo-secret",
                            username="demo", password="demo") as client:
        return await export(client, open_sink(sys.argv[2]), ExportOptions(labels="en_US"))

started = time.monotonic()
summary = asyncio.run(main())
print(json.dumps({
    "products": summary.counts.get("products", 0),
    "models": summary.counts.get("product_models", 0),
    "requests": summary.requests,
    "seconds": round(time.monotonic() - started, 1),
    # VmHWM is this process's own peak; ru_maxrss would also count what ran before exec().
    "peak_rss_mb": round(int(next(l for l in open("/proc/self/status")
                                  if l.startswith("VmHWM")).split()[1]) / 1024, 1),
}))
"""


def run(size: int, latency_ms: float, dest: str) -> dict[str, float]:
    port = free_port()
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "akeneo_sync",
            "emulator",
            "--port",
            str(port),
            "--products",
            str(size),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        for line in emulator.stdout:
            if re.search(r"base URL", line):
                break
        # Keep draining its output so it never blocks on a full pipe.
        threading.Thread(target=emulator.stdout.read, daemon=True).start()
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [
                    sys.executable,
                    "-P",  # not this checkout before PYTHONPATH: the tree under test
                    "-c",
                    CHILD,
                    f"http://127.0.0.1:{port}",
                    os.path.join(tmp, dest),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--to", default="catalog.db", help="catalog.db (SQLite) or out (JSONL)")
    args = parser.parse_args()
    results = [run(size, args.latency_ms, args.to) for size in args.sizes]
    print(f"{'products':>10} {'models':>8} {'requests':>9} {'seconds':>8} {'peak RSS MB':>12}")
    for r in results:
        print(
            f"{r['products']:>10,} {r['models']:>8,} {r['requests']:>9,} {r['seconds']:>8} "
            f"{r['peak_rss_mb']:>12}"
        )
    base = results[0]
    for r in results[1:]:
        print(
            f"{r['products'] / base['products']:.0f}x the products -> "
            f"{r['peak_rss_mb'] / base['peak_rss_mb']:.2f}x the peak RSS"
        )


if __name__ == "__main__":
    main()
