"""Subscribers and subscriptions of the emulated Event Platform: their payloads, validation,
limits and statuses, without HTTP (``routes_events``) or delivery (``delivery``).

A subscriber belongs to the (PIM URL, client id) pair that created it, as Akeneo keys them by the
``X-PIM-URL`` and ``X-PIM-CLIENT-ID`` headers. Secrets are write-only: responses show
``***redacted***`` as Akeneo's logged responses do. Validation is deliberately strict (unknown
properties and event types are refused) so a client's typo fails here rather than as events that
never come.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import ip_address
from secrets import randbits
from typing import Any
from urllib.parse import urlsplit

from akeneo_sync.emulator.event_filter import FilterSyntaxError, Predicate, parse_filter
from akeneo_sync.emulator.event_types import EVENT_TYPES

MAX_SUBSCRIBERS = 20  # per PIM instance
MAX_SUBSCRIPTIONS = 20  # per subscriber
MAX_HEADERS = 5
REDACTED = "***redacted***"
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,128}")
_RESERVED_HEADERS = {"content-type", "user-agent", "x-correlation-id", "host", "authorization"}
_RESERVED_HEADERS |= {"cookie"}
_SUBSCRIPTION_KEYS = {"source", "subject", "events", "type", "send_product_identifier", "filter"}
_SUBSCRIPTION_KEYS |= {"config"}


class EventApiError(Exception):
    """Rendered as the management API's ``{"errors": [{"message": ...}]}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def stamp(epoch: float) -> str:
    """Management timestamps: microseconds and a ``Z``, as the documented responses show."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_last_uuid7 = [0, 0]  # (ms, counter): ids made in the same millisecond still sort in order


def uuid7() -> str:
    """A UUIDv7 like Akeneo's ids, monotonic within the process (RFC 9562 method 1: the 12-bit
    ``rand_a`` counts within a millisecond), so ids sort in emission and creation order."""
    ms = max(time.time_ns() // 1_000_000, _last_uuid7[0])
    if ms == _last_uuid7[0]:
        seq = _last_uuid7[1] + 1
        if seq > 0xFFF:
            ms, seq = ms + 1, 0
    else:
        seq = randbits(8)  # a random start that leaves room to count
    _last_uuid7[:] = [ms, seq]
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | randbits(62)
    return str(uuid.UUID(int=value))


def check_url(url: Any, what: str, allow_loopback_http: bool) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or not parts.hostname:
        raise EventApiError(400, f"{what} must be an absolute https URL")
    if parts.scheme == "https":
        return str(url)
    if parts.scheme == "http" and allow_loopback_http and _is_loopback(parts.hostname):
        return str(url)
    raise EventApiError(400, f"{what} must use https (got {parts.scheme}://{parts.hostname})")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _secret(value: Any, what: str) -> str:
    if not isinstance(value, str) or not 16 <= len(value) <= 256:
        raise EventApiError(400, f"{what} must be a string of 16 to 256 characters")
    return value


@dataclass
class Subscriber:
    id: str
    client_id: str
    subject: str
    name: str
    contact: dict[str, Any]
    webhook_secret: str | None
    created_at: float
    updated_at: float
    status: str = "active"

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "subject": self.subject,
            "client_id": self.client_id,
            "status": self.status,
            "contact": self.contact,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at),
        }


@dataclass
class Subscription:
    id: str
    subscriber_id: str
    body: dict[str, Any]  # the validated payload, secrets included
    predicate: Predicate | None
    created_at: float
    updated_at: float
    active_from: float  # monotonic; Akeneo takes minutes to apply a new configuration
    status: str = "active"
    reason: str = ""
    events: frozenset[str] = field(default_factory=frozenset)

    @property
    def url(self) -> str:
        return str(self.body["config"]["url"])

    @property
    def secrets(self) -> dict[str, str]:
        return dict(self.body["config"]["secret"])

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.body["config"].get("headers") or {})

    def render(self) -> dict[str, Any]:
        body = copy.deepcopy(self.body)
        config = body["config"]
        config["secret"] = {k: REDACTED for k in config["secret"]}
        if "headers" in config:
            config["headers"] = {k: REDACTED for k in config["headers"]}
        return {
            "id": self.id,
            "subscriber_id": self.subscriber_id,
            **body,
            "status": self.status,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at),
        }


class Registry:
    def __init__(self, now: Callable[[], float], allow_loopback_http: Callable[[], bool]) -> None:
        self.now = now
        self.allow_loopback_http = allow_loopback_http
        self.subscribers: dict[str, Subscriber] = {}
        self.subscriptions: dict[str, Subscription] = {}

    # -- subscribers ---------------------------------------------------------------------------
    def create_subscriber(self, body: dict[str, Any], subject: str, client_id: str) -> Subscriber:
        live = [s for s in self.subscribers.values() if s.subject == subject]
        if sum(s.status != "deleted" for s in live) >= MAX_SUBSCRIBERS:
            raise EventApiError(409, f"Maximum number of subscribers reached ({MAX_SUBSCRIBERS})")
        now = self.now()
        sub = Subscriber(uuid7(), client_id, subject, "", {}, None, now, now)
        self._apply_subscriber(sub, body, creating=True)
        self.subscribers[sub.id] = sub
        return sub

    def update_subscriber(self, sub: Subscriber, body: dict[str, Any]) -> Subscriber:
        self._apply_subscriber(sub, body, creating=False)
        sub.updated_at = self.now()
        return sub

    def _apply_subscriber(self, sub: Subscriber, body: dict[str, Any], creating: bool) -> None:
        unknown = set(body) - {"name", "contact"}
        if unknown:
            raise EventApiError(400, f"Unknown subscriber properties: {', '.join(sorted(unknown))}")
        name = body.get("name", sub.name)
        if not isinstance(name, str):
            raise EventApiError(400, "name must be a string")
        given = body.get("contact", {} if not creating else None)
        if not isinstance(given, dict):
            raise EventApiError(400, "contact must be an object with a technical_email")
        contact = {**sub.contact, **given}
        secret = given.get("notification_webhook_secret", sub.webhook_secret)
        contact.pop("notification_webhook_secret", None)
        email = contact.get("technical_email")
        if not isinstance(email, str) or "@" not in email:
            raise EventApiError(400, "contact.technical_email must be an e-mail address")
        channels = contact.get("notification_channels") or ["email"]
        if not isinstance(channels, list) or not set(channels) <= {"email", "webhook"}:
            raise EventApiError(400, 'notification_channels takes "email" and/or "webhook"')
        contact["notification_channels"] = channels
        if "webhook" in channels:
            what = "contact.notification_webhook_url"
            url = check_url(contact.get("notification_webhook_url"), what, self._loopback())
            contact["notification_webhook_url"] = url
            secret = _secret(secret, "contact.notification_webhook_secret")
        sub.name, sub.contact, sub.webhook_secret = name, contact, secret

    def delete_subscriber(self, sub: Subscriber) -> list[Subscription]:
        sub.status, sub.updated_at = "deleted", self.now()
        gone = [s for s in self.subscriptions.values() if s.subscriber_id == sub.id]
        for s in gone:
            s.status = "deleted"
        return gone

    def subscriber(self, sid: str, client_id: str) -> Subscriber:
        sub = self.subscribers.get(sid)
        if sub is None or sub.client_id != client_id or sub.status == "deleted":
            raise EventApiError(404, f"Subscriber {sid} not found")
        return sub

    def subscribers_of(self, client_id: str, subject: str) -> list[Subscriber]:
        return [
            s
            for s in self.subscribers.values()
            if s.client_id == client_id and s.subject == subject and s.status != "deleted"
        ]

    # -- subscriptions -------------------------------------------------------------------------
    def create_subscription(self, owner: Subscriber, body: dict[str, Any]) -> Subscription:
        if len(self.subscriptions_of(owner)) >= MAX_SUBSCRIPTIONS:
            raise EventApiError(
                409, f"Maximum number of subscriptions reached ({MAX_SUBSCRIPTIONS})"
            )
        now = self.now()
        sub = Subscription(uuid7(), owner.id, {}, None, now, now, 0.0)
        self._apply_subscription(sub, owner, body)
        self.subscriptions[sub.id] = sub
        return sub

    def update_subscription(
        self, sub: Subscription, owner: Subscriber, body: dict[str, Any]
    ) -> None:
        self._apply_subscription(sub, owner, _merge(sub.body, body))
        sub.updated_at = self.now()

    def _apply_subscription(self, sub: Subscription, owner: Subscriber, body: Any) -> None:
        if not isinstance(body, dict):
            raise EventApiError(400, "Expected a JSON object")
        unknown = set(body) - _SUBSCRIPTION_KEYS
        if unknown:
            raise EventApiError(400, f"Unknown properties: {', '.join(sorted(unknown))}")
        clean: dict[str, Any] = {"source": body.get("source", "pim")}
        if clean["source"] != "pim":
            raise EventApiError(400, 'source must be "pim"')
        clean["subject"] = body.get("subject", owner.subject)
        if not isinstance(clean["subject"], str):
            raise EventApiError(400, "subject must be the PIM URL")
        events = body.get("events")
        if not isinstance(events, list) or not events:
            raise EventApiError(400, "events must be a non-empty list of event types")
        unknown_types = [e for e in events if e not in EVENT_TYPES]
        if unknown_types:
            raise EventApiError(400, f"Unknown event types: {', '.join(map(str, unknown_types))}")
        clean["events"] = list(dict.fromkeys(events))
        if body.get("type") != "https":
            raise EventApiError(400, f'type {body.get("type")!r} is not emulated; use "https"')
        clean["type"] = "https"
        flag = body.get("send_product_identifier", False)
        if not isinstance(flag, bool):
            raise EventApiError(400, "send_product_identifier must be true or false")
        clean["send_product_identifier"] = flag
        predicate = None
        if body.get("filter") is not None:
            if not isinstance(body["filter"], str):
                raise EventApiError(400, "filter must be a string")
            try:
                predicate = parse_filter(body["filter"])
            except FilterSyntaxError as exc:
                raise EventApiError(400, f"Invalid filter: {exc}") from exc
            clean["filter"] = body["filter"]
        clean["config"] = self._https_config(body.get("config"))
        sub.body, sub.predicate, sub.events = clean, predicate, frozenset(clean["events"])

    def _https_config(self, config: Any) -> dict[str, Any]:
        if not isinstance(config, dict):
            raise EventApiError(400, "config must be an object with url and secret")
        unknown = set(config) - {"url", "secret", "headers"}
        if unknown:
            raise EventApiError(400, f"Unknown config properties: {', '.join(sorted(unknown))}")
        url = check_url(config.get("url"), "config.url", self._loopback())
        secret = config.get("secret")
        if not isinstance(secret, dict) or set(secret) - {"primary", "secondary"}:
            raise EventApiError(400, "config.secret takes primary and optional secondary")
        secrets = {"primary": _secret(secret.get("primary"), "config.secret.primary")}
        if secret.get("secondary") is not None:
            secrets["secondary"] = _secret(secret["secondary"], "config.secret.secondary")
        out: dict[str, Any] = {"url": url, "secret": secrets}
        headers = config.get("headers")
        if headers:
            out["headers"] = _headers(headers)
        return out

    def subscription(self, owner: Subscriber, sid: str, changing: bool = False) -> Subscription:
        """A deleted subscription still answers GET (status ``deleted``); changing it is 409."""
        sub = self.subscriptions.get(sid)
        if sub is None or sub.subscriber_id != owner.id:
            raise EventApiError(404, f"Subscription {sid} not found")
        if changing and sub.status in ("deleted", "revoked"):
            raise EventApiError(409, f"Subscription is {sub.status}")
        return sub

    def subscriptions_of(self, owner: Subscriber) -> list[Subscription]:
        return [
            s
            for s in self.subscriptions.values()
            if s.subscriber_id == owner.id and s.status != "deleted"
        ]

    def _loopback(self) -> bool:
        return self.allow_loopback_http()


def _headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict) or len(headers) > MAX_HEADERS:
        raise EventApiError(400, f"config.headers is an object of at most {MAX_HEADERS} headers")
    for name, value in headers.items():
        low = name.lower()
        if not _HEADER_NAME.fullmatch(name):
            raise EventApiError(400, f"Invalid header name {name!r}")
        if low in _RESERVED_HEADERS or low.startswith("x-akeneo-signature"):
            raise EventApiError(400, f"Header {name} is reserved")
        if not isinstance(value, str) or len(value) > 256 or not value.isprintable():
            raise EventApiError(400, f"Header {name} takes printable ASCII, at most 256 chars")
        if not value.isascii():
            raise EventApiError(400, f"Header {name} takes printable ASCII, at most 256 chars")
    return dict(headers)


def _merge(base: dict[str, Any], patch: Any) -> Any:
    """PATCH semantics: objects merge key by key, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
