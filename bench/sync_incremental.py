"""Incremental sync vs full export: requests and time after 1% of the products changed.

    .venv/bin/python bench/sync_incremental.py --products 20000 --latency-ms 40

An emulator on loopback with a fixed latency per request; a full sync into a fresh SQLite file;
1% of the products (spread over every family, simple and variant) edited through the API (PATCH
collections of 100); then an incremental sync with the default options (the reference data was
read whole less than an hour ago, so it is not re-read) and the next one as it goes once an hour
(``reconcile_every=1``: the reference data re-read whole and diffed). Both count the products
and models upstream to look for deletions. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from akeneo_sync.client import AkeneoClient
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.run import ExportOptions, Report, sync
from akeneo_sync.sinks import open_sink


def client_for(server: EmulatorServer) -> AkeneoClient:
    return AkeneoClient(**server.credentials())


def run(server: EmulatorServer, dest: str, options: ExportOptions) -> tuple[Report, float]:
    async def go() -> Report:
        async with client_for(server) as client:
            return await sync(client, open_sink(dest), options)

    started = time.perf_counter()
    summary = asyncio.run(go())
    return summary, time.perf_counter() - started


def change_products(server: EmulatorServer, share: float) -> int:
    """Edit ``share`` of the products through the API, evenly spread; returns how many."""
    cfg = server.config
    with httpx.Client(base_url=server.url, timeout=60) as http:
        token = http.post(
            "/api/oauth/v1/token",
            auth=(cfg.client_id, cfg.secret),
            json={"grant_type": "password", "username": cfg.username, "password": cfg.password},
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        uuids: list[str] = []
        url: str | None = "/api/rest/v1/products-uuid?pagination_type=search_after&limit=100"
        while url:
            body = http.get(url).json()
            uuids += [p["uuid"] for p in body["_embedded"]["items"]]
            url = body["_links"].get("next", {}).get("href")
        step = max(1, round(1 / share))
        chosen = uuids[::step]
        value = {"name": [{"locale": "en_US", "scope": None, "data": "changed by the bench"}]}
        for start in range(0, len(chosen), 100):
            lines = [json.dumps({"uuid": u, "values": value}) for u in chosen[start : start + 100]]
            r = http.patch(
                "/api/rest/v1/products-uuid",
                content="\n".join(lines),
                headers={"Content-Type": "application/vnd.akeneo.collection+json"},
            )
            r.raise_for_status()
        return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--share", type=float, default=0.01, help="Share of products changed.")
    parser.add_argument("--labels", default="en_US")
    args = parser.parse_args()

    config = EmulatorConfig(port=0, products=args.products, seed=1, latency_ms=args.latency_ms)
    options = ExportOptions(labels=args.labels or None)  # the defaults: reconcile_every=1h
    hourly = replace(options, reconcile_every=1)
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(config) as server:
        dest = str(Path(tmp) / "catalog.db")
        full, full_s = run(server, dest, options)
        changed = change_products(server, args.share)
        light, light_s = run(server, dest, options)
        heavy, heavy_s = run(server, dest, hourly)

    rows = [("full export (first sync)", full, full_s)]
    rows += [("incremental (default)", light, light_s)]
    rows += [("incremental re-reading the reference data (hourly)", heavy, heavy_s)]
    print(
        f"{args.products:,} products, {args.latency_ms:g} ms latency per request, "
        f"{changed:,} products changed ({args.share:.0%}), SQLite, labels {args.labels}\n"
    )
    print("| run | requests | % of full | seconds | % of full | products written |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, summary, seconds in rows:
        print(
            f"| {name} | {summary.requests:,} | {summary.requests / full.requests:.1%} "
            f"| {seconds:.2f} | {seconds / full_s:.1%} | {summary.counts.get('products', 0):,} |"
        )
    print()
    for name, summary, _ in rows[1:]:
        print(f"{name}: " + "; ".join(f"{k}: {v}" for k, v in summary.how.items() if k in SHOWN))


SHOWN = ("products", "product_models", "attributes", "attribute_options", "deletions")

if __name__ == "__main__":
    main()
