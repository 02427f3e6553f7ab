"""Fault injection and traffic accounting, as one pure-ASGI middleware.

Latency (fixed, per item, jitter), a concurrency limit per API connection answered 429 (with or
without Retry-After), random 500/502/503, connections cut mid-body, stalls, and 200 answers whose
JSON is truncated or preceded by garbage are all drawn from one RNG seeded with the catalog seed,
so a run is reproducible (a fault left at 0 draws nothing, so adding one keeps earlier runs'
draws). ``html_login`` answers every call with the login page of an SSO proxy, as a PIM behind
one does when the proxy does not recognise the caller. ``/_emulator/*`` is never faulted.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx
import orjson

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from akeneo_sync.emulator.auth import Auth
    from akeneo_sync.emulator.config import EmulatorConfig
    from akeneo_sync.emulator.stats import Stats


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised mid-response: uvicorn then closes the socket, and in-process (ASGITransport)
    callers see the same transport error a real cut connection gives them."""

    def __init__(self) -> None:
        super().__init__(
            "peer closed connection without sending complete message body (emulator drop)"
        )


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def _resource(path: str) -> str:
    parts = path.split("/")
    if len(parts) > 4 and parts[1] == "api":
        return parts[4] if parts[2] == "rest" else "token"
    return path


class FaultMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        config: EmulatorConfig,
        stats: Stats,
        rng: random.Random,
        auth: Auth,
    ) -> None:
        self.app = app
        self.config, self.stats, self.rng, self.auth = config, stats, rng, auth
        self.in_flight: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The event platform is another service than the PIM: PIM faults do not apply to it.
        if scope["type"] != "http" or scope["path"].startswith(("/_emulator", "/event-platform")):
            await self.app(scope, receive, send)
            return
        cfg, stats, rng = self.config, self.stats, self.rng
        stats.count("requests")
        stats.by_path[_resource(scope["path"])] += 1
        key = self._client_key(scope)
        state = {"status": 0}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                stats.by_status[message["status"]] += 1
                if message["status"] >= 500:
                    stats.count("errors_5xx")
            elif message["type"] == "http.response.body":
                stats.count("bytes_sent", len(message.get("body", b"")))
            await send(message)

        if cfg.html_login:  # the proxy answers before the PIM sees the call
            stats.count("html_login")
            await _plain(counting_send, 200, LOGIN_PAGE, {})
            return
        if cfg.max_concurrency and self.in_flight[key] >= cfg.max_concurrency:
            stats.count("throttled_429")
            headers = {"Retry-After": str(cfg.retry_after_seconds)} if cfg.retry_after else {}
            await _plain(counting_send, 429, {"code": 429, "message": "Too many requests"}, headers)
            return
        self.in_flight[key] += 1
        stats.max_in_flight = max(stats.max_in_flight, sum(self.in_flight.values()))
        began = time.perf_counter()
        delay = cfg.latency_ms + (rng.uniform(0, cfg.jitter_ms) if cfg.jitter_ms else 0.0)
        ready = began + delay / 1000

        async def paced_send(message: Message) -> None:
            # An answer takes ``delay`` in all, the emulator's own work included, as a real
            # server's does (its workers run side by side; the emulator's work is on one core).
            if (
                message["type"] == "http.response.start"
                and (wait := ready - time.perf_counter()) > 0
            ):
                await asyncio.sleep(wait)
            await counting_send(message)

        try:
            if cfg.stall_rate and rng.random() < cfg.stall_rate:
                stats.count("stalled")
                await asyncio.sleep(cfg.stall_ms / 1000)
            if cfg.error_rate and rng.random() < cfg.error_rate:
                stats.count("injected_errors")
                status = rng.choice((500, 502, 503))
                body: Any = (
                    {"code": 500, "message": "Internal Server Error"}
                    if status == 500
                    else f"<html><body><h1>{status} Bad Gateway</h1></body></html>"
                )
                await _plain(paced_send, status, body, {})
                return
            if cfg.drop_rate and rng.random() < cfg.drop_rate:
                await self.app(scope, receive, _dropping(paced_send, stats))
                return
            if cfg.truncate_rate and rng.random() < cfg.truncate_rate:
                await self.app(scope, receive, _spoiling(paced_send, stats, "truncated"))
                return
            if cfg.garbage_rate and rng.random() < cfg.garbage_rate:
                await self.app(scope, receive, _spoiling(paced_send, stats, "garbage"))
                return
            await self.app(scope, receive, paced_send)
        finally:
            self.in_flight[key] -= 1
            stats.count("served_us", round((time.perf_counter() - began) * 1e6))

    def _client_key(self, scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                token = value.decode("latin-1")[7:].strip()
                known = self.auth.access.get(token)
                return known.client_id if known else "anonymous"
        return "anonymous"


def _dropping(send: Send, stats: Any) -> Send:
    """Send the status line and half of the body, then cut the connection."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            stats.count("dropped")
            raise DroppedConnection()
        await send(message)

    return wrapped


def _spoiling(send: Send, stats: Any, fault: str) -> Send:
    """Hold a 200 JSON answer back and send it spoiled, with a Content-Length that matches:
    ``truncated`` ends half-way (the transfer itself succeeds), ``garbage`` has a PHP notice in
    front, as a PIM with ``display_errors`` on sends. Other answers pass through untouched."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            ctype = dict(message.get("headers", [])).get(b"content-type", b"")
            if message["status"] == 200 and b"json" in ctype:
                start = message
                return
        elif start is not None and message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            body = body[: len(body) // 2] if fault == "truncated" else PHP_NOTICE + body
            stats.count(fault)
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            message = {"type": "http.response.body", "body": body}
        await send(message)

    return wrapped


PHP_NOTICE = (
    b"<br />\n<b>Deprecated</b>:  strlen(): Passing null to parameter #1 ($string) of type "
    b"string is deprecated in <b>/srv/pim/vendor/symfony/http-foundation/Request.php</b> on "
    b"line <b>1480</b><br />\n"
)
LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title></head>
<body><form method="post" action="/sso/login">
<h1>Sign in</h1><label>Email <input type="email" name="login"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Next</button></form></body></html>
"""


async def _plain(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = body.encode() if isinstance(body, str) else orjson.dumps(body)
    ctype = b"text/html" if isinstance(body, str) else b"application/json"
    raw = [(b"content-type", ctype), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def make_rng(seed: int) -> random.Random:
    return random.Random(seed * 31 + 7)
