"""Setting up what ``listen`` receives: one subscriber, one subscription, one secret.

``subscribe`` is safe to run again: it reuses the subscriber named ``akeneo-sync`` (or the one
the secrets file names) and the subscription that already points at the destination URL, and
makes sure it carries every event type ``listen`` acts on. The platform never shows a secret
back, so a subscription found without the secret in hand gets a new one (the old cannot be
recovered); one whose secret the secrets file holds keeps it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from akeneo_sync.client.events import DEFAULT_EVENTS_URL, PIM_EVENTS, EventPlatform, Json
from akeneo_sync.errors import ConfigError
from akeneo_sync.listen import secrets
from akeneo_sync.settings import Connection

NAME = "akeneo-sync"
EVENT_TYPES = [
    f"{PIM_EVENTS}{entity}.{verb}"
    for entity in ("product", "product-model", "category", "attribute-option")
    for verb in ("created", "updated", "deleted")
]
"""What ``listen`` acts on: each names a document it fetches again."""


@dataclass
class Subscribed:
    subscriber: Json
    subscription: Json
    secret: str
    new_secret: bool
    created: bool

    def record(self, events_url: str) -> dict[str, str]:
        """What the secrets file keeps."""
        return {
            "secret": self.secret,
            "subscriber_id": self.subscriber["id"],
            "subscription_id": self.subscription["id"],
            "destination_url": self.subscription["config"]["url"],
            "events_url": events_url,
        }


@asynccontextmanager
async def platform(
    connection: Connection,
    events_url: str = DEFAULT_EVENTS_URL,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[EventPlatform]:
    if not connection.client_id:
        raise ConfigError(
            "the Event Platform needs the connection's client id: give --client-id or set "
            "AKENEO_CLIENT_ID"
        )
    async with (
        connection.client(transport=transport) as pim,
        EventPlatform(
            pim, connection.url, connection.client_id, events_url, transport=transport
        ) as found,
    ):
        yield found


async def _subscriber(platform: EventPlatform, known: Mapping[str, str]) -> Json | None:
    subscribers = await platform.subscribers()
    by_id = next((s for s in subscribers if s["id"] == known.get("subscriber_id")), None)
    return by_id or next((s for s in subscribers if s.get("name") == NAME), None)


async def subscribe(
    platform: EventPlatform, url: str, known: Mapping[str, str], email: str | None = None
) -> Subscribed:
    """The subscriber and the subscription for ``url``, created or reused."""
    subscriber = await _subscriber(platform, known)
    if subscriber is None:
        if not email:
            raise ConfigError(
                "no akeneo-sync subscriber yet: give --email, the address the Event Platform "
                "tells when it suspends the subscription"
            )
        subscriber = await platform.create_subscriber(NAME, email)
    found = [s for s in await platform.subscriptions(subscriber["id"]) if _url(s) == url]
    existing = next((s for s in found if s["id"] == known.get("subscription_id")), None)
    existing = existing or (found[0] if found else None)
    keep = existing is not None and existing["id"] == known.get("subscription_id")
    secret = known["secret"] if keep and known.get("secret") else secrets.generate()
    if existing is None:
        created = await platform.create_subscription(subscriber["id"], url, EVENT_TYPES, secret)
        return Subscribed(subscriber, created, secret, new_secret=True, created=True)
    body = {
        "source": "pim",
        "type": "https",
        "events": list(dict.fromkeys([*existing.get("events", []), *EVENT_TYPES])),
        "config": {"url": url, "secret": {"primary": secret}},
    }
    updated = await platform.update_subscription(subscriber["id"], existing["id"], body)
    new_secret = secret != known.get("secret")
    return Subscribed(subscriber, updated, secret, new_secret=new_secret, created=False)


async def status(platform: EventPlatform) -> list[tuple[Json, list[Json]]]:
    """Every subscriber of these credentials with its subscriptions."""
    return [(s, await platform.subscriptions(s["id"])) for s in await platform.subscribers()]


async def unsubscribe(
    platform: EventPlatform, known: Mapping[str, str], url: str | None = None
) -> list[Json]:
    """Delete the subscription the secrets file names (or those pointing at ``url``), and the
    akeneo-sync subscriber once it has none left; returns the subscriptions deleted."""
    subscriber = await _subscriber(platform, known)
    if subscriber is None:
        return []
    gone = [
        s
        for s in await platform.subscriptions(subscriber["id"])
        if (url is not None and _url(s) == url)
        or (url is None and s["id"] == known.get("subscription_id"))
    ]
    for sub in gone:
        await platform.delete_subscription(subscriber["id"], sub["id"])
    if subscriber.get("name") == NAME and not await platform.subscriptions(subscriber["id"]):
        await platform.delete_subscriber(subscriber["id"])
    return gone


async def resume(platform: EventPlatform, known: Mapping[str, str]) -> list[Json]:
    """Resume the akeneo-sync subscriptions the platform (or a person) suspended."""
    subscriber = await _subscriber(platform, known)
    if subscriber is None:
        return []
    resumed = []
    for sub in await platform.subscriptions(subscriber["id"]):
        if sub.get("status") == "suspended":
            resumed.append(await platform.resume(subscriber["id"], sub["id"]))
    return resumed


def _url(subscription: Mapping[str, Any]) -> str | None:
    config = subscription.get("config")
    return config.get("url") if isinstance(config, dict) else None
