"""The Event Platform's management API, mounted on the emulator under ``/event-platform/api/v1``
(Akeneo's is ``https://event.prd.sdk.akeneo.cloud/api/v1``; point a client's ``--events-url`` at
``<emulator url>/event-platform/api/v1``), and the ``/_emulator/events`` control surface.

    POST   /subscribers                                     201 subscriber
    GET    /subscribers                                     200 [subscriber]
    GET    /subscribers/{sid}                               200 subscriber
    PATCH  /subscribers/{sid}                               200 subscriber
    DELETE /subscribers/{sid}                               200 subscriber (and its subscriptions)
    POST   /subscribers/{sid}/subscriptions                 201 subscription
    GET    /subscribers/{sid}/subscriptions                 200 [subscription] (not deleted)
    GET    /subscribers/{sid}/subscriptions/{id}            200 subscription
    PATCH  /subscribers/{sid}/subscriptions/{id}            200 subscription
    DELETE /subscribers/{sid}/subscriptions/{id}            200 subscription, status "deleted"
    POST   /subscribers/{sid}/subscriptions/{id}/suspend    202 subscription
    POST   /subscribers/{sid}/subscriptions/{id}/resume     202 subscription

Every call needs ``X-PIM-URL`` (https, or http on loopback), ``X-PIM-TOKEN`` (an access token
this emulator issued, unexpired) and ``X-PIM-CLIENT-ID`` (the client that token belongs to);
otherwise 401. Errors are ``{"errors": [{"message": ...}]}``.

Control (unauthenticated, never faulted): ``GET /_emulator/events`` (counters, options, each
subscription's queue and rate, ``recent_errors`` and ``recent_notifications``), ``POST
/_emulator/events`` (change options, see ``event_options.py``), ``POST /_emulator/events/reset``
(zero the counters) and ``POST /_emulator/events/emit`` (``{"type", "data", "author"?}``: emit any
catalogued event, e.g. ``family.updated``, which no emulated REST write produces).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.event_types import EVENT_TYPES, full_type
from akeneo_sync.emulator.events import EventPlatform
from akeneo_sync.emulator.hal import error_response, json_response
from akeneo_sync.emulator.state import Emulator
from akeneo_sync.emulator.subscriptions import EventApiError, Subscriber, check_url

PREFIX = "/event-platform/api/v1"
BAD_CREDENTIALS = "tenant context not found or invalid credentials"
Handler = Callable[[Request], Awaitable[Response]]


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def _platform(request: Request) -> EventPlatform:
    return _emu(request).events


def _caller(request: Request) -> tuple[str, str]:
    """(PIM URL, client id) of a valid X-PIM-* header triple, else 401."""
    emu, headers = _emu(request), request.headers
    url, token, client_id = (
        headers.get("x-pim-url"),
        headers.get("x-pim-token"),
        headers.get("x-pim-client-id"),
    )
    if not url or not token or not client_id:
        raise EventApiError(
            401, f"{BAD_CREDENTIALS}: X-PIM-URL, X-PIM-TOKEN and X-PIM-CLIENT-ID are required"
        )
    try:
        check_url(url, "X-PIM-URL", emu.events.options.allow_loopback_http)
    except EventApiError as exc:
        raise EventApiError(401, f"{BAD_CREDENTIALS}: {exc.message}") from exc
    known = emu.auth.access.get(token)
    if known is None or known.expires < emu.clock.now() or known.client_id != client_id:
        raise EventApiError(401, BAD_CREDENTIALS)
    return url.rstrip("/"), client_id


def management(fn: Handler) -> Handler:
    @wraps(fn)
    async def handler(request: Request) -> Response:
        try:
            return await fn(request)
        except EventApiError as exc:
            return json_response({"errors": [{"message": exc.message}]}, exc.status)

    return handler


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError as exc:
        raise EventApiError(400, f"Malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise EventApiError(400, "Expected a JSON object")
    return data


def _subscriber(request: Request) -> Subscriber:
    _, client_id = _caller(request)
    return _platform(request).registry.subscriber(request.path_params["sid"], client_id)


@management
async def subscribers(request: Request) -> Response:
    subject, client_id = _caller(request)
    registry = _platform(request).registry
    if request.method == "GET":
        return json_response([s.render() for s in registry.subscribers_of(client_id, subject)])
    created = registry.create_subscriber(await _body(request), subject, client_id)
    return json_response(created.render(), 201)


@management
async def subscriber(request: Request) -> Response:
    sub = _subscriber(request)
    platform = _platform(request)
    if request.method == "PATCH":
        platform.registry.update_subscriber(sub, await _body(request))
    elif request.method == "DELETE":
        platform.delete_subscriber(sub)
    return json_response(sub.render())


@management
async def subscriptions(request: Request) -> Response:
    owner = _subscriber(request)
    platform = _platform(request)
    if request.method == "GET":
        return json_response([s.render() for s in platform.registry.subscriptions_of(owner)])
    created = platform.registry.create_subscription(owner, await _body(request))
    platform.activate(created)
    return json_response(created.render(), 201)


@management
async def subscription(request: Request) -> Response:
    owner = _subscriber(request)
    platform = _platform(request)
    changing = request.method != "GET"
    sub = platform.registry.subscription(owner, request.path_params["id"], changing)
    if request.method == "PATCH":
        platform.registry.update_subscription(sub, owner, await _body(request))
        platform.activate(sub)
    elif request.method == "DELETE":
        platform.delete(sub)
    return json_response(sub.render())


def _action(name: str) -> Handler:
    @management
    async def act(request: Request) -> Response:
        owner = _subscriber(request)
        platform = _platform(request)
        sub = platform.registry.subscription(owner, request.path_params["id"], changing=True)
        if name == "suspend":
            platform.suspend(sub, "Suspended by the user", by="user")
        else:
            platform.resume(sub)
        return json_response(sub.render(), 202)

    return act


# -- control surface ---------------------------------------------------------------------------
async def control(request: Request) -> Response:
    platform = _platform(request)
    if request.method == "POST":
        try:
            raw = await request.body()
            changes = orjson.loads(raw) if raw else {}
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object of event options")
            platform.options.update(changes)
        except ValueError as exc:  # JSONDecodeError is one
            return error_response(400, str(exc))
    return json_response(platform.snapshot())


async def control_reset(request: Request) -> Response:
    _platform(request).reset()
    return json_response(_platform(request).snapshot())


async def control_emit(request: Request) -> Response:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        return error_response(400, str(exc))
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return error_response(400, 'expected {"type": ..., "data": {...}}')
    event_type = full_type(body["type"])
    data, author = body.get("data", {}), body.get("author")
    if event_type not in EVENT_TYPES:
        return error_response(400, f"Unknown event type {event_type}")
    if not isinstance(data, dict):
        return error_response(400, "data must be an object")
    if author is not None and not (
        isinstance(author, dict)
        and isinstance(author.get("identifier"), str)
        and isinstance(author.get("type"), str)
    ):
        return error_response(400, 'author must be {"identifier": ..., "type": ...}')
    event_id = _platform(request).emit(event_type, data, author)
    return json_response({"id": event_id, "type": event_type}, 202)


_SUB = PREFIX + "/subscribers/{sid}/subscriptions/{id}"
ROUTES = [
    Route(PREFIX + "/subscribers", subscribers, methods=["GET", "POST"]),
    Route(PREFIX + "/subscribers/{sid}", subscriber, methods=["GET", "PATCH", "DELETE"]),
    Route(PREFIX + "/subscribers/{sid}/subscriptions", subscriptions, methods=["GET", "POST"]),
    Route(_SUB, subscription, methods=["GET", "PATCH", "DELETE"]),
    Route(_SUB + "/suspend", _action("suspend"), methods=["POST"]),
    Route(_SUB + "/resume", _action("resume"), methods=["POST"]),
    Route("/_emulator/events", control, methods=["GET", "POST"]),
    Route("/_emulator/events/reset", control_reset, methods=["POST"]),
    Route("/_emulator/events/emit", control_emit, methods=["POST"]),
]
