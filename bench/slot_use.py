"""Slot use: how much of Akeneo's 4 concurrent request slots an export keeps busy.

    .venv/bin/python bench/slot_use.py --products 100000                  # default catalog
    .venv/bin/python bench/slot_use.py --products 100000 --skewed         # 40 families, skew 1.2
    .venv/bin/python bench/slot_use.py --products 100000 --per-item-ms 4  # latency per item
    .venv/bin/python bench/slot_use.py --products 20000 --created-days 0.25  # imported in one go
    .venv/bin/python bench/slot_use.py --products 20000 --seed-script     # side by side

The emulator runs in its own process with ``--max-concurrency 4`` (a fifth call in flight gets a
429) and ``--latency-ms 400`` (or ``--latency-per-item-ms``); ``akeneo-sync export --labels en_US``
into a fresh SQLite file runs as a separate process. The emulator counts every API request and the
time it held a slot (``served_us`` of ``/_emulator/stats``), so:

- ideal = ceil(requests / 4) x latency (fixed latency), or served time / 4 (per-item latency):
  the run's own requests, every slot busy from the first to the last;
- slot use = ideal / wall time (the exporter process, start to exit); the time after its last
  request (sampled each second) is the destination's own finishing work (indexes, commit);
- busy = served time / (4 x wall): the slots' busy share, the emulator's own time included;
- the timeline samples the slots' busy share every second, to show where slots idle.

``--seed-script`` also times the tutorial-style sequential exporter
(``../shared/bench/seed_style_export.py``) against the same emulator, in the same run, and
akeneo-sync once more on the script's scope (``--resources product_models,products`` into one
JSON file, no labels): the same work, for the ratio of wall times.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from emulated import start_emulator

SEED_SCRIPT = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "bench" / "seed_style_export.py"
)
CREDENTIALS = ["demo", "demo-secret", "demo", "demo"]
FLAGS = ["--client-id", "--client-secret", "--username", "--password"]
SEED_SCOPE = "product_models,products"
SCOPED = "akeneo-sync, the script's scope"


def stats(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/_emulator/stats", timeout=30).json())


class Sampler:
    """The slots' busy share per second, from the emulator's served time."""

    def __init__(self, url: str, slots: int) -> None:
        self.url, self.slots = url, slots
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            s = stats(self.url)
            self.samples.append((time.monotonic(), s["served_us"], s["requests"]))

    def last_request(self, began: float) -> float:
        """Seconds from ``began`` to the sample where the request count stopped growing."""
        final = self.samples[-1][2] if self.samples else 0
        return next((t - began for t, _, n in self.samples if n == final), 0.0)

    def timeline(self, began: float, wall: float, parts: int = 10) -> list[float]:
        """Busy share of the slots in each tenth of the run."""
        points = [(began, 0, 0), *self.samples]
        edges = [began + wall * i / parts for i in range(parts + 1)]
        shares = []
        for lo, hi in itertools.pairwise(edges):
            inside = [p for p in points if lo <= p[0] <= hi]
            if len(inside) < 2:
                shares.append(float("nan"))
                continue
            (t0, s0, _), (t1, s1, _) = inside[0], inside[-1]
            shares.append((s1 - s0) / 1e6 / ((t1 - t0) * self.slots) if t1 > t0 else 0.0)
        return shares


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user+sys) and exit code of ``cmd`` as a child process."""
    began = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - began
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        assert proc.stderr is not None
        print(f"  {shlex.join(cmd[:3])} exited {code}: {proc.stderr.read()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, code


def process_cpu(pid: int) -> float:
    """User+sys seconds of a running process so far (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    url: str, cmd: list[str], latency_ms: float, slots: int, emulator: int
) -> dict[str, Any]:
    httpx.post(f"{url}/_emulator/stats/reset", timeout=30)
    began = time.monotonic()
    emulator_began = process_cpu(emulator)
    with Sampler(url, slots) as sampler:
        wall, cpu, code = timed(cmd)
    emulator_cpu = process_cpu(emulator) - emulator_began
    after = stats(url)
    requests = after["requests"]
    served = after["served_us"] / 1e6
    ideal = math.ceil(requests / slots) * latency_ms / 1000 if latency_ms else served / slots
    network = sampler.last_request(began) or wall
    return {
        "code": code,
        "wall": wall,
        "network": min(network, wall),
        "cpu": cpu,
        "emulator_cpu": emulator_cpu,
        "requests": requests,
        "throttled": after["throttled_429"],
        "served": served,
        "ideal": ideal,
        "slot_use": ideal / wall,
        "timeline": sampler.timeline(began, wall),
        "by_resource": after["by_resource"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=400.0)
    parser.add_argument(
        "--per-item-ms",
        type=float,
        default=0.0,
        help="Latency per returned item instead of --latency-ms.",
    )
    parser.add_argument("--skewed", action="store_true", help="--families 40 --family-skew 1.2")
    parser.add_argument(
        "--created-days",
        type=float,
        help="The catalog created within this many days (0.25: imported in one go).",
    )
    parser.add_argument(
        "--seed-script",
        action="store_true",
        help="Also time the sequential seed-style exporter, same emulator.",
    )
    parser.add_argument("--source", default=".", help="Source tree of the exporter measured.")
    parser.add_argument("--extra", default="", help="More export flags, e.g. '--concurrency 4'.")
    args = parser.parse_args()

    latency = 0.0 if args.per_item_ms else args.latency_ms
    emu_args = ["--products", str(args.products), "--max-concurrency", "4"]
    emu_args += ["--latency-ms", str(latency)]
    if args.per_item_ms:
        emu_args += ["--latency-per-item-ms", str(args.per_item_ms)]
    if args.skewed:
        emu_args += ["--families", "40", "--family-skew", "1.2"]
    if args.created_days is not None:
        emu_args += ["--created-days", str(args.created_days)]
    print(f"$ {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"emulator: {shlex.join(emu_args)}")
    proc, url = start_emulator(emu_args)
    results: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(args.source).resolve()
            # -P: the working directory (this checkout) is not put before PYTHONPATH, so the
            # exporter imports --source's tree, not this one.
            exporter = [sys.executable, "-P", "-c", "from akeneo_sync.cli import main; main()"]

            def export(*flags: str) -> list[str]:
                login = (part for pair in zip(FLAGS, CREDENTIALS, strict=True) for part in pair)
                cmd = [*exporter, "export", *flags, "--url", url, *login, "--quiet"]
                return ["env", f"PYTHONPATH={source}", *cmd, *shlex.split(args.extra)]

            everything = export("--to", f"{tmp}/catalog.db", "--labels", "en_US")
            results["akeneo-sync"] = measure(url, everything, latency, 4, proc.pid)
            if args.seed_script:
                # The script's own scope: product models and products, merged, one JSON file.
                same = export("--to", f"{tmp}/catalog.json", "--resources", SEED_SCOPE)
                results[SCOPED] = measure(url, same, latency, 4, proc.pid)
                seed = [
                    sys.executable,
                    str(SEED_SCRIPT.resolve()),
                    url,
                    *CREDENTIALS,
                    f"{tmp}/seed.json",
                ]
                results["seed-style"] = measure(url, seed, latency, 1, proc.pid)
    finally:
        proc.terminate()
        proc.wait()

    print()
    print(
        "| exporter | requests | 429s | ideal s | wall s | slot use | busy | "
        "after the last request s | CPU s | ms CPU/product | emulator CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        slots = 1 if name == "seed-style" else 4
        print(
            f"| {name} | {r['requests']:,} | {r['throttled']} | {r['ideal']:.1f} | "
            f"{r['wall']:.1f} | {r['slot_use']:.1%} | {r['served'] / slots / r['wall']:.1%} | "
            f"{r['wall'] - r['network']:.1f} | {r['cpu']:.1f} | "
            f"{r['cpu'] / args.products * 1000:.3f} | {r['emulator_cpu']:.1f} |"
        )
    for name, r in results.items():
        line = " ".join("  -  " if math.isnan(x) else f"{x:4.0%}" for x in r["timeline"])
        print(f"\n{name} busy slots per tenth of the run: {line}")
        print(f"{name} requests by resource: {r['by_resource']}")
    if "seed-style" in results:
        print()
        for name, r in results.items():
            if name != "seed-style":
                ratio = results["seed-style"]["wall"] / r["wall"]
                print(f"{name} is {ratio:.2f}x the seed-style script's speed (wall time ratio)")
    print(f"load at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
