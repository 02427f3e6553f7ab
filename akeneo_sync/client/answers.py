"""What an answer means: one classification for the token endpoint and the API alike.

A status is transient (``RETRY_STATUSES``: retried with backoff) or final (raised at once, with
the class the caller acts on: ``errors.py``). A 2xx body must be the API's JSON: one cut short
(the transfer ended cleanly half-way) is transient like a dropped connection; anything else (an
SSO login page, a proxy's page, a PHP notice printed before the JSON) is final, and the error
shows what the server sent -- status, content type, the first bytes with secrets masked -- and
what to check, because "expected JSON" alone sends people looking at the wrong thing.
"""

from __future__ import annotations

import email.utils
import re
import time
from typing import Any

import httpx
import orjson

from akeneo_sync.errors import (
    AkeneoError,
    AuthError,
    BadResponseError,
    ClientError,
    NotFoundError,
    RetryableError,
)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses worth retrying; others (501, 505, 4xx) will not change by asking again."""

EXCERPT = 80
# A body that is not what we expected may still carry a token (a login answer cut short).
_SECRET = re.compile(
    r"""((?:access_token|refresh_token|password|client_secret)["']?\s*[:=]\s*["']?|"""
    r"""bearer\s+)[^"'&,;\s}]*""",
    re.IGNORECASE,
)


def status_error(
    method: str, response: httpx.Response, refused: str = "the credentials were refused"
) -> AkeneoError:
    """The error for a non-2xx answer; a ``RetryableError`` for a transient status.
    ``refused``: what a 401 means for the auth in use (a token or credentials to check)."""
    status = response.status_code
    where: dict[str, Any] = {"method": method, "url": clean_url(response.request.url)}
    message = error_message(response)
    if status in RETRY_STATUSES:
        wait = retry_after(response.headers.get("Retry-After"))
        return RetryableError(message, status=status, retry_after=wait, **where)
    if status == 401:
        return AuthError(f"{message.rstrip('.')}: {refused}", status=status, **where)
    if status == 404:
        return NotFoundError(message, status=status, **where)
    if 300 <= status < 400:
        message = (
            f"redirected to {response.headers.get('Location', '?')}: the URL is probably the "
            "PIM's web UI or behind a login page; give the API's base URL "
            "(https://your-pim.example.com)"
        )
        return ClientError(message, status=status, **where)
    if status >= 500:  # 501, 505, ...: the server cannot do this at all; not retried
        return AkeneoError(f"{message}; not a transient error, not retried", status=status, **where)
    return ClientError(message, status=status, **where)


def decode_json(method: str, response: httpx.Response) -> Any:
    """The JSON of a 2xx answer, else ``RetryableError`` (cut short) or ``BadResponseError``."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise not_json(method, response) from None


def not_json(method: str, response: httpx.Response) -> AkeneoError:
    body = response.content
    ctype = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    where: dict[str, Any] = {
        "method": method,
        "url": clean_url(response.request.url),
        "status": response.status_code,
    }
    if cut_short(body):
        return RetryableError(f"the JSON stops after {len(body):,} bytes (cut short)", **where)
    sent = f"{ctype} starting {excerpt(body)!r}" if body.strip() else f"an empty {ctype} body"
    head = body.lstrip()[:15].lower()
    if "html" in ctype or head.startswith((b"<!doctype", b"<html")):
        hint = (
            "a web page answered, not the API (a login page or a proxy?): check that the URL is "
            "the PIM's base URL and that the API is reachable without a browser login"
        )
    else:
        hint = (
            "check the URL, and what sits in front of the PIM (a proxy; PHP notices printed "
            "into answers: display_errors must be off)"
        )
    return BadResponseError(f"expected JSON, got {sent}; {hint}", **where)


def cut_short(body: bytes) -> bool:
    """Whether ``body`` is JSON that stops half-way: it parses right up to its end (a
    character cut in two at the end is dropped first)."""
    text = body.decode("utf-8", "ignore").strip()
    if text[:1] not in ("{", "["):
        return False
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return exc.pos >= len(text)
    return False


def excerpt(body: bytes, limit: int = EXCERPT) -> str:
    """The start of ``body`` as one printable line, secrets masked."""
    text = _SECRET.sub(r"\1***", body[: limit * 4].decode("utf-8", "replace"))
    text = "".join(c if c.isprintable() else " " for c in " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_message(response: httpx.Response) -> str:
    """Akeneo's ``message`` (plus its per-field ``errors``), else the HTTP reason."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.reason_phrase or f"HTTP {response.status_code}"
    if isinstance(body, dict) and body.get("message"):
        text = str(body["message"])
        for error in body.get("errors") or []:
            if isinstance(error, dict):
                text += f"; {error.get('property', '')}: {error.get('message', '')}"
        return text
    return response.reason_phrase or f"HTTP {response.status_code}"


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` is seconds or an HTTP date; Akeneo does not always send it."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def clean_url(url: httpx.URL | str) -> str:
    """The URL without ``user:pass@``: Akeneo puts no secret in URLs, but a user-supplied base
    URL may carry one."""
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL:  # still say which URL, without what looks like credentials
        return re.sub(r"//[^/@]*@", "//", str(url))
    return str(parsed.copy_with(username=None, password=None)) if parsed.userinfo else str(url)
