"""The wrapper every API route goes through: bearer auth, Accept negotiation, per-resource 403
and the conversion of raised errors into Akeneo's JSON error bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from akeneo_sync.emulator.filters import FilterError
from akeneo_sync.emulator.hal import ApiError, error_response

if TYPE_CHECKING:
    from akeneo_sync.emulator.state import Emulator

Handler = Callable[[Request], Awaitable[Response]]
ACCEPTED = ("application/json", "*/*", "application/*", "application/vnd.akeneo.collection+json")


def emulator(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def endpoint(resource: str, json_only: bool = True) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        @wraps(fn)
        async def handler(request: Request) -> Response:
            emu = emulator(request)
            denied = emu.auth.check(request)
            if denied is not None:
                return denied
            accept = request.headers.get("accept", "")
            if json_only and accept and not any(a in accept for a in ACCEPTED):
                return error_response(
                    406,
                    f'"{accept}" in "Accept" header is not valid. Only '
                    '"application/json" or "*/*" are allowed.',
                )
            if resource in emu.config.forbidden_resources:
                verb = {"GET": "list", "DELETE": "remove"}.get(request.method, "edit")
                return error_response(
                    403,
                    f"Access forbidden. You are not allowed to {verb} "
                    f"{resource.replace('-', ' ')}.",
                )
            try:
                return await fn(request)
            except ApiError as exc:
                return error_response(exc.status, exc.message, **exc.extra)
            except FilterError as exc:
                return error_response(exc.status, exc.message)

        return handler

    return deco
