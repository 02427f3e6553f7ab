"""HTTP plumbing shared by all routes: Akeneo's error bodies, orjson responses, the HAL list
envelope with absolute links that repeat the query, and both pagination modes."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

PAGE_CAP = 10_000
PAGE_CAP_MESSAGE = (
    'You have reached the maximum number of pages you can retrieve with the "page" pagination '
    "type. Please use the search after pagination type instead"
)
PAGE_CAP_DOC = "http://api.akeneo.com/documentation/pagination.html#the-search-after-method"


class ApiError(Exception):
    """Raised anywhere in a handler; rendered as Akeneo's ``{"code", "message"}`` body."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, headers=headers, media_type="application/json"
    )


def error_response(status: int, message: str, **extra: Any) -> Response:
    return json_response({"code": status, "message": message, **extra}, status)


def api_base(request: Request) -> str:
    """Absolute API root built from the request host, as Akeneo builds its links."""
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}/api/rest/v1"


def link(request: Request, **override: Any) -> dict[str, str]:
    params: list[tuple[str, str]] = []
    seen = set()
    for key, value in request.query_params.multi_items():
        if key in override:
            if key in seen:
                continue
            seen.add(key)
            if override[key] is None:
                continue
            value = str(override[key])
        params.append((key, value))
    for key, value in override.items():
        if key not in seen and value is not None:
            params.append((key, str(value)))
    url = (
        f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        f"{request.url.path}"
    )
    return {"href": f"{url}?{urlencode(params, quote_via=quote)}" if params else url}


def parse_limit(request: Request, default: int = 10) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(422, f'"{raw}" is not a valid limit number.')
    if int(raw) > 100:
        raise ApiError(422, "You cannot request more than 100 items.")
    return int(raw)


def pagination_type(request: Request, search_after_ok: bool) -> str:
    kind = request.query_params.get("pagination_type", "page")
    if kind not in ("page", "search_after"):
        raise ApiError(422, "Pagination type does not exist.")
    if kind == "search_after" and not search_after_ok:
        raise ApiError(422, "Pagination type is not supported.")
    return kind


def offset_window(request: Request, capped: bool) -> tuple[int, int, bool]:
    limit = parse_limit(request)
    raw_page = request.query_params.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise ApiError(422, f'"{raw_page}" is not a valid page number.')
    page = int(raw_page)
    with_count = request.query_params.get("with_count", "false")
    if with_count not in ("true", "false"):
        raise ApiError(
            422,
            'Parameter "with_count" has to be a boolean. Only "true" or "false" '
            f'allowed, "{with_count}" given.',
        )
    if capped and (page - 1) * limit >= PAGE_CAP:
        raise ApiError(422, PAGE_CAP_MESSAGE, _links={"documentation": {"href": PAGE_CAP_DOC}})
    return page, limit, with_count == "true"


def offset_page(
    request: Request, items: list[Any], page: int, limit: int, count: int | None
) -> dict[str, Any]:
    links = {
        "self": link(request, page=page, limit=limit),
        "first": link(request, page=1, limit=limit),
    }
    if page > 1:
        links["previous"] = link(request, page=page - 1, limit=limit)
    if len(items) == limit:
        links["next"] = link(request, page=page + 1, limit=limit)
    body: dict[str, Any] = {"_links": links, "current_page": page}
    if count is not None:
        body["items_count"] = count
    body["_embedded"] = {"items": items}
    return body


def search_after_page(
    request: Request, items: list[Any], limit: int | None, next_cursor: str | None
) -> dict[str, Any]:
    extra = {"limit": limit} if limit is not None else {}
    links = {"self": link(request, **extra), "first": link(request, search_after=None, **extra)}
    if next_cursor is not None:
        links["next"] = link(request, search_after=next_cursor, **extra)
    return {"_links": links, "_embedded": {"items": items}}


def encode_cursor(index: int, mask: int) -> str:
    # Opaque like Akeneo's encrypted primary key; clients must follow _links.next verbatim.
    raw = ((index ^ mask) & ((1 << 48) - 1)).to_bytes(6, "little")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, mask: int) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if len(raw) != 6:
            raise ValueError
    except ValueError:
        raise ApiError(422, f'Parameter "search_after" is not valid, "{token}" given.') from None
    return (int.from_bytes(raw, "little") ^ mask) & ((1 << 48) - 1)


def flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false")
    if raw not in ("true", "false"):
        raise ApiError(
            422,
            f'Parameter "{name}" has to be a boolean. Only "true" or "false" '
            f'allowed, "{raw}" given.',
        )
    return raw == "true"


async def read_json(request: Request) -> Any:
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if not ctype:
        raise ApiError(
            415,
            'The "Content-Type" header is missing. "application/json" has to be '
            "specified as value.",
        )
    if ctype != "application/json":
        raise ApiError(
            415,
            f'"{ctype}" in "Content-Type" header is not valid. Only "application/json" is allowed.',
        )
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(400, "Invalid json message received") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid json message received")
    return data
