"""The fault suite's scenarios, shared by its tests (a short version) and by
``bench/fault_suite.py`` (the long one): each runs an export under one injected fault and
returns a ``Row`` of the figures table in ``docs/reliability.md``.

"Equal" always means the per-resource canonical hashes of ``tests/sync/sync_helpers.py`` against
a clean export of the same emulator: a fault may cost time and retries, never content.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))

from sync_helpers import hashes

from akeneo_sync.client import AkeneoClient
from akeneo_sync.client.http import RetryPolicy
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.errors import AkeneoSyncError
from akeneo_sync.run import ExportOptions, Report, export
from akeneo_sync.sinks import open_sink

CLI = [sys.executable, "-m", "akeneo_sync"]
# Short waits so that a fault suite of hundreds of retries stays within seconds; the policy's
# shape (8 attempts, jittered exponential backoff, Retry-After honoured) is the product's.
FAST_RETRY = RetryPolicy(attempts=8, initial=0.02, max_wait=0.5)


@dataclass
class Row:
    """One line of the figures table."""

    fault: str
    injected: str
    runs: int = 0
    outcomes: list[str] = field(default_factory=list)
    equal: int = 0
    notes: list[str] = field(default_factory=list)
    # Figures summed over the runs (faults injected, retries): shown after the outcome.
    totals: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str, equal: bool, note: str = "", **figures: int) -> None:
        self.runs += 1
        self.outcomes.append(outcome)
        self.equal += int(equal)
        self.totals.update(figures)
        if note:
            self.notes.append(note)

    @property
    def ok(self) -> bool:
        return self.runs > 0 and self.equal == self.runs

    def markdown(self) -> str:
        kinds = sorted(set(self.outcomes))
        outcome = "; ".join(f"{k} ({self.outcomes.count(k)})" for k in kinds)
        summed = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.totals.items() if v)
        notes = "; ".join(([f"in all runs: {summed}"] if summed else []) + self.notes[-1:])
        notes = f" — {notes}" if notes else ""
        return (
            f"| {self.fault} | {self.injected} | {self.runs} | {outcome}{notes} | "
            f"{self.equal}/{self.runs} equal |"
        )


def emulator(products: int, seed: int, **faults: Any) -> EmulatorServer:
    return EmulatorServer(EmulatorConfig(port=0, products=products, seed=seed, **faults))


def cli_args(server: EmulatorServer, *args: str) -> list[str]:
    flags = server.credentials().items()
    return [*CLI, *args, *(p for k, v in flags for p in (f"--{k.replace('_', '-')}", v))]


def set_faults(server: EmulatorServer, **changes: Any) -> None:
    r = httpx.post(f"{server.url}/_emulator/faults", json=changes, timeout=10)
    assert r.status_code < 300, r.text


def emulator_stats(server: EmulatorServer) -> dict[str, Any]:
    return dict(httpx.get(f"{server.url}/_emulator/stats", timeout=10).json())


def library_export(server: EmulatorServer, dest: str, timeout: float = 60.0) -> Report:
    """An export through the library, with the client's ``timeout`` (the knob a stall needs)."""

    async def go() -> Report:
        creds = server.credentials()
        async with AkeneoClient(**creds, timeout=timeout, retry=FAST_RETRY) as client:
            return await export(client, open_sink(dest), ExportOptions(labels="en_US"))

    return asyncio.run(go())


@contextmanager
def clock_pusher(server: EmulatorServer, step: float, every: float) -> Iterator[list[int]]:
    """Move the emulator's clock on by ``step`` seconds every ``every`` seconds while the body
    runs, so a 5 s token expires many times without the test waiting for it."""
    stop = threading.Event()
    pushes = [0]

    def push() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            while not stop.wait(every):
                http.post("/_emulator/clock", json={"advance": step})
                pushes[0] += 1

    thread = threading.Thread(target=push, daemon=True)
    thread.start()
    try:
        yield pushes
    finally:
        stop.set()
        thread.join(timeout=10)


# name -> (how it is injected, emulator faults, client timeout)
EMULATOR_FAULTS: dict[str, tuple[str, dict[str, Any], float]] = {
    "5xx": ("`error_rate=0.1`: 10% of answers 500/502/503", {"error_rate": 0.1}, 60.0),
    "cut mid-body": ("`drop_rate=0.01`: 1% of connections cut mid-body", {"drop_rate": 0.01}, 60.0),
    "429 with Retry-After": (
        "`max_concurrency=2`, `latency_ms=20`, `retry_after=true` (1 s): 429s at 4 in flight",
        {"max_concurrency": 2, "latency_ms": 20, "retry_after": True, "retry_after_seconds": 1},
        60.0,
    ),
    "429 without Retry-After": (
        "`max_concurrency=2`, `latency_ms=20`, `retry_after=false`: 429s, backoff only",
        {"max_concurrency": 2, "latency_ms": 20, "retry_after": False},
        60.0,
    ),
    # The timeout is small, but not so small that a loaded machine's ordinary answers miss it
    # too: at 0.5 s, one run in three of the long version gave up after its 8 attempts while
    # the test suite ran beside it.
    "slower than the timeout": (
        "`stall_rate=0.02`, `stall_ms=5000`; client `timeout=1.5`",
        {"stall_rate": 0.02, "stall_ms": 5000},
        1.5,
    ),
    "200, JSON cut short": ("`truncate_rate=0.02`", {"truncate_rate": 0.02}, 60.0),
}


def clean_export(server: EmulatorServer, tmp: Path) -> dict[str, str]:
    dest = tmp / "clean.db"
    if not dest.exists():
        library_export(server, str(dest))
    return hashes(str(dest))


def run_emulator_fault(
    name: str, products: int, seed: int, runs: int, tmp: Path, row: Row | None = None
) -> Row:
    """Export ``runs`` times under fault ``name`` (each run a fresh emulator seed); every run
    must complete with the clean run's content."""
    injected, faults, timeout = EMULATOR_FAULTS[name]
    row = row or Row(name, injected)
    for i in range(runs):
        with emulator(products, seed + i) as server:
            base = tmp / f"{name.replace(' ', '_')}-{i}"
            base.mkdir(parents=True)
            want = clean_export(server, base)
            set_faults(server, **faults)
            try:
                report = library_export(server, str(base / "faulted.db"), timeout=timeout)
            except AkeneoSyncError as exc:  # a figure of the table, not the end of it
                row.add(f"FAILED: …{str(exc)[-160:]}", False)
                continue
            stats = emulator_stats(server)
            equal = hashes(str(base / "faulted.db")) == want
            injected = {k: int(stats[k]) for k in INJECTED}
            row.add("completed", equal, **injected, client_retries=report.retries)
    return row


# The emulator's counters of injected faults (``/_emulator/stats``).
INJECTED = ("injected_errors", "dropped", "truncated", "stalled", "throttled_429")


def run_token_expiry(products: int, seed: int, runs: int, tmp: Path) -> Row:
    """A 5 s token with refresh-token rotation, the emulator's clock running 4 times as fast
    (pushed 1 s on every 0.25 s): the token is refused mid-run again and again, refreshed,
    replayed. Not faster: a token that expires within a few hundred milliseconds of real time
    can expire again between its refresh and the replay, which no server clock does."""
    row = Row(
        "token expiry",
        "`token_ttl=5`, refresh tokens rotated; the clock 4× as fast "
        "(`POST /_emulator/clock {advance: 1}` every 0.25 s)",
    )
    for i in range(runs):
        with emulator(products, seed + i) as server:
            base = tmp / f"token-{i}"
            base.mkdir(parents=True)
            want = clean_export(server, base)
            set_faults(server, token_ttl=5)
            with clock_pusher(server, step=1, every=0.25) as pushes:
                try:
                    library_export(server, str(base / "faulted.db"))
                except AkeneoSyncError as exc:  # a figure of the table, not the end of it
                    row.add(f"FAILED: …{str(exc)[-160:]}", False, clock_pushes=pushes[0])
                    continue
            stats = emulator_stats(server)
            equal = hashes(str(base / "faulted.db")) == want
            row.add(
                "completed",
                equal,
                clock_pushes=pushes[0],
                tokens_issued=int(stats["tokens_issued"]),
                token_refreshes=int(stats["token_refreshes"]),
            )
    return row


def wait_for(condition: Callable[[], bool], deadline: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` once ``deadline`` seconds pass."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline} s waiting for {what}")
        time.sleep(0.02)
