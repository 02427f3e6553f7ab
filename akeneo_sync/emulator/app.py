"""The ASGI application: API routes, the token endpoint, the unauthenticated ``/_emulator``
control surface (stats, faults, clock) and Akeneo-style 404/405 bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator import (
    routes_entities,
    routes_events,
    routes_products,
    routes_structure,
)
from akeneo_sync.emulator.catalog import Catalog
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.faults import FaultMiddleware
from akeneo_sync.emulator.hal import api_base, error_response, json_response
from akeneo_sync.emulator.state import Emulator


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


async def token(request: Request) -> Response:
    return await _emu(request).auth.token_endpoint(request)


async def root(request: Request) -> Response:
    base = api_base(request)
    return json_response(
        {
            "host": base.rsplit("/api/", 1)[0],
            "authentication": {
                "fos_oauth_server_token": {"route": "/api/oauth/v1/token", "methods": ["POST"]}
            },
            "routes": {
                "pim_api_product_uuid_list": {
                    "route": "/api/rest/v1/products-uuid",
                    "methods": ["GET"],
                }
            },
        }
    )


async def stats(request: Request) -> Response:
    return json_response(_emu(request).stats.snapshot())


async def stats_reset(request: Request) -> Response:
    _emu(request).stats.reset()
    return json_response(_emu(request).stats.snapshot())


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = orjson.loads(raw) if raw else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


async def faults(request: Request) -> Response:
    emu = _emu(request)
    if request.method == "POST":
        try:
            wrong = emu.config.update_runtime(await _body(request))
        except ValueError as exc:
            return error_response(400, str(exc))
        if wrong:
            return error_response(422, wrong)
    return json_response(emu.config.public_dict())


async def clock(request: Request) -> Response:
    """``{"advance": seconds}``, ``{"offset": seconds}`` or ``{"now": "YYYY-MM-DD hh:mm:ss"}``
    (also an epoch number); reads answer the current server time."""
    emu = _emu(request)
    if request.method == "POST":
        try:
            body = await _body(request)
            if "advance" in body:
                emu.clock.advance(float(body["advance"]))
            if "offset" in body:
                emu.clock.offset = float(body["offset"])
            if "now" in body:
                now = body["now"]
                emu.clock.set_now(
                    float(now)
                    if isinstance(now, int | float)
                    else datetime.fromisoformat(str(now)).replace(tzinfo=UTC).timestamp()
                )
        except (ValueError, TypeError) as exc:
            return error_response(400, str(exc))
    now = emu.clock.now()
    return json_response(
        {
            "now": emu.clock.iso_now(),
            "epoch": now,
            "offset": emu.clock.offset,
            "filter_format": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    target = f'"{request.method} {request.url.path}"'
    if exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "")
        return error_response(
            405, f"No route found for {target}: Method Not Allowed (Allow: {allow})"
        )
    if exc.status_code == 404:
        return error_response(404, f"No route found for {target}")
    return error_response(exc.status_code, str(exc.detail))


def create_app(config: EmulatorConfig | None = None, catalog: Catalog | None = None) -> Starlette:
    """Build the emulator app; pass ``catalog`` to share one generated catalog between apps."""
    config = config or EmulatorConfig()
    emu = Emulator(config, catalog)
    routes = [
        Route("/api/oauth/v1/token", token, methods=["POST"]),
        Route("/api/rest/v1", root, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/stats/reset", stats_reset, methods=["POST"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST"]),
        Route("/_emulator/clock", clock, methods=["GET", "POST"]),
        *routes_products.ROUTES,
        *routes_structure.ROUTES,
        *routes_entities.ROUTES,
        *routes_events.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                FaultMiddleware, config=emu.config, stats=emu.stats, rng=emu.rng, auth=emu.auth
            )
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.emu = emu
    return app
