"""Scale check for the Akeneo emulator: one process serving N products (default 1,000,000).

Starts ``python -m akeneo_sync.emulator.cli`` in a subprocess, then measures
- ready time: from process start until the port answers;
- resident memory (VmRSS / VmHWM from /proc) after start and after the page walk;
- latency of 100-product search_after pages at zero injected latency: the first pages, pages
  deep in the catalog (following ``_links.next`` from a cursor half-way through), and a filtered
  ``updated >`` walk;
- a full uuid-only walk is optional (``--full-walk``) because it takes a while at 1M.

Usage: .venv/bin/python bench/emulator_scale.py [--products 1000000] [--pages 200]
Plain httpx only: this measures the emulator, not the exporter.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from urllib.parse import quote

import httpx
from emulated import free_port


def rss_mb(pid: int) -> tuple[float, float]:
    values = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                key, val = line.split(":")
                values[key] = int(val.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def timed_pages(client: httpx.Client, url: str, pages: int) -> tuple[list[float], str | None]:
    times = []
    for _ in range(pages):
        start = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
        body = r.json()
        assert len(body["_embedded"]["items"]) <= 100
        nxt = body["_links"].get("next", {}).get("href")
        if not nxt:
            return times, None
        url = nxt
    return times, url


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "pages": len(times),
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--full-walk", action="store_true")
    args = parser.parse_args()
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "akeneo_sync.emulator.cli",
        "--port",
        str(port),
        "--products",
        str(args.products),
        "--seed",
        str(args.seed),
    ]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict[str, object] = {
        "products": args.products,
        "command": " ".join(cmd[1:]),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(base + "/_emulator/stats", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() - started > 300:
                    raise RuntimeError("emulator did not start") from None
                time.sleep(0.1)
        results["ready_s"] = round(time.monotonic() - started, 2)
        results["rss_ready_mb"] = round(rss_mb(proc.pid)[0], 1)
        with httpx.Client(base_url=base, timeout=60) as client:
            token = client.post(
                "/api/oauth/v1/token",
                auth=("demo", "demo-secret"),
                json={"grant_type": "password", "username": "demo", "password": "demo"},
            ).json()
            client.headers["Authorization"] = f"Bearer {token['access_token']}"
            first = "/api/rest/v1/products-uuid?pagination_type=search_after&limit=100"
            client.get(first)  # warm-up
            times, _ = timed_pages(client, first, args.pages)
            results["first_pages"] = summary(times)
            # Jump half-way by walking cheap pages (attributes=sku) then time full pages.
            url: str | None = first + "&attributes=sku"
            for _ in range(args.products // 200):
                body = client.get(url).json()
                url = body["_links"].get("next", {}).get("href")
                if url is None:
                    break
            if url:
                deep = url.replace("&attributes=sku", "")
                times, _ = timed_pages(client, deep, args.pages)
                results["deep_pages"] = summary(times)
            flt = quote(
                json.dumps({"updated": [{"operator": ">", "value": "2025-03-01 00:00:00"}]})
            )
            times, _ = timed_pages(client, f"{first}&search={flt}", args.pages)
            results["filtered_updated_pages"] = summary(times)
            times, _ = timed_pages(client, first + "&scope=ecommerce&locales=en_US", args.pages)
            results["scoped_pages"] = summary(times)
            if args.full_walk:
                start = time.monotonic()
                seen: set[str] = set()
                walk: str | None = first + "&attributes=sku"
                while walk:
                    body = client.get(walk).json()
                    seen.update(p["uuid"] for p in body["_embedded"]["items"])
                    walk = body["_links"].get("next", {}).get("href")
                results["full_walk_s"] = round(time.monotonic() - start, 1)
                results["full_walk_unique"] = len(seen)
        rss, peak = rss_mb(proc.pid)
        results["rss_after_mb"] = round(rss, 1)
        results["rss_peak_mb"] = round(peak, 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    results["exit_code"] = proc.returncode
    results["cpus"] = os.cpu_count()
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))
    ok = (
        results["ready_s"] < 60
        and results["rss_peak_mb"] < 4096  # type: ignore[operator]
        and results["first_pages"]["median_ms"] < 50
    )  # type: ignore[index]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
