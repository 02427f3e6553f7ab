"""Event-driven sync: from a PATCH in Akeneo to the change committed in the destination.

Runs the emulator (its own process, ``--latency-ms`` on every request), subscribes a
``akeneo-sync listen`` process (SQLite with labels) through the emulator's Event Platform, then
PATCHes products through the REST API at each ``--rates`` (events/s) for ``--seconds``. A poller
reads the destination and times every change from the PATCH's answer to its commit. Then, with
``--loss`` of the events dropped by the platform, it checks that the next reconciling sync of
``listen`` brings every change in. Prints p50/p95 latency, the backlog over time, and the requests
``listen`` made to Akeneo per 1,000 product events beside those of one incremental ``sync`` over
the same number of changes (what ``sync --every`` pays for them).

    .venv/bin/python bench/events_latency.py --products 100000 --latency-ms 100 \\
        --rates 10 100 --seconds 300 --loss 0.01
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from emulated import free_port

CLI = [sys.executable, "-m", "akeneo_sync"]
CREDS = [
    "--client-id",
    "demo",
    "--client-secret",
    "demo-secret",
    "--username",
    "demo",
    "--password",
    "demo",
]


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of process ``pid`` (this process when None) so far."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)
    return result


class Api:
    """The load generator's own Akeneo client (plain httpx)."""

    def __init__(self, url: str) -> None:
        self.url = url
        token = httpx.post(
            f"{url}/api/oauth/v1/token",
            auth=("demo", "demo-secret"),
            json={"grant_type": "password", "username": "demo", "password": "demo"},
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def uuids(self, count: int) -> list[str]:
        out: list[str] = []
        url: str | None = f"{self.url}/api/rest/v1/products-uuid"
        params: dict[str, Any] | None = {
            "limit": 100,
            "pagination_type": "search_after",
            "attributes": "sku",
        }
        while url and len(out) < count:
            body = httpx.get(url, params=params, headers=self.headers, timeout=60).json()
            out += [p["uuid"] for p in body["_embedded"]["items"]]
            url, params = body["_links"].get("next", {}).get("href"), None
        return out

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_emulator/stats").json())

    def events(self, **changes: Any) -> None:
        httpx.post(f"{self.url}/_emulator/events", json=changes).raise_for_status()


def names(db: Path, uuids: list[str]) -> dict[str, str]:
    """The en_US name each product has in the destination now (picked out by SQLite: decoding
    whole documents in Python, several times a second, took a good part of a core that the
    emulator and listen share)."""
    if not uuids:
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute(
                "SELECT uuid, json_extract(document, '$.values.name') FROM products "
                f"WHERE uuid IN ({','.join('?' * len(uuids))})",
                uuids,
            ).fetchall()
    except sqlite3.Error:
        return {}
    out = {}
    for uuid, name in rows:
        for value in json.loads(name) if name else ():
            if value.get("locale") == "en_US":
                out[uuid] = str(value.get("data"))
    return out


def queues(api: Api, listen_url: str) -> tuple[int, int]:
    """(events the platform has not delivered yet, events listen holds not applied yet)."""
    platform = httpx.get(f"{api.url}/_emulator/events", timeout=10).json()
    spool = httpx.get(f"{listen_url}/healthz", timeout=10).json()
    return int(platform.get("pending") or 0), int(spool.get("pending") or 0)


async def load(
    api: Api, pool: list[str], rate: float, seconds: float, db: Path, tag: str, listen_url: str
) -> dict[str, Any]:
    """PATCH at ``rate`` for ``seconds``; time each change until the destination shows it."""
    sent: dict[str, tuple[str, float]] = {}  # uuid -> (marker, answered at)
    latencies: list[float] = []
    backlog: list[tuple[float, int]] = []
    where: list[tuple[int, int]] = []  # (platform queue, listen's spool), once a second
    rng = random.Random(7)
    done = asyncio.Event()

    async def patch(client: httpx.AsyncClient, uuid: str, marker: str) -> None:
        value = [{"locale": "en_US", "scope": None, "data": marker}]
        response = await client.patch(
            f"/api/rest/v1/products-uuid/{uuid}", json={"values": {"name": value}}
        )
        response.raise_for_status()
        sent[uuid] = (marker, time.monotonic())

    async def poll() -> None:
        while not (done.is_set() and not sent):
            seen = await asyncio.to_thread(names, db, list(sent)[:900])
            now = time.monotonic()
            for uuid, name in seen.items():
                marker, at = sent.get(uuid, ("", 0.0))
                if name == marker:
                    latencies.append(now - at)
                    del sent[uuid]
            backlog.append((now, len(sent)))
            if done.is_set() and now > finished_at + 120:
                break  # what is still missing after two minutes is lost
            await asyncio.sleep(0.1)

    async def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(httpx.HTTPError):
                where.append(await asyncio.to_thread(queues, api, listen_url))
            await asyncio.sleep(1.0)

    finished_at = float("inf")
    async with httpx.AsyncClient(base_url=api.url, headers=api.headers, timeout=60) as client:
        poller = asyncio.create_task(poll())
        sampler = asyncio.create_task(sample())
        started = time.monotonic()
        tasks = []
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            uuid = rng.choice(pool)
            tasks.append(asyncio.create_task(patch(client, uuid, f"{tag}-{n}")))
        await asyncio.gather(*tasks)
        finished_at = time.monotonic()
        done.set()
        await poller
        drained = time.monotonic()
        await sampler
    ordered = sorted(latencies)
    q = statistics.quantiles(ordered, n=20) if len(ordered) >= 20 else ordered or [0.0]
    return {
        "events": len(tasks),
        "applied": len(ordered),
        "missing": len(sent),
        "p50_s": round(statistics.median(ordered), 3) if ordered else None,
        "p95_s": round(q[-1], 3),
        "max_backlog": max((b for _, b in backlog), default=0),
        # The largest backlog within each minute of the load: growing means not keeping up.
        "max_backlog_by_minute": [
            max((b for t, b in backlog if int((t - started) // 60) == m), default=0)
            for m in range(max(1, int(seconds // 60)))
        ],
        "backlog_at_end": backlog[-1][1] if backlog else 0,
        # Where the backlog waits: in the platform's delivery queue or in listen's spool.
        "max_platform_queue": max((p for p, _ in where), default=0),
        "max_listen_spool": max((q for _, q in where), default=0),
        "drained_after_s": round(drained - finished_at, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 100])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--loss", type=float, default=0.01)
    parser.add_argument("--pool", type=int, default=5000, help="products the load edits")
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (databases, spool)"
    )
    parser.add_argument(
        "--no-polled",
        action="store_true",
        help="skip the comparison with sync --every 1m (one light sync per rate)",
    )
    parser.add_argument(
        "--delivery-concurrency",
        type=int,
        default=1,
        help="deliveries the emulated platform keeps in flight (Akeneo does not say; 1 = serial)",
    )
    args = parser.parse_args()
    print("command:", " ".join(sys.argv))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    work = Path(tempfile.mkdtemp(prefix="akeneo-events-bench-"))
    port, lport = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    *CLI,
                    "emulator",
                    "--port",
                    str(port),
                    "--products",
                    str(args.products),
                    "--latency-ms",
                    str(args.latency_ms),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_for(lambda: _up(url), 300, "the emulator")
        api = Api(url)
        secrets = work / "events.toml"
        subprocess.run(
            [
                *CLI,
                "events",
                "subscribe",
                "--destination-url",
                f"http://127.0.0.1:{lport}/",
                "--email",
                "bench@example.com",
                "--events-url",
                f"{url}/event-platform/api/v1",
                "--secrets-file",
                str(secrets),
                "--url",
                url,
                *CREDS,
            ],
            check=True,
            capture_output=True,
        )
        api.events(concurrency=args.delivery_concurrency)
        db = work / "catalog.db"
        listen = f"http://127.0.0.1:{lport}"
        clock = time.monotonic()
        procs.append(start_listen(db, lport, secrets, url))
        wait_for(lambda: _synced(db), 3600, "listen's first sync")
        print(f"first sync of {args.products:,} products: {time.monotonic() - clock:.0f} s")
        pool = api.uuids(args.pool)
        for rate in args.rates:
            before = api.stats()
            pids = {"listen": procs[1].pid, "emulator": procs[0].pid, "load generator": None}
            cpu = {who: cpu_seconds(pid) for who, pid in pids.items()}
            wall = time.monotonic()
            result = asyncio.run(load(api, pool, rate, args.seconds, db, f"r{rate:g}", listen))
            wall = time.monotonic() - wall
            after = api.stats()
            # CPU per event: what bounds the rate on a small machine (the load, the emulator
            # serving it and signing/POSTing each event, and listen share the cores).
            result["cpu_ms_per_event"] = {
                who: round(1000 * (cpu_seconds(pid) - cpu[who]) / max(1, result["events"]), 2)
                for who, pid in pids.items()
            }
            result["cpu_share"] = {
                who: round((cpu_seconds(pid) - cpu[who]) / wall, 2) for who, pid in pids.items()
            }
            # The load's own PATCHes and its token are the emulator's requests too.
            own = result["events"]
            requests = after["requests"] - before["requests"] - own
            result["listen_requests_per_1000"] = round(1000 * requests / max(1, own), 1)
            result["listen_requests_by_resource"] = {
                k: v - before["by_resource"].get(k, 0)
                for k, v in after["by_resource"].items()
                if v != before["by_resource"].get(k, 0)
            }
            print(f"rate {rate:g}/s for {args.seconds:g} s:", json.dumps(result))
        # What sync --every 1m pays for the same changes: one incremental run (the default,
        # light one: reference data from the destination plus what changed) over a minute of
        # edits at each rate, into a destination of its own that listen does not write.
        other = work / "polled.db"
        compared = [] if args.no_polled else args.rates
        # A copy of listen's destination, brought up to date by one sync: cheaper than a
        # second full export, and the same content.
        sync = [*CLI, "sync", "--to", str(other), "--labels", "en_US", "-q", "--url", url, *CREDS]
        if compared:
            with sqlite3.connect(db) as source, sqlite3.connect(other) as copy:
                source.backup(copy)
                copy.execute("DELETE FROM _akeneo_sync_lock")  # listen's, if a batch held it
            subprocess.run(sync, check=True, capture_output=True)
        for rate in compared:
            changes = int(rate * 60)
            asyncio.run(load(api, pool, rate, 60, db, f"poll{rate:g}", listen))
            subprocess.run(sync, check=True, capture_output=True)
            # The sync's own count, from its run history: listen may still be applying a
            # backlog meanwhile, so the emulator's total would count its requests too.
            run = last_run(other)
            polled = int(run["requests"])
            print(
                f"sync --every 1m at {rate:g} events/s: one light incremental sync after {changes} "
                f"changes made {polled} requests = {1000 * polled / changes:.1f} per 1,000 "
                f"changes; it wrote {run['written']} (its cursor overlaps the runs before it by "
                f"--overlap, 5 minutes by default)"
            )
        if args.loss:
            api.events(loss_rate=args.loss)
            lost = asyncio.run(load(api, pool, min(args.rates), 60, db, "lost", listen))
            lost.pop("max_backlog_by_minute", None)
            api.events(loss_rate=0.0)
            print(f"with {args.loss:.0%} of the events lost:", json.dumps(lost))
            print("repair: restart listen, whose first act is a reconciling sync")
            procs[1].terminate()
            procs[1].wait(timeout=60)
            marker = {u: v for u, v in names(db, pool).items()}
            procs[1] = start_listen(db, lport, secrets, url)
            upstream = {u: n for u, n in _upstream_names(api, pool).items()}
            wait_for(lambda: names(db, pool) == upstream, 600, "the reconciling sync")
            changed = sum(1 for u in pool if marker.get(u) != upstream.get(u))
            print(
                f"after the reconciling sync every product of the pool equals Akeneo "
                f"({changed} differed before it)"
            )
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=60)
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)  # gigabytes at 100,000 products


def start_listen(db: Path, port: int, secrets: Path, url: str) -> subprocess.Popen[bytes]:
    """``akeneo-sync listen`` into ``db`` (SQLite, labels), its reconciling sync at start."""
    args = [
        *CLI,
        "listen",
        "--to",
        str(db),
        "--port",
        str(port),
        "--labels",
        "en_US",
        "--secrets-file",
        str(secrets),
        "--reconcile-every",
        "1h",
        "-q",
        "--url",
        url,
        *CREDS,
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_emulator/stats", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _synced(db: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT state FROM _akeneo_sync_state").fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and "cursors" in json.loads(row[0])


def last_run(db: Path) -> dict[str, Any]:
    """The newest entry of the destination's run history."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        row = conn.execute("SELECT entry FROM _akeneo_sync_runs ORDER BY seq DESC").fetchone()
    return dict(json.loads(row[0]))


def _upstream_names(api: Api, pool: list[str]) -> dict[str, str]:
    out = {}
    for start in range(0, len(pool), 100):
        chunk = pool[start : start + 100]
        search = json.dumps({"uuid": [{"operator": "IN", "value": chunk}]})
        body = httpx.get(
            f"{api.url}/api/rest/v1/products-uuid",
            headers=api.headers,
            params={"search": search, "limit": 100},
            timeout=60,
        ).json()
        for product in body["_embedded"]["items"]:
            for value in product["values"].get("name", []):
                if value.get("locale") == "en_US":
                    out[product["uuid"]] = str(value.get("data"))
    return out


if __name__ == "__main__":
    main()
