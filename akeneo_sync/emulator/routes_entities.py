"""Reference entities, records, asset families and assets (search_after only, values keyed by
``channel``), plus media downloads for products, records and assets."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator import media
from akeneo_sync.emulator.filters import code_list, parse_search, unsupported
from akeneo_sync.emulator.guard import emulator, endpoint
from akeneo_sync.emulator.hal import (
    ApiError,
    api_base,
    json_response,
    offset_page,
    offset_window,
    search_after_page,
)
from akeneo_sync.emulator.routes_structure import _iso_filter

V1 = "/api/rest/v1"
PAGE = 100  # server-side page size of search_after-only endpoints


def _after(request: Request, items: list[dict[str, Any]], path: str, shape: Any = None) -> Response:
    cursor = request.query_params.get("search_after")
    rows = sorted(items, key=lambda x: x["code"])
    if cursor:
        rows = [x for x in rows if x["code"] > cursor]
    chunk = rows[:PAGE]
    base = api_base(request)
    out = [
        {"_links": {"self": {"href": f"{base}/{path}/{x['code']}"}}, **(shape(x) if shape else x)}
        for x in chunk
    ]
    nxt = chunk[-1]["code"] if len(chunk) == PAGE else None
    return json_response(search_after_page(request, out, None, nxt))


def _shape_values(request: Request) -> Any:
    channel = request.query_params.get("channel")
    locales = request.query_params.get("locales")
    wanted = set(locales.split(",")) if locales else None

    def shape(x: dict[str, Any]) -> dict[str, Any]:
        if channel is None and wanted is None:
            return x
        values = {}
        for code, entries in x["values"].items():
            kept = [
                e
                for e in entries
                if (channel is None or e["channel"] in (None, channel))
                and (wanted is None or e["locale"] is None or e["locale"] in wanted)
            ]
            if kept:
                values[code] = kept
        return {**x, "values": values}

    return shape


def _filter_records(request: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for field, conds in parse_search(request.query_params.get("search")).items():
        for cond in conds:
            op, value = cond["operator"], cond.get("value")
            if field == "code" and op in ("IN", "NOT IN"):
                wanted = set(code_list(field, value))
                items = [x for x in items if (x["code"] in wanted) == (op == "IN")]
            elif field == "updated" and op in (">", "<"):
                t = _iso_filter(field, value)
                items = [x for x in items if (_iso_filter(field, x["updated"]) > t) == (op == ">")]
            elif field == "updated" and op == "BETWEEN":
                lo, hi = (_iso_filter(field, v) for v in code_list(field, value))
                items = [x for x in items if lo <= _iso_filter(field, x["updated"]) <= hi]
            else:
                raise unsupported(field, op)
    return items


def _entity(request: Request, kind: str) -> str:
    s = emulator(request).catalog.s
    code = request.path_params["entity"]
    known = s.records if kind == "reference-entities" else s.assets
    if code not in known:
        noun = "Reference entity" if kind == "reference-entities" else "Asset family"
        raise ApiError(404, f'{noun} "{code}" does not exist.')
    return code


@endpoint("reference-entities")
async def ref_entities(request: Request) -> Response:
    s = emulator(request).catalog.s
    base = api_base(request)

    def shape(x: dict[str, Any]) -> dict[str, Any]:
        return {
            "_links": {
                "image_download": {"href": f"{base}/reference-entities-media-files/{x['image']}"}
            },
            **x,
        }

    return _after(request, s.reference_entities, "reference-entities", shape)


@endpoint("reference-entities")
async def ref_entity(request: Request) -> Response:
    s = emulator(request).catalog.s
    code = _entity(request, "reference-entities")
    x = next(e for e in s.reference_entities if e["code"] == code)
    base = api_base(request)
    return json_response(
        {
            "_links": {
                "image_download": {"href": f"{base}/reference-entities-media-files/{x['image']}"}
            },
            **x,
        }
    )


@endpoint("reference-entities")
async def ref_attributes(request: Request) -> Response:
    return json_response(
        emulator(request).catalog.s.ref_attributes[_entity(request, "reference-entities")]
    )


@endpoint("reference-entities")
async def records(request: Request) -> Response:
    s = emulator(request).catalog.s
    code = _entity(request, "reference-entities")
    items = _filter_records(request, s.records[code])
    return _after(request, items, f"reference-entities/{code}/records", _shape_values(request))


@endpoint("reference-entities")
async def record(request: Request) -> Response:
    s = emulator(request).catalog.s
    code = _entity(request, "reference-entities")
    for r in s.records[code]:
        if r["code"] == request.path_params["code"]:
            return json_response(r)
    raise ApiError(404, f'Record "{request.path_params["code"]}" does not exist.')


@endpoint("asset-families")
async def asset_families(request: Request) -> Response:
    return _after(request, emulator(request).catalog.s.asset_families, "asset-families")


@endpoint("asset-families")
async def asset_family(request: Request) -> Response:
    code = _entity(request, "asset-families")
    s = emulator(request).catalog.s
    return json_response(next(f for f in s.asset_families if f["code"] == code))


@endpoint("asset-families")
async def asset_attributes(request: Request) -> Response:
    return json_response(
        emulator(request).catalog.s.asset_attributes[_entity(request, "asset-families")]
    )


def _asset_links(request: Request, x: dict[str, Any]) -> dict[str, Any]:
    base = api_base(request)
    values = {}
    for code, entries in x["values"].items():
        out = []
        for e in entries:
            data = e["data"]
            if isinstance(data, str) and data.endswith((".png", ".pdf")) and "/" in data:
                e = {**e, "_links": {"download": {"href": f"{base}/asset-media-files/{data}"}}}
            out.append(e)
        values[code] = out
    return {**x, "values": values}


@endpoint("asset-families")
async def assets(request: Request) -> Response:
    s = emulator(request).catalog.s
    code = _entity(request, "asset-families")
    shape = _shape_values(request)
    items = _filter_records(request, s.assets[code])
    return _after(
        request, items, f"asset-families/{code}/assets", lambda x: _asset_links(request, shape(x))
    )


@endpoint("asset-families")
async def asset(request: Request) -> Response:
    s = emulator(request).catalog.s
    code = _entity(request, "asset-families")
    for a in s.assets[code]:
        if a["code"] == request.path_params["code"]:
            return json_response(_asset_links(request, a))
    raise ApiError(404, f'Asset "{request.path_params["code"]}" does not exist.')


@endpoint("asset-families")
async def delete_asset(request: Request) -> Response:
    """``DELETE .../assets/{code}``: gone from the listing, an ``asset.deleted`` event."""
    emu = emulator(request)
    family = _entity(request, "asset-families")
    code = request.path_params["code"]
    kept = [a for a in emu.catalog.s.assets[family] if a["code"] != code]
    if len(kept) == len(emu.catalog.s.assets[family]):
        raise ApiError(404, f'Asset "{code}" does not exist.')
    emu.catalog.s.assets[family] = kept
    emu.stats.count("writes")
    emu.events.asset("deleted", family, code)
    return Response(status_code=204)


def _attr_options(request: Request, kind: str) -> Response:
    s = emulator(request).catalog.s
    entity = _entity(request, kind)
    attrs = (s.ref_attributes if kind == "reference-entities" else s.asset_attributes)[entity]
    attr = next((a for a in attrs if a["code"] == request.path_params["attr"]), None)
    if attr is None:
        raise ApiError(404, f'Attribute "{request.path_params["attr"]}" does not exist.')
    if not attr["type"].endswith("option") and not attr["type"].endswith("options"):
        return json_response([])
    pool = {
        "country": ["fr", "de", "it", "es", "cn", "us"],
        "tags": ["premium", "eco", "local", "classic"],
        "shot_type": ["front", "back", "side", "detail"],
        "main_colors": ["red", "blue", "black"],
    }.get(attr["code"], [])
    return json_response([{"code": c, "labels": {"en_US": c.capitalize()}} for c in pool])


@endpoint("reference-entities")
async def ref_attr_options(request: Request) -> Response:
    return _attr_options(request, "reference-entities")


@endpoint("asset-families")
async def asset_attr_options(request: Request) -> Response:
    return _attr_options(request, "asset-families")


@endpoint("media-files")
async def media_list(request: Request) -> Response:
    emu = emulator(request)
    page, limit, with_count = offset_window(request, capped=False)
    base = api_base(request)
    codes = media.list_codes(emu, (page - 1) * limit, limit)
    items = [media.metadata(base, c) for c in codes]
    count = len(media.list_codes(emu, 0, 10**9)) if with_count else None
    return json_response(offset_page(request, items, page, limit, count))


@endpoint("media-files")
async def media_one(request: Request) -> Response:
    emu = emulator(request)
    code = request.path_params["code"]
    if not media.is_product_media(emu, code):
        raise ApiError(404, f'Media file "{code}" does not exist.')
    return json_response(media.metadata(api_base(request), code))


def _download(kind: str) -> Any:
    @endpoint(kind, json_only=False)
    async def download(request: Request) -> Response:
        emu = emulator(request)
        code = request.path_params["code"]
        ok = (
            media.is_product_media(emu, code)
            if kind == "media-files"
            else (code in emu.catalog.s.extra_media)
        )
        if not ok:
            raise ApiError(404, f'Media file "{code}" does not exist.')
        filename = code.rsplit("/", 1)[-1].split("_", 1)[1]
        ext = filename.rsplit(".", 1)[-1]
        return Response(
            media.content(code),
            media_type=media.MIME.get(ext, "image/png"),
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return download


ROUTES = [
    Route(V1 + "/reference-entities", ref_entities, methods=["GET"]),
    Route(V1 + "/reference-entities/{entity}", ref_entity, methods=["GET"]),
    Route(V1 + "/reference-entities/{entity}/attributes", ref_attributes, methods=["GET"]),
    Route(
        V1 + "/reference-entities/{entity}/attributes/{attr}/options",
        ref_attr_options,
        methods=["GET"],
    ),
    Route(V1 + "/reference-entities/{entity}/records", records, methods=["GET"]),
    Route(V1 + "/reference-entities/{entity}/records/{code}", record, methods=["GET"]),
    Route(V1 + "/asset-families", asset_families, methods=["GET"]),
    Route(V1 + "/asset-families/{entity}", asset_family, methods=["GET"]),
    Route(V1 + "/asset-families/{entity}/attributes", asset_attributes, methods=["GET"]),
    Route(
        V1 + "/asset-families/{entity}/attributes/{attr}/options",
        asset_attr_options,
        methods=["GET"],
    ),
    Route(V1 + "/asset-families/{entity}/assets", assets, methods=["GET"]),
    Route(V1 + "/asset-families/{entity}/assets/{code}", asset, methods=["GET"]),
    Route(V1 + "/asset-families/{entity}/assets/{code}", delete_asset, methods=["DELETE"]),
    Route(V1 + "/media-files", media_list, methods=["GET"]),
    Route(V1 + "/media-files/{code:path}/download", _download("media-files"), methods=["GET"]),
    Route(V1 + "/media-files/{code:path}", media_one, methods=["GET"]),
    Route(
        V1 + "/reference-entities-media-files/{code:path}",
        _download("reference-entities"),
        methods=["GET"],
    ),
    Route(V1 + "/asset-media-files/{code:path}", _download("asset-families"), methods=["GET"]),
]
_ = offset_page
