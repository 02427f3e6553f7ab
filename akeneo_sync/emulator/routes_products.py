"""Products (``/products-uuid`` and legacy ``/products``) and product models: list with both
pagination modes and every filter, get, create, update (one or a collection), delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.filters import Pred, parse_search
from akeneo_sync.emulator.guard import emulator, endpoint
from akeneo_sync.emulator.hal import (
    ApiError,
    api_base,
    decode_cursor,
    encode_cursor,
    flag,
    json_response,
    offset_page,
    offset_window,
    pagination_type,
    parse_limit,
    read_json,
    search_after_page,
)
from akeneo_sync.emulator.render import View
from akeneo_sync.emulator.search import model_predicate, product_predicate
from akeneo_sync.emulator.state import Emulator
from akeneo_sync.emulator.writes import delete_model, require_code, write_model, write_product

COLLECTION = "application/vnd.akeneo.collection+json"


def _view(request: Request, emu: Emulator, legacy: bool = False, single: bool = False) -> View:
    q = request.query_params
    s = emu.catalog.s
    scope = q.get("scope")
    if scope is not None and scope not in s.channel_by_code:
        raise ApiError(422, f'Scope "{scope}" does not exist.')
    locales = set(q["locales"].split(",")) if q.get("locales") else None
    for loc in locales or ():
        if loc not in {x["code"] for x in s.locales if x["enabled"]}:
            raise ApiError(422, f'Locale "{loc}" does not exist or is not activated.')
    attributes = set(q["attributes"].split(",")) if q.get("attributes") else None
    missing = sorted(a for a in attributes or () if a not in s.attr_by_code)
    if missing:
        raise ApiError(422, f'Attributes "{",".join(missing)}" do not exist.')
    return View(
        base=api_base(request),
        attributes=attributes,
        locales=locales,
        scope=scope,
        with_options=flag(request, "with_attribute_options"),
        with_completenesses=flag(request, "with_completenesses"),
        with_quality_scores=flag(request, "with_quality_scores"),
        legacy=legacy,
        links=not single,
    )


def _scan(pred: Pred | None, start: int, stop: int, limit: int) -> list[int]:
    out: list[int] = []
    if pred is None:
        return list(range(start, min(stop, start + limit)))
    for i in range(start, stop):
        if pred(i):
            out.append(i)
            if len(out) == limit:
                break
    return out


async def _list(
    request: Request,
    pred: Pred | None,
    total: int,
    mask: int,
    render: Callable[[int], dict[str, Any]],
) -> Response:
    emu = emulator(request)
    if pagination_type(request, True) == "search_after":
        limit = parse_limit(request)
        cursor = request.query_params.get("search_after")
        start = decode_cursor(cursor, mask) + 1 if cursor else 0
        found = _scan(pred, start, total, limit)
        nxt = encode_cursor(found[-1], mask) if len(found) == limit else None
        items = [render(i) for i in found]
        await emu.item_delay(len(items))
        return json_response(search_after_page(request, items, limit, nxt))
    page, limit, with_count = offset_window(request, capped=True)
    found = _scan(pred, 0, total, page * limit)[(page - 1) * limit :]
    count = None
    if with_count:
        count = sum(1 for i in range(total) if pred is None or pred(i))
    items = [render(i) for i in found]
    await emu.item_delay(len(items))
    return json_response(offset_page(request, items, page, limit, count))


def _predicate(build: Callable[..., Pred | None], request: Request, emu: Emulator) -> Pred | None:
    """``product_predicate`` or ``model_predicate`` of the request's search parameters."""
    q = request.query_params
    search = parse_search(q.get("search"))
    return build(
        emu.renderer,
        search,
        q.get("scope"),
        emu.clock.now(),
        q.get("search_locale"),
        q.get("search_scope"),
    )


def _product_pred(request: Request, emu: Emulator, legacy: bool) -> Pred | None:
    pred = _predicate(product_predicate, request, emu)
    if legacy:  # the identifier-based endpoint skips products without identifier
        base = pred or (lambda i: True)
        ident = emu.catalog.identifier
        return lambda i: base(i) and ident(i) is not None
    return pred


async def _collection(
    request: Request, key: str, apply: Callable[[dict[str, Any]], int]
) -> Response:
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if ctype != COLLECTION:
        raise ApiError(
            415, f'"{ctype}" in "Content-Type" header is not valid. Only "{COLLECTION}" is allowed.'
        )
    lines = [ln for ln in (await request.body()).split(b"\n") if ln.strip()]
    if len(lines) > 100:
        raise ApiError(413, "Too many resources to process, 100 is the maximum allowed.")
    out = []
    for n, raw in enumerate(lines, 1):
        result: dict[str, Any] = {"line": n}
        try:
            item = orjson.loads(raw)
            if not isinstance(item, dict):
                raise orjson.JSONDecodeError("not an object", "", 0)
        except orjson.JSONDecodeError:
            result.update(status_code=400, message="Invalid json message received")
            out.append(result)
            continue
        if key in item:
            result[key] = item[key]
        try:
            result["status_code"] = apply(item)
        except ApiError as exc:
            result.update(status_code=exc.status, message=exc.message)
            if "errors" in exc.extra:
                result["errors"] = exc.extra["errors"]
        out.append(result)
    body = b"\n".join(orjson.dumps(r) for r in out)
    return Response(body, media_type=COLLECTION)


def _not_found_product(ref: str) -> ApiError:
    return ApiError(
        404, f'Product "{ref}" does not exist or you do not have permission to access it.'
    )


def product_routes(legacy: bool) -> list[Route]:
    prefix = "/api/rest/v1/products" if legacy else "/api/rest/v1/products-uuid"
    key = "identifier" if legacy else "uuid"

    def lookup(emu: Emulator, ref: str) -> int | None:
        cat = emu.catalog
        return cat.index_of_identifier(ref) if legacy else cat.index_of_uuid(ref)

    def location(request: Request, emu: Emulator, i: int) -> dict[str, str]:
        ref = emu.catalog.identifier(i) if legacy else emu.catalog.uuid(i)
        return {"Location": f"{api_base(request)}/{prefix.rsplit('/', 1)[1]}/{ref}"}

    @endpoint("products")
    async def collection(request: Request) -> Response:
        emu = emulator(request)
        cat = emu.catalog
        if request.method == "GET":
            view = _view(request, emu, legacy)
            pred = _product_pred(request, emu, legacy)
            return await _list(
                request, pred, len(cat.p_family), cat._mask, lambda i: emu.renderer.product(i, view)
            )
        if request.method == "POST":
            body = await read_json(request)
            ref = body.get(key)
            if legacy and not ref:
                raise ApiError(422, 'Property "identifier" is required.')
            if ref is not None and lookup(emu, ref) is not None:
                raise ApiError(
                    422,
                    "Validation failed.",
                    errors=[
                        {
                            "property": key,
                            "message": f"The {key} {ref} is already used for another product.",
                        }
                    ],
                )
            i, _ = write_product(emu, None, body, uuid=None if legacy else ref, legacy=legacy)
            return Response(status_code=201, headers=location(request, emu, i))

        def apply(item: dict[str, Any]) -> int:
            ref = item.get(key)
            i = lookup(emu, ref) if isinstance(ref, str) else None
            if legacy and not ref:
                raise ApiError(422, 'Property "identifier" is required.')
            return write_product(emu, i, item, uuid=None if legacy else ref, legacy=legacy)[1]

        return await _collection(request, key, apply)

    @endpoint("products")
    async def one(request: Request) -> Response:
        emu = emulator(request)
        ref = request.path_params["ref"]
        i = lookup(emu, ref)
        if request.method == "GET":
            if i is None:
                raise _not_found_product(ref)
            return json_response(emu.renderer.product(i, _view(request, emu, legacy, True)))
        if request.method == "DELETE":
            if i is None:
                raise _not_found_product(ref)
            emu.catalog.p_alive[i] = 0
            emu.stats.count("writes")
            emu.events.product("deleted", emu.catalog.uuid(i), emu.catalog.identifier(i))
            return Response(status_code=204)
        body = await read_json(request)
        if key in body and body[key] != ref and (legacy or str(body[key]).lower() != ref.lower()):
            raise ApiError(
                422,
                f'The {key} "{body[key]}" provided in the request body must '
                f'match the {key} "{ref}" provided in the url.',
            )
        if legacy:
            body.setdefault("identifier", ref)
        i, status = write_product(emu, i, body, uuid=None if legacy else ref, legacy=legacy)
        return Response(status_code=status, headers=location(request, emu, i))

    return [
        Route(prefix, collection, methods=["GET", "POST", "PATCH"]),
        Route(prefix + "/{ref}", one, methods=["GET", "PATCH", "DELETE"]),
    ]


def _model_not_found(code: str) -> ApiError:
    return ApiError(
        404, f'Product model "{code}" does not exist or you do not have permission to access it.'
    )


@endpoint("product-models")
async def models(request: Request) -> Response:
    emu = emulator(request)
    cat = emu.catalog
    if request.method == "GET":
        view = _view(request, emu)
        pred = _predicate(model_predicate, request, emu)
        return await _list(
            request, pred, len(cat.m_code), emu.model_mask, lambda m: emu.renderer.model(m, view)
        )
    base = api_base(request)
    if request.method == "POST":
        body = await read_json(request)
        code = require_code(body)
        if cat.model_index(code) is not None:
            raise ApiError(
                422,
                "Validation failed.",
                errors=[{"property": "code", "message": "This value is already used."}],
            )
        write_model(emu, None, code, body)
        return Response(status_code=201, headers={"Location": f"{base}/product-models/{code}"})

    def apply(item: dict[str, Any]) -> int:
        code = item.get("code")
        if not isinstance(code, str) or not code:
            raise ApiError(422, 'Property "code" is required.')
        return write_model(emu, cat.model_index(code), code, item)[1]

    return await _collection(request, "code", apply)


@endpoint("product-models")
async def model(request: Request) -> Response:
    emu = emulator(request)
    code = request.path_params["code"]
    m = emu.catalog.model_index(code)
    if request.method == "GET":
        if m is None:
            raise _model_not_found(code)
        return json_response(emu.renderer.model(m, _view(request, emu, single=True)))
    if request.method == "DELETE":
        if m is None:
            raise _model_not_found(code)
        delete_model(emu, m)
        return Response(status_code=204)
    body = await read_json(request)
    m, status = write_model(emu, m, code, body)
    return Response(
        status_code=status, headers={"Location": f"{api_base(request)}/product-models/{code}"}
    )


ROUTES = [
    *product_routes(legacy=False),
    *product_routes(legacy=True),
    Route("/api/rest/v1/product-models", models, methods=["GET", "POST", "PATCH"]),
    Route("/api/rest/v1/product-models/{code}", model, methods=["GET", "PATCH", "DELETE"]),
]
