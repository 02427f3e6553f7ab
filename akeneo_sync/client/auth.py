"""OAuth for Akeneo Connections, as one ``httpx.Auth`` object.

Akeneo hands out access tokens for an hour and refresh tokens for two weeks, and rotates the
refresh token on every use. This flow:

- logs in with the password grant on first use;
- refreshes *before* the access token expires (a margin of 10 % of its life, at most 60 s), so
  long exports never see an expired token in the normal case;
- on a 401 anyway (a token revoked or expired early), refreshes and replays the request once;
- when the refresh token is refused (expired, already used), falls back to a fresh password login,
  which the official PHP client does not do and which is why its exports die after two weeks.

Concurrent requests share one refresh: a lock serialises it and the others reuse its result.
The token endpoint's answers are classified as the API's are (``answers.py``): a transient status
or a body cut short is raised as ``RetryableError`` and the HTTP layer retries the whole request;
a 404 or 405 means the URL is wrong, not the credentials, and the error says so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx
import orjson

from akeneo_sync.client.answers import (
    RETRY_STATUSES,
    clean_url,
    decode_json,
    error_message,
    status_error,
)
from akeneo_sync.errors import AkeneoError, AuthError, BadResponseError, ClientError

TOKEN_PATH = "/api/oauth/v1/token"

TokenFlow = Generator[httpx.Request, httpx.Response, None]


class PasswordAuth(httpx.Auth):
    refused = "the credentials were refused after a refresh"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token_url = base_url.rstrip("/") + TOKEN_PATH
        self._basic = httpx.BasicAuth(client_id, client_secret)
        self._username = username
        self._password = password
        self._clock = clock
        self._lock = asyncio.Lock()
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self._refresh_at = 0.0
        self.signed_in = asyncio.Event()
        """Set once a token is in: the URL and the credentials are good."""
        self.logins = 0
        self.refreshes = 0

    def _fresh(self) -> bool:
        return self.access_token is not None and self._clock() < self._refresh_at

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used: str | None = None
        for replay in (False, True):
            async with self._lock:
                # After a 401, refresh only if nobody else did meanwhile.
                stale = self.access_token == used if replay else not self._fresh()
                if stale:
                    self.access_token = None
                    flow = self._obtain_token()
                    step = next(flow)
                    while True:
                        token_response = yield step
                        await token_response.aread()
                        try:
                            step = flow.send(token_response)
                        except StopIteration:
                            break
            used = self.access_token
            request.headers["Authorization"] = f"Bearer {used}"
            response = yield request
            if response.status_code != 401:
                return

    def _obtain_token(self) -> TokenFlow:
        if self.refresh_token:
            response = yield self._token_request(
                {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
            )
            if response.status_code == 200:
                self._store(response)
                self.refreshes += 1
                return
            if response.status_code in RETRY_STATUSES:
                raise status_error("POST", response)
            # Refused (expired after 14 days, or already rotated): log in again below.
            self.refresh_token = None
        response = yield self._token_request(
            {"grant_type": "password", "username": self._username, "password": self._password}
        )
        if response.status_code == 200:
            self._store(response)
            self.logins += 1
            return
        raise self._login_error(response)

    def _login_error(self, response: httpx.Response) -> AkeneoError:
        status = response.status_code
        where: dict[str, Any] = {
            "method": "POST",
            "url": clean_url(self._token_url),
            "status": status,
        }
        if status in (404, 405):
            return ClientError(
                "no Akeneo token endpoint at this URL: check the URL; give the PIM's base URL "
                "(e.g. https://my-pim.cloud.akeneo.com), without a path such as /user/login",
                **where,
            )
        if status in (400, 401, 403, 422):
            return AuthError(
                f"login refused: {error_message(response)}; check the client id, secret, "
                "username and password of your Akeneo connection",
                **where,
            )
        return status_error("POST", response)  # transient (retried), a redirect, 501...

    def _token_request(self, body: dict[str, str]) -> httpx.Request:
        request = httpx.Request(
            "POST",
            self._token_url,
            content=orjson.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        # BasicAuth's flow only sets a header; reuse it rather than encoding by hand.
        return next(self._basic.auth_flow(request))

    def _store(self, response: httpx.Response) -> None:
        body = decode_json("POST", response)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise BadResponseError(
                "the token endpoint answered without an access_token: check the URL",
                method="POST",
                url=clean_url(self._token_url),
                status=response.status_code,
            )
        self.access_token = str(body["access_token"])
        self.refresh_token = body.get("refresh_token") or self.refresh_token
        life = float(body.get("expires_in") or 3600)
        self._refresh_at = self._clock() + life - min(60.0, life * 0.1)
        self.signed_in.set()


class BearerAuth(httpx.Auth):
    """A fixed token (Akeneo Apps): no expiry, no refresh; a 401 is final."""

    refused = "the App token was refused (revoked or mistyped?): check --token or AKENEO_TOKEN"

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request
