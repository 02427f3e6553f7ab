"""The HTTPS endpoint the Event Platform POSTs to: verify, spool, answer; nothing slower.

The platform waits 5 s for an answer and counts anything else as a failure (retried three times
over ~35 minutes, then dropped; under 90 % success over an hour the subscription is suspended and
new events are discarded). So a request only checks the signature, stores the event durably in
the spool and answers 200; fetching from Akeneo and writing the destination happen later, in the
applier. What it answers, and why:

- 200: stored, or already stored (a duplicate: the platform delivers at least once);
- 401: no valid ``X-AKENEO-SIGNATURE-PRIMARY``/``-SECONDARY`` (HMAC-SHA256 of the raw body,
  compared in constant time with every accepted secret, so a rotation can accept two);
- 400: signed but not a CloudEvent with an ``id`` and a ``type`` (retrying will not help);
- 429: the spool is full (the destination has been unreachable for long): the platform slows
  down and keeps the event for up to an hour instead of counting a failure;
- 404/405 for other paths and methods; never a redirect (any 3xx suspends the subscription, so
  a trailing slash is accepted rather than redirected).

``GET /healthz`` answers the listener's counters as JSON for a load balancer or a probe.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from akeneo_sync.listen.spool import Spool

log = logging.getLogger("akeneo_sync.listen")

SIGNATURE_HEADERS = ("x-akeneo-signature-primary", "x-akeneo-signature-secondary")
MAX_BODY = 1_000_000  # events carry ids only; anything this large is not one


def signature(body: bytes, secret: str) -> str:
    """What the platform puts in ``X-AKENEO-SIGNATURE-*``: lowercase hex HMAC-SHA256."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, headers: Mapping[str, str], secrets: Iterable[str]) -> bool:
    """True if any signature header matches any accepted secret. ``body`` must be the raw
    bytes received: a re-serialised JSON would not hash the same."""
    if headers.get("x-akeneo-signature-algorithm", "HmacSHA256") != "HmacSHA256":
        return False
    received = [headers[h].strip().lower() for h in SIGNATURE_HEADERS if headers.get(h)]
    found = False
    for secret in secrets:
        expected = signature(body, secret)
        for sig in received:
            # No early exit: the time taken does not tell which secret or header matched.
            found |= hmac.compare_digest(expected.encode(), sig.encode())
    return found


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


class Receiver:
    """The ASGI app: ``Receiver(spool, secrets, path="/akeneo/events", health=...)``."""

    def __init__(
        self,
        spool: Spool,
        secrets: Iterable[str],
        *,
        path: str = "/",
        health: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        self.spool = spool
        self.secrets = tuple(s for s in secrets if s)
        if not self.secrets:
            raise ValueError("a receiver needs at least one secret")
        self.path = _normal(path)
        self.health = health
        self.counts = {"received": 0, "duplicates": 0, "rejected": 0, "invalid": 0, "full": 0}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets: nothing to do
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path = _normal(request.url.path)
        if path == "/healthz" and request.method in ("GET", "HEAD"):
            return _json({"status": "ok", **self.counts, **self.health()})
        if path != self.path:
            return _json({"error": "not found"}, 404)
        if request.method in ("GET", "HEAD"):  # a probe of the destination URL
            return _json({"status": "ok", "service": "akeneo-sync listen"})
        if request.method != "POST":
            return Response(status_code=405, headers={"Allow": "POST, GET, HEAD"})
        return await self.event(request)

    async def event(self, request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY:
            self.counts["invalid"] += 1
            return _json({"error": "body too large"}, 413)
        body = await request.body()
        if not verify(body, request.headers, self.secrets):
            self.counts["rejected"] += 1
            client = request.client.host if request.client else "?"
            log.warning("event from %s refused: missing or wrong signature", client)
            return _json({"error": "invalid signature"}, 401)
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            event = None
        if not isinstance(event, dict) or not all(
            isinstance(event.get(k), str) and event[k] for k in ("id", "type")
        ):
            self.counts["invalid"] += 1
            return _json({"error": "expected a CloudEvent with an id and a type"}, 400)
        when = event.get("time") if isinstance(event.get("time"), str) else None
        try:
            outcome = await self.spool.add(event["id"], event["type"], when, body)
        except Exception:
            # The spool cannot write (disk full, I/O error): 429 keeps the event on the
            # platform's side for up to an hour instead of counting a failure against us.
            log.exception("could not store event %s; answered 429", event["id"])
            outcome = "full"
        if outcome == "full":
            self.counts["full"] += 1
            return _json({"error": "spool full, retry later"}, 429)
        self.counts["received" if outcome == "added" else "duplicates"] += 1
        return _json({"status": "accepted" if outcome == "added" else "duplicate"})


def _normal(path: str) -> str:
    return "/" + path.strip("/")
