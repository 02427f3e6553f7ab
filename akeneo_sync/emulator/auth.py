"""OAuth2 token endpoint and bearer-token checks, with the exact 422/401 messages Akeneo uses.

Refresh tokens rotate: every refresh issues a new pair and consumes the old refresh token.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from akeneo_sync.emulator.config import Clock, EmulatorConfig
from akeneo_sync.emulator.hal import error_response, json_response
from akeneo_sync.emulator.stats import Stats

BAD_CLIENT = 'Parameter "client_id" is missing or does not match any client, or secret is invalid'
BAD_PASSWORD_GRANT = 'Parameter "grant_type", "username" or "password" is missing, empty or invalid'
BAD_REFRESH_GRANT = 'Parameter "grant_type" or "refresh_token" is missing or empty'


@dataclass
class Token:
    client_id: str
    expires: float


class Auth:
    def __init__(self, config: EmulatorConfig, clock: Clock, stats: Stats) -> None:
        self.config, self.clock, self.stats = config, clock, stats
        self.access: dict[str, Token] = {}
        self.refresh: dict[str, Token] = {}

    def _issue(self, client_id: str) -> Response:
        cfg, now = self.config, self.clock.now()
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
        self.access[access] = Token(client_id, now + cfg.token_ttl)
        self.refresh[refresh] = Token(client_id, now + cfg.refresh_token_ttl)
        self.stats.count("tokens_issued")
        return json_response(
            {
                "access_token": access,
                "expires_in": cfg.token_ttl,
                "token_type": "bearer",
                "scope": None,
                "refresh_token": refresh,
            }
        )

    async def token_endpoint(self, request: Request) -> Response:
        cfg = self.config
        body = await request.body()
        if len(body) > 200:
            return error_response(422, "The request content size is too large")
        header = request.headers.get("authorization", "")
        client_ok = False
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
                cid, _, secret = decoded.partition(":")
                client_ok = cid == cfg.client_id and secret == cfg.secret
            except (ValueError, UnicodeDecodeError):
                client_ok = False
        if not client_ok:
            return error_response(422, BAD_CLIENT)
        ctype = request.headers.get("content-type", "")
        params: dict[str, object]
        try:
            if "json" in ctype:
                loaded = orjson.loads(body) if body else {}
                params = loaded if isinstance(loaded, dict) else {}
            else:
                params = dict(parse_qsl(body.decode()))
        except (orjson.JSONDecodeError, UnicodeDecodeError):
            params = {}
        grant = params.get("grant_type")
        if grant == "refresh_token":
            token = params.get("refresh_token")
            if not token or not isinstance(token, str):
                return error_response(422, BAD_REFRESH_GRANT)
            known = self.refresh.pop(token, None)
            if known is None or known.expires < self.clock.now():
                return error_response(422, "Refresh token is invalid or has expired")
            self.stats.count("token_refreshes")
            return self._issue(cfg.client_id)
        if grant != "password":
            if isinstance(grant, str) and grant and grant not in ("password", "refresh_token"):
                return error_response(422, "This grant type is not authorized for this client")
            return error_response(422, BAD_PASSWORD_GRANT)
        user, password = params.get("username"), params.get("password")
        if not user or not password or not isinstance(user, str):
            return error_response(422, BAD_PASSWORD_GRANT)
        if user != cfg.username or password != cfg.password:
            return error_response(422, "No user found for the given username and password")
        return self._issue(cfg.client_id)

    def check(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return error_response(401, "Authentication is required")
        token = self.access.get(header[7:].strip())
        if token is None:
            return error_response(401, "The access token provided is invalid.")
        if token.expires < self.clock.now():
            return error_response(401, "The access token provided has expired.")
        return None
