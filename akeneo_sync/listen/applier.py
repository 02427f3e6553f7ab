"""From the spool to the destination: small batches of events, applied under its lock.

The applier wakes when events arrive, lets more join them until the oldest has waited
``batch_wait`` (a burst of edits becomes one fetch of 100 products, not a hundred), and hands
the batch to ``run.apply.apply_changes``, which fetches the current state of everything the
events name and writes it through the sink's lifecycle, committing with it the state ``record``
gives: how many events were applied, the last one, the lag and the ids of the batch. Only then
are the events marked applied in the spool. A crash in between leaves them pending: they are
applied again (harmless, every write is an upsert of the current state), unless the
destination's state already names them (``recover``).

The parent models of variants are kept across batches (``ModelCache``): from the destination or
Akeneo once, then trusted until a product-model event names them or their root, or a
reconciling sync runs; a batch of product events then costs one request per 100 products.

A batch that fails (Akeneo unreachable, the destination locked by another run or down) stays in
the spool and is retried after a growing pause; a destination that no sync has completed yet
makes the events wait for the first reconciling run. A created product that Akeneo does not
return yet (its search index lags writes) is asked for again a little later, a few times; the
reconciling run catches what is still missing after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from akeneo_sync.client import AkeneoClient
from akeneo_sync.errors import AkeneoSyncError, LockedError
from akeneo_sync.listen.spool import Spool, Spooled
from akeneo_sync.run.apply import apply_changes
from akeneo_sync.run.changes import Changes
from akeneo_sync.run.context import Reference
from akeneo_sync.run.modelstore import ModelCache
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.sinks.base import Sink

log = logging.getLogger("akeneo_sync.listen")

PIM = "com.akeneo.pim.v1."
UNSEEN_RETRIES = (5.0, 30.0, 120.0)
"""Seconds before asking again for a created product Akeneo did not return yet."""
MAX_PAUSE = 60.0


def changes_of(events: Iterable[Spooled]) -> tuple[Changes, dict[str, list[Spooled]]]:
    """What the events name, and per product uuid the ``created`` events naming it. Keys only
    on ``type`` and ``data`` (the platform's other fields have drifted across versions); event
    types that do not change an exported document are ignored (the reconciling run covers
    them)."""
    changes = Changes()
    created: dict[str, list[Spooled]] = {}
    for event in events:
        kind = event.type.removeprefix(PIM)
        data = _data(event.body)
        if kind.startswith("product."):
            uuid = _get(data, "product", "uuid")
            if uuid:
                changes.products.add(uuid)
                if kind == "product.created":
                    changes.created.add(uuid)
                    created.setdefault(uuid, []).append(event)
        elif kind.startswith("product-model."):
            # The examples say data.product_model, one table data.product: take either.
            code = _get(data, "product_model", "code") or _get(data, "product", "code")
            if code:
                changes.models.add(code)
        elif kind.startswith("attribute-option."):
            code = _get(data, "attribute_option", "code")
            attribute = _get(data, "attribute_option", "attribute", "code")
            if code and attribute:
                changes.options.add((attribute, code))
        elif kind.startswith("category."):
            code = _get(data, "category", "code")
            if code:
                changes.categories.add(code)
    return changes, created


def _data(body: bytes) -> Mapping[str, Any]:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    data = event.get("data") if isinstance(event, dict) else None
    return data if isinstance(data, dict) else {}


def _get(data: Any, *path: str) -> str | None:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) and data else None


@dataclass
class ApplierStatus:
    applied: int = 0
    ignored: int = 0
    batches: int = 0
    failures: int = 0
    last_applied_at: str | None = None
    last_error: str | None = None
    waiting_for_sync: bool = False
    counts: dict[str, int] = field(default_factory=dict)


class Applier:
    def __init__(
        self,
        spool: Spool,
        client: AkeneoClient,
        connect: Callable[[], Sink],
        options: ExportOptions,
        lock: asyncio.Lock,
        *,
        batch_size: int = 500,
        batch_wait: float = 1.0,
        models_max_age: float = 600.0,
    ) -> None:
        self.spool = spool
        self.client = client
        self.connect = connect
        self.options = options
        self.lock = lock
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.status = ApplierStatus()
        self.reference: Reference | None = None
        self.models = ModelCache(models_max_age)
        """The parent models read by earlier batches (``run.modelstore.ModelCache``)."""
        self._pause_until = 0.0
        self._pause = 0.0
        self._wake = asyncio.Event()

    def forget_reference(self) -> None:
        """After a reconciling run: the next batch starts from the destination's reference,
        and reads its models again (the run may have found changes whose events were lost)."""
        self.reference = None
        self.models.clear()

    def close(self) -> None:
        self.models.close()

    def wake(self) -> None:
        """Try again now (the destination may have become ready)."""
        self._pause_until = 0.0
        self._wake.set()

    async def recover(self) -> None:
        """Events the destination's state says were applied, while the spool does not (a crash
        between the two commits): marked applied, so they are not counted twice."""
        state = await asyncio.to_thread(self.connect().read_state) or {}
        ids = ((state.get("events") or {}).get("last_batch") or {}).get("ids") or []
        if ids and await self.spool.done(ids):
            log.info("%d events applied before a restart marked as such in the spool", len(ids))

    async def run(self, stop: asyncio.Event) -> None:
        while await self._wait(stop):
            await self.apply_once()

    async def _wait(self, stop: asyncio.Event) -> bool:
        """Until events are due and the pause after a failure is over; False on ``stop``."""
        while not stop.is_set():
            self.spool.arrived.clear()
            self._wake.clear()
            now = time.time()
            due = await self.spool.next_due()
            start = max(due or 0.0, self._pause_until)
            if due is not None and start <= now:
                # Let a burst gather, for ``batch_wait`` from the oldest event's arrival: under
                # a steady flow that came while the previous batch was being applied, so a
                # batch is not made to wait a second time.
                gather = due + self.batch_wait - now
                if gather > 0 and self.spool.pending < self.batch_size:
                    await _sleep(stop, gather)
                return not stop.is_set()
            timeout = start - now if due is not None else None
            waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self.spool.arrived)]
            waiters.append(asyncio.ensure_future(self._wake.wait()))
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        return False

    async def apply_once(self) -> int:
        """One batch of due events; returns how many were applied."""
        async with self.lock:
            events = await self.spool.take(self.batch_size)
            if not events:
                return 0
            changes, created = changes_of(events)
            if not changes:
                self.status.ignored += len(events)
                await self.spool.done(e.id for e in events)
                return 0
            try:
                applied = await apply_changes(
                    self.client,
                    self.connect(),
                    self.options,
                    changes,
                    lambda state, report, unseen: self._record(
                        state, report, events, created, unseen
                    ),
                    reference=self.reference,
                    models=self.models,
                )
            except AkeneoSyncError as exc:
                self._failed(exc)
                return 0
            if not applied.ready:
                self.status.waiting_for_sync = True
                self._failed(None)
                return 0
        self.reference = applied.reference
        again = _again(created, applied.unseen)
        for event in again:
            await self.spool.later([event.id], UNSEEN_RETRIES[event.attempts])
        retried = {e.id for e in again}
        await self.spool.done(e.id for e in events if e.id not in retried)
        self._succeeded(applied.report, len(events) - len(retried))
        return len(events) - len(retried)

    def _record(
        self,
        state: Mapping[str, Any],
        report: Report,
        batch: list[Spooled],
        created: Mapping[str, list[Spooled]],
        unseen: set[str],
    ) -> Any:
        """The destination's state with this batch's account, committed with its data (the
        events put back for later are not counted yet)."""
        later = {e.id for e in _again(created, unseen)}
        events = [e for e in batch if e.id not in later]
        if not events:
            return state
        now = datetime.now(UTC)
        previous = dict(state.get("events") or {})
        times = [t for e in events if (t := _moment(e.time)) is not None]
        newest = max(events, key=lambda e: (e.time or "", e.seq))
        account = {
            **previous,
            "applied": int(previous.get("applied", 0)) + len(events),
            "batches": int(previous.get("batches", 0)) + 1,
            "last_applied_at": now.isoformat(),
            "last_event": {"id": newest.id, "type": newest.type, "time": newest.time},
            # From the event's time (Akeneo's clock, whole seconds) to this commit.
            "lag_seconds": round((now - min(times)).total_seconds(), 3) if times else None,
            "pending": max(self.spool.pending - len(events), 0),
            "last_batch": {
                "events": len(events),
                "counts": dict(report.counts),
                "deleted": dict(report.deleted),
                "ids": [e.id for e in events],
            },
        }
        return {**state, "events": account}

    def _succeeded(self, report: Report, applied: int) -> None:
        status = self.status
        status.applied += applied
        status.batches += 1
        status.last_applied_at = datetime.now(UTC).isoformat()
        status.waiting_for_sync = False
        status.last_error = None
        for name, count in report.counts.items():
            status.counts[name] = status.counts.get(name, 0) + count
        self._pause = 0.0
        written = ", ".join(f"{n} {c}" for n, c in sorted(report.counts.items())) or "nothing"
        gone = ", ".join(f"{n} {c}" for n, c in sorted(report.deleted.items()))
        log.info(
            "applied %d events: wrote %s%s (%d requests, %.2f s)",
            applied,
            written,
            f"; deleted {gone}" if gone else "",
            report.requests,
            report.seconds,
        )

    def _failed(self, exc: AkeneoSyncError | None) -> None:
        """Keep the events and try again after a pause that doubles up to a minute."""
        self._pause = min(max(self._pause * 2, 1.0), MAX_PAUSE)
        self._pause_until = time.time() + self._pause
        if exc is None:
            log.info("the destination holds no complete sync yet: events wait for it")
            return
        self.status.failures += 1
        self.status.last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        level = logging.WARNING if isinstance(exc, LockedError) else logging.ERROR
        log.log(level, "events not applied, retrying in %.0f s: %s", self._pause, exc)


def _again(created: Mapping[str, list[Spooled]], unseen: set[str]) -> list[Spooled]:
    """The ``created`` events of products not found anywhere that may be asked for again."""
    return [e for u in unseen for e in created.get(u, []) if e.attempts < len(UNSEEN_RETRIES)]


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """A pause that ``stop`` cuts short."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
