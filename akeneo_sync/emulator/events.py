"""The emulated Event Platform: what a PIM write turns into, and where it goes.

A REST write calls one of the small hooks below (``product``, ``product_model``, ...) after it
has changed the catalog; ``emit`` turns it into one CloudEvents 1.0 structured-mode JSON body per
matching active subscription, signs those exact bytes and hands them to the subscription's
``Channel`` (``delivery.py``), whose task POSTs them later: the write's response never waits.

The body (one line of compact JSON, keys in this order)::

    {"specversion": "1.0", "id": <UUIDv7>, "source": "akeneo-event-platform",
     "type": "com.akeneo.pim.v1.product.updated", "subject": <subscription id>,
     "datacontenttype": "application/json",
     "dataschema": "https://event.prd.sdk.akeneo.cloud/spec/<type>.schema.json",
     "time": "2026-05-12T09:41:07Z",
     "data": {"product": {"uuid": ...}, "author": {"identifier": <client id>, "type": "api"}}}

Headers: ``X-AKENEO-SIGNATURE-ALGORITHM: HmacSHA256``, ``X-AKENEO-SIGNATURE-PRIMARY`` = lowercase
hex HMAC-SHA256 of the body with ``config.secret.primary`` (and ``-SECONDARY`` with the secondary
secret when one is set), ``Content-Type: application/json``, ``User-Agent``, ``X-Correlation-ID``,
then the subscription's custom headers, which are not signed. One event id is shared by every
subscription that receives the event, and by its duplicates and retries.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import random
import time
import uuid
from collections import Counter, deque
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from akeneo_sync.emulator.config import Clock
from akeneo_sync.emulator.delivery import Channel, Delivery, post_notification
from akeneo_sync.emulator.event_options import EventOptions
from akeneo_sync.emulator.event_types import (
    AUTHORLESS_TYPES,
    IDENTIFIER_TYPES,
    SCHEMA_BASE,
    full_type,
)
from akeneo_sync.emulator.subscriptions import (
    Registry,
    Subscriber,
    Subscription,
    stamp,
    uuid7,
)

SOURCE = "akeneo-event-platform"
USER_AGENT = "akeneo/event-platform"
COUNTERS = (
    "emitted",  # events the PIM side produced, whoever listens
    "matched",  # deliveries created for active subscriptions whose types and filter match
    "filtered",  # skipped by a subscription's filter
    "attempts",
    "delivered",
    "failed_attempts",
    "retried",
    "throttled",  # 429 answers
    "dropped",  # given up after the retries or the throttle horizon
    "duplicated",
    "lost",  # the loss_rate fault
    "discarded",  # for a suspended, deleted or not yet active subscription
    "suspensions",  # by the platform (errors, success rate)
    "user_suspensions",
    "resumptions",
    "notifications",
)


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class EventPlatform:
    def __init__(self, options: EventOptions, clock: Clock, client_id: str, seed: int) -> None:
        self.options = options
        self.clock = clock
        self.client_id = client_id
        # Its own RNG, so event faults do not shift the PIM's reproducible fault sequence.
        self.rng = random.Random(seed * 131 + 3)
        self.registry = Registry(clock.now, lambda: self.options.allow_loopback_http)
        self.counters: Counter[str] = Counter()
        self.errors: deque[dict[str, Any]] = deque(maxlen=100)
        self.notifications: deque[dict[str, Any]] = deque(maxlen=100)
        self.channels: dict[str, Channel] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._background: set[asyncio.Task[Any]] = set()

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    # -- hooks called by the REST writes -------------------------------------------------------
    def product(self, verb: str, uuid: str, identifier: str | None) -> None:
        self.emit(f"product.{verb}", {"product": {"uuid": uuid, "identifier": identifier}})

    def product_model(self, verb: str, code: str) -> None:
        self.emit(f"product-model.{verb}", {"product_model": {"code": code}})

    def model_deleted(
        self, code: str, sub_models: list[str], variants: list[tuple[str, str | None]]
    ) -> None:
        """Akeneo documents no events for what a model's deletion cascades to, so those are
        emitted only with the ``cascade_events`` option."""
        self.product_model("deleted", code)
        if self.options.cascade_events:
            for sub in sub_models:
                self.product_model("deleted", sub)
            for uuid_, identifier in variants:
                self.product("deleted", uuid_, identifier)

    def attribute_option(self, verb: str, attribute: str, code: str) -> None:
        option = {"code": code, "attribute": {"code": attribute}}
        self.emit(f"attribute-option.{verb}", {"attribute_option": option})

    def category(self, verb: str, code: str) -> None:
        self.emit(f"category.{verb}", {"category": {"code": code}})

    # Not called yet: the emulator has no writes for these; the payload shapes live here for
    # the day it has (and for POST /_emulator/events/emit users to copy).
    def family(self, verb: str, code: str) -> None:
        self.emit(f"family.{verb}", {"family": {"code": code}})

    def attribute(self, verb: str, code: str) -> None:
        self.emit(f"attribute.{verb}", {"attribute": {"code": code}})

    def record(self, verb: str, entity: str, code: str) -> None:
        record = {"code": code, "reference_entity": {"code": entity}}
        self.emit(f"reference-entity-record.{verb}", {"reference_entity_record": record})

    def asset(self, verb: str, family: str, code: str) -> None:
        self.emit(f"asset.{verb}", {"asset": {"code": code, "asset_family": {"code": family}}})

    # -- emission ------------------------------------------------------------------------------
    def emit(
        self, event_type: str, data: dict[str, Any], author: dict[str, str] | None = None
    ) -> str:
        """Queue one event for every matching subscription; returns the event id."""
        full = full_type(event_type)
        event_id = uuid7()
        self.count("emitted")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a write applied outside a server (a unit test): nobody listens
            return event_id
        self._bind(loop)
        author = author or {"identifier": self.client_id, "type": "api"}
        context = {"user": author["identifier"], "user_type": author["type"]}
        when = datetime.fromtimestamp(int(self.clock.now()), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for sub in list(self.registry.subscriptions.values()):
            if full not in sub.events:
                continue
            if sub.status != "active" or time.monotonic() < sub.active_from:
                self.count("discarded")
                continue
            if sub.predicate is not None and not sub.predicate(context):
                self.count("filtered")
                continue
            self.count("matched")
            delivery = self._delivery(sub, full, event_id, when, data, author)
            channel = self.channels.get(sub.id)
            if channel is None:
                channel = self.channels[sub.id] = Channel(self, sub)
            channel.offer(delivery)
        return event_id

    def _delivery(
        self,
        sub: Subscription,
        full: str,
        event_id: str,
        when: str,
        data: dict[str, Any],
        author: dict[str, str],
    ) -> Delivery:
        payload = copy.deepcopy(data)
        product = payload.get("product")
        # "when available": no identifier, no key, even with send_product_identifier.
        if (
            full in IDENTIFIER_TYPES
            and isinstance(product, dict)
            and (not sub.body["send_product_identifier"] or product.get("identifier") is None)
        ):
            product.pop("identifier", None)
        if full not in AUTHORLESS_TYPES:
            payload["author"] = author
        event = {
            "specversion": "1.0",
            "id": event_id,
            "source": SOURCE,
            "type": full,
            "subject": sub.id,
            "datacontenttype": "application/json",
            "dataschema": f"{SCHEMA_BASE}{full}.schema.json",
            "time": when,
            "data": payload,
        }
        body = orjson.dumps(event)
        secrets = sub.secrets
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Correlation-ID": str(uuid.uuid4()),
            "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
            "X-AKENEO-SIGNATURE-PRIMARY": sign(body, secrets["primary"]),
        }
        if "secondary" in secrets:
            headers["X-AKENEO-SIGNATURE-SECONDARY"] = sign(body, secrets["secondary"])
        headers.update(sub.headers)  # after signing: custom headers are not covered
        return Delivery(event_id, full, body, headers)

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Channels and the HTTP client belong to one event loop; a new loop (a new in-process
        test app run) starts them afresh instead of touching a closed one."""
        if self._loop is not loop:
            self._loop, self._client, self.channels = loop, None, {}

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # No redirects (a 3xx suspends) and no proxies from the environment for loopback.
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._client

    # -- subscription life cycle ---------------------------------------------------------------
    def activate(self, sub: Subscription) -> None:
        """After a create or update: Akeneo applies it only after a while (activation_delay)."""
        sub.active_from = time.monotonic() + self.options.activation_delay

    def suspend(self, sub: Subscription, reason: str, by: str = "system") -> None:
        if sub.status != "active":
            return
        sub.status, sub.reason = "suspended", reason
        self.count("suspensions" if by == "system" else "user_suspensions")
        channel = self.channels.get(sub.id)
        if channel is not None:
            channel.discard_all()
        self._notify(sub, f"subscription.suspended.{by}", reason)

    def resume(self, sub: Subscription) -> None:
        if sub.status != "suspended":
            return
        sub.status, sub.reason = "active", ""
        self.count("resumptions")
        channel = self.channels.get(sub.id)
        if channel is not None:
            channel.outcomes.clear()  # a fresh start, or it would suspend again at once
        self._notify(sub, "subscription.resumed", "")

    def delete(self, sub: Subscription) -> None:
        sub.status = "deleted"
        channel = self.channels.pop(sub.id, None)
        if channel is not None:
            channel.close()

    def delete_subscriber(self, subscriber: Subscriber) -> None:
        for sub in self.registry.delete_subscriber(subscriber):
            self.delete(sub)

    def _notify(self, sub: Subscription, kind: str, reason: str) -> None:
        owner = self.registry.subscribers[sub.subscriber_id]
        body: dict[str, Any] = {
            "notification_type": kind,
            "timestamp": stamp(self.clock.now()),
            "subscription_id": sub.id,
            "subscriber_id": owner.id,
            "destination": sub.url,
            "events": sorted(sub.events),
            "subject": owner.subject,
        }
        if reason:
            body["reason"] = reason
        channels = owner.contact.get("notification_channels", ["email"])
        self.notifications.append({"channels": channels, **body})
        self.count("notifications")
        if "webhook" not in channels or owner.webhook_secret is None:
            return
        raw = orjson.dumps(body)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
            "X-AKENEO-SIGNATURE-PRIMARY": sign(raw, owner.webhook_secret),
        }
        url = owner.contact["notification_webhook_url"]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._bind(loop)
        task = loop.create_task(post_notification(self.client(), url, raw, headers))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- the control surface -------------------------------------------------------------------
    def log_error(self, sub: Subscription, d: Delivery, code: int, message: str) -> None:
        self.errors.append(
            {
                "timestamp": stamp(self.clock.now()),
                "subscription_id": sub.id,
                "event_id": d.event_id,
                "event_type": d.type,
                "attempt": d.retries + 1,
                "error_code": code,
                "error_message": message,
            }
        )

    def snapshot(self) -> dict[str, Any]:
        subs = {}
        for sub in self.registry.subscriptions.values():
            channel = self.channels.get(sub.id)
            subs[sub.id] = (
                channel.snapshot()
                if channel is not None
                else {"status": sub.status, "reason": sub.reason, "url": sub.url}
            )
        return {
            **{name: self.counters[name] for name in COUNTERS},
            "pending": sum(c.pending() for c in self.channels.values()),
            "options": self.options.as_dict(),
            "subscriptions": subs,
            "recent_errors": list(self.errors),
            "recent_notifications": list(self.notifications),
        }

    def reset(self) -> None:
        self.counters.clear()
        self.errors.clear()
        self.notifications.clear()
