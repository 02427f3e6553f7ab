"""One delivery channel per subscription: the Event Platform's HTTPS delivery contract.

Each channel is a queue drained by one asyncio task, so a write's response never waits on a
receiver, with ``concurrency`` POSTs in flight at most (1 by default: Akeneo does not say),
paced by a token bucket at the channel's rate. Per the reference: one POST per event with the
bytes that were signed, a 5 s timeout, no redirects followed; any 2xx is a success and raises
the rate by 1/s (up to ``rate_max``), a 429 halves it (down to ``rate_min``) and puts the event
back at the head of the queue until ``throttle_horizon`` has passed; 5xx, other 4xx, timeouts
and transport errors are retried at ``retry_base * 2**n`` on a timer (so a retried event
overtakes nothing and is overtaken by newer ones, as on the platform), then dropped after
``max_retries``; 3xx and 404 suspend the subscription at once, and so does a success rate under
``success_threshold`` over ``success_window``. Events for a subscription that is not active
are discarded, never buffered.

Faults (loss, duplicates, fixed delay, reorder window) are applied as a delivery enters the
channel, so a duplicate is the same signed bytes with the same event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import random
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from akeneo_sync.emulator.event_options import EventOptions

if TYPE_CHECKING:
    from akeneo_sync.emulator.subscriptions import Subscription

log = logging.getLogger(__name__)


class Platform(Protocol):
    """What a channel needs of the platform that owns it (``events.EventPlatform``)."""

    options: EventOptions
    rng: random.Random

    def count(self, name: str, n: int = 1) -> None: ...
    def client(self) -> httpx.AsyncClient: ...
    def suspend(self, sub: Subscription, reason: str, by: str = "system") -> None: ...
    def log_error(self, sub: Subscription, d: Delivery, code: int, message: str) -> None: ...


@dataclass
class Delivery:
    event_id: str
    type: str
    body: bytes
    headers: dict[str, str]
    ready_at: float = 0.0  # loop time before which it is not sent (the ``delay`` fault)
    first_attempt: float | None = None
    retries: int = 0


class Channel:
    def __init__(self, platform: Platform, sub: Subscription) -> None:
        self.platform = platform
        self.sub = sub
        self.queue: deque[Delivery] = deque()
        self.held: list[Delivery] = []
        self.wake = asyncio.Event()
        self.timers: set[asyncio.TimerHandle] = set()
        self.hold_timer: asyncio.TimerHandle | None = None
        self.rate = platform.options.rate_max
        self.next_slot = 0.0
        self.outcomes: deque[tuple[float, bool]] = deque()
        self.in_flight = 0
        self.freed = asyncio.Event()
        self.attempts: set[asyncio.Task[None]] = set()
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"events-{sub.id}")

    # -- entering the channel ------------------------------------------------------------------
    def offer(self, delivery: Delivery) -> None:
        """Apply the faults, then queue (or hold) what survives."""
        opts, rng, count = self.platform.options, self.platform.rng, self.platform.count
        if opts.loss_rate and rng.random() < opts.loss_rate:
            count("lost")
            return
        copies = [delivery]
        if opts.duplicate_rate and rng.random() < opts.duplicate_rate:
            count("duplicated")
            copies.append(copy.copy(delivery))
        now = asyncio.get_running_loop().time()
        for d in copies:
            d.ready_at = now + opts.delay
            if opts.reorder_window > 1:
                self._hold(d)
            else:
                self.put(d)

    def _hold(self, delivery: Delivery) -> None:
        self.held.append(delivery)
        if len(self.held) >= self.platform.options.reorder_window:
            self._release()
        elif self.hold_timer is None:
            loop = asyncio.get_running_loop()
            self.hold_timer = loop.call_later(self.platform.options.reorder_hold, self._release)

    def _release(self) -> None:
        if self.hold_timer is not None:
            self.hold_timer.cancel()
            self.hold_timer = None
        held, self.held = self.held, []
        self.platform.rng.shuffle(held)
        for d in held:
            self.put(d)

    def put(self, delivery: Delivery, front: bool = False) -> None:
        if front:
            self.queue.appendleft(delivery)
        else:
            self.queue.append(delivery)
        self.wake.set()

    def pending(self) -> int:
        return len(self.queue) + len(self.held) + len(self.timers) + self.in_flight

    def discard_all(self) -> None:
        """Suspension or deletion: what is queued, held or waiting for a retry is lost."""
        lost = len(self.queue) + len(self.held) + len(self.timers)
        self.queue.clear()
        self.held.clear()
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        if self.hold_timer is not None:
            self.hold_timer.cancel()
            self.hold_timer = None
        self.platform.count("discarded", lost)

    def close(self) -> None:
        self.discard_all()
        self.task.cancel()
        for attempt in list(self.attempts):
            attempt.cancel()

    # -- the worker ----------------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self.queue:
                self.wake.clear()
                await self.wake.wait()
            if self.in_flight >= max(1, int(self.platform.options.concurrency)):
                self.freed.clear()
                await self.freed.wait()
                continue
            head = self.queue[0]
            now = loop.time()
            wait = max(head.ready_at, self.next_slot) - now
            if wait > 0:
                # Re-check the head afterwards: a 429 or a suspension may change it meanwhile.
                await asyncio.sleep(wait)
                continue
            delivery = self.queue.popleft()
            # A token bucket, not a pacer: a slot missed (a slow answer, a busy loop) is made
            # up later, up to a second's worth, so that the rate holds in the long run.
            self.next_slot = max(self.next_slot, now - 1.0) + 1.0 / max(self.rate, 0.001)
            if self.sub.status != "active":
                self.platform.count("discarded")
                continue
            self.in_flight += 1
            attempt = loop.create_task(self._deliver(delivery, now))
            self.attempts.add(attempt)
            attempt.add_done_callback(self.attempts.discard)

    async def _deliver(self, delivery: Delivery, now: float) -> None:
        try:
            await self._attempt(delivery, now)
        except Exception:
            # A bug here must not silently end this subscription's deliveries for good.
            log.exception("event delivery failed unexpectedly; event dropped")
            self.platform.count("dropped")
        finally:
            self.in_flight -= 1
            self.freed.set()

    async def _attempt(self, d: Delivery, now: float) -> None:
        platform, opts = self.platform, self.platform.options
        if d.first_attempt is None:
            d.first_attempt = now
        platform.count("attempts")
        status, reason = 0, ""
        try:
            response = await platform.client().post(
                self.sub.url, content=d.body, headers=d.headers, timeout=opts.timeout
            )
            status = response.status_code
        except httpx.TimeoutException:
            reason = "destination_timeout"
        except httpx.HTTPError as exc:
            reason = "connection_refused" if isinstance(exc, httpx.ConnectError) else "failed"
            reason = f"{reason}: {type(exc).__name__}"
        if 200 <= status < 300:
            platform.count("delivered")
            self.rate = min(opts.rate_max, self.rate + 1.0)
            self._record(now, True)
            return
        if status == 429:
            platform.count("throttled")
            self.rate = max(opts.rate_min, self.rate / 2)
            self.next_slot = now + 1.0 / max(self.rate, 0.001)
            if now - d.first_attempt <= opts.throttle_horizon:
                self.put(d, front=True)
                return
            platform.count("dropped")
            platform.log_error(self.sub, d, 429, "throttled for longer than the horizon")
            self._record(now, False)
            return
        platform.count("failed_attempts")
        platform.log_error(self.sub, d, status or 500, reason or f"HTTP {status}")
        if 300 <= status < 400 or status == 404:
            platform.count("discarded")
            platform.suspend(self.sub, f"Destination answered HTTP {status}")
            return
        if d.retries < opts.max_retries:
            d.retries += 1
            platform.count("retried")
            self._retry_later(d, opts.retry_base * 2 ** (d.retries - 1))
        else:
            platform.count("dropped")
        if self._record(now, False):
            share = f"{opts.success_threshold:.0%}"
            platform.suspend(self.sub, f"Success rate dropped below {share}")

    def _retry_later(self, d: Delivery, delay: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self.timers.discard(handle)
            self.put(d)

        handle = loop.call_later(delay, fire)
        self.timers.add(handle)

    def _record(self, now: float, ok: bool) -> bool:
        """Track the rolling success rate; True when it calls for suspension."""
        opts = self.platform.options
        self.outcomes.append((now, ok))
        while self.outcomes and self.outcomes[0][0] < now - opts.success_window:
            self.outcomes.popleft()
        if ok or len(self.outcomes) < max(opts.success_min_attempts, 1):
            return False
        rate = sum(1 for _, good in self.outcomes if good) / len(self.outcomes)
        return rate < opts.success_threshold

    def snapshot(self) -> dict[str, Any]:
        return {
            "status": self.sub.status,
            "reason": self.sub.reason,
            "url": self.sub.url,
            "rate": self.rate,
            "queued": len(self.queue),
            "held": len(self.held),
            "awaiting_retry": len(self.timers),
            "in_flight": self.in_flight,
        }


async def post_notification(client: httpx.AsyncClient, url: str, body: bytes, headers: Any) -> bool:
    """Notification webhooks: up to 3 attempts 1 s then 2 s apart; 5xx and 429 are retried."""
    for pause in (1.0, 2.0, None):
        with contextlib.suppress(httpx.HTTPError):
            response = await client.post(url, content=body, headers=headers, timeout=5.0)
            if 200 <= response.status_code < 300:
                return True
            if response.status_code < 500 and response.status_code != 429:
                return False
        if pause is not None:
            await asyncio.sleep(pause)
    return False
