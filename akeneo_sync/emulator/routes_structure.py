"""Catalog-structure endpoints: offset-paginated lists with their filters, single GETs, PATCH of
attribute options and categories, plain-array endpoints, search_after-only reference entities,
records, asset families and assets, and media files with their downloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from akeneo_sync.emulator.catalog import TREE_BITS
from akeneo_sync.emulator.config import iso
from akeneo_sync.emulator.filters import FilterError, code_list, parse_search, unsupported
from akeneo_sync.emulator.guard import emulator, endpoint
from akeneo_sync.emulator.hal import (
    ApiError,
    api_base,
    json_response,
    offset_page,
    offset_window,
    pagination_type,
    read_json,
)
from akeneo_sync.emulator.routes_products import _collection
from akeneo_sync.emulator.structure import Structure
from akeneo_sync.emulator.writes import reject_unknown, require_code, require_same_code

V1 = "/api/rest/v1"
Items = Callable[[Structure], list[dict[str, Any]]]
_VERB = {201: "created", 204: "updated"}  # the write's status -> the event it emits


def _iso_filter(field: str, value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise FilterError(
            422, f'Property "{field}" expects a string with the ISO 8601 format, "{value}" given.'
        ) from None


def _struct_filter(
    items: list[dict[str, Any]],
    raw: str | None,
    allowed: set[str],
    updated: Callable[[dict[str, Any]], float] | None,
) -> list[dict[str, Any]]:
    for field, conds in parse_search(raw).items():
        if field not in allowed:
            raise unsupported(field, conds[0]["operator"] if conds else "")
        for cond in conds:
            op, value = cond["operator"], cond.get("value")
            if field in ("code", "type") and op == "IN":
                wanted = set(code_list(field, value))
                items = [x for x in items if x[field] in wanted]
            elif field == "updated" and op == ">" and updated is not None:
                t = _iso_filter(field, value)
                items = [x for x in items if updated(x) > t]
            elif field in ("enabled", "is_root") and op == "=" and isinstance(value, bool):
                key = (
                    (lambda x: x["parent"] is None)
                    if field == "is_root"
                    else (lambda x: x["enabled"])
                )
                items = [x for x in items if key(x) == value]
            elif field == "parent" and op == "=":
                items = [x for x in items if x["parent"] == value]
            else:
                raise unsupported(field, op)
    return items


def _with_self(base: str, path: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"_links": {"self": {"href": f"{base}/{path}"}}, **item}


def offset_resource(
    resource: str,
    path: str,
    items: Items,
    allowed: frozenset[str] | set[str] = frozenset(),
    updated_key: str | None = None,
    shape: Callable[[Request, dict[str, Any]], dict[str, Any]] | None = None,
) -> list[Route]:
    """List + get-one routes for a code-keyed structure resource."""

    @endpoint(resource)
    async def listing(request: Request) -> Response:
        emu = emulator(request)
        pagination_type(request, False)
        page, limit, with_count = offset_window(request, capped=False)
        s = emu.catalog.s
        updated = None
        if updated_key:

            def updated(x: dict[str, Any]) -> float:
                return s.updated.get((updated_key, x["code"]), 0)
        elif resource == "categories":

            def updated(x: dict[str, Any]) -> float:
                return _iso_filter("updated", x["updated"])

        rows = _struct_filter(items(s), request.query_params.get("search"), set(allowed), updated)
        base = api_base(request)
        chunk = rows[(page - 1) * limit : page * limit]
        out = [
            _with_self(
                base,
                f"{path.format(**request.path_params).lstrip('/')}/{x['code']}",
                shape(request, x) if shape else x,
            )
            for x in chunk
        ]
        await emu.item_delay(len(out))
        return json_response(
            offset_page(request, out, page, limit, len(rows) if with_count else None)
        )

    @endpoint(resource)
    async def one(request: Request) -> Response:
        emu = emulator(request)
        code = request.path_params["code"]
        for x in items(emu.catalog.s):
            if x["code"] == code:
                return json_response(shape(request, x) if shape else x)
        raise ApiError(404, _missing(resource, code))

    return [
        Route(V1 + path, listing, methods=["GET"]),
        Route(V1 + path + "/{code}", one, methods=["GET"]),
    ]


def _missing(resource: str, code: str) -> str:
    noun = {
        "attributes": "Attribute",
        "families": "Family",
        "categories": "Category",
        "channels": "Channel",
        "locales": "Locale",
        "currencies": "Currency",
        "attribute-groups": "Attribute group",
        "association-types": "Association type",
        "measure-families": "Measure family",
    }.get(resource, resource.capitalize())
    return f'{noun} "{code}" does not exist.'


def _category_shape(request: Request, c: dict[str, Any]) -> dict[str, Any]:
    if request.query_params.get("with_position") == "true":
        return c
    return {k: v for k, v in c.items() if k != "position"}


def _attribute_options(s: Structure, attr: str) -> list[dict[str, Any]]:
    if attr not in s.attr_by_code:
        raise ApiError(404, f'Attribute "{attr}" does not exist.')
    if attr not in s.options:
        raise ApiError(
            404,
            f'Attribute "{attr}" does not support options. Only attributes of '
            'type "pim_catalog_simpleselect", "pim_catalog_multiselect" support '
            "options.",
        )
    return s.options[attr]


def _upsert_option(request: Request, attr: str, item: dict[str, Any]) -> int:
    s = emulator(request).catalog.s
    options = _attribute_options(s, attr)
    code = require_code(item)
    reject_unknown(("code", "attribute", "sort_order", "labels", "_links"), item)
    if item.get("attribute", attr) != attr:
        raise ApiError(
            422,
            f'The attribute code "{item["attribute"]}" provided in the request '
            f'body must match the attribute code "{attr}" provided in the url.',
        )
    found = s.option_by_code[attr].get(code)
    if found is None:
        found = {"code": code, "attribute": attr, "sort_order": len(options), "labels": {}}
        options.append(found)
        s.option_by_code[attr][code] = found
        emulator(request).catalog._gen_attrs[attr]["_options"].append(code)
        status = 201
    else:
        status = 204
    if "sort_order" in item:
        found["sort_order"] = item["sort_order"]
    if "labels" in item:
        found["labels"] = {**found["labels"], **(item["labels"] or {})}
    # An option change does not bump the attribute's ``updated`` (Akeneo trap #14).
    emulator(request).stats.count("writes")
    emulator(request).events.attribute_option(_VERB[status], attr, code)
    return status


@endpoint("attributes")
async def options_list(request: Request) -> Response:
    emu = emulator(request)
    attr = request.path_params["attr"]
    if request.method == "PATCH":
        return await _collection(request, "code", lambda it: _upsert_option(request, attr, it))
    options = _attribute_options(emu.catalog.s, attr)
    page, limit, with_count = offset_window(request, capped=False)
    base = api_base(request)
    chunk = options[(page - 1) * limit : page * limit]
    out = [_with_self(base, f"attributes/{attr}/options/{o['code']}", o) for o in chunk]
    return json_response(
        offset_page(request, out, page, limit, len(options) if with_count else None)
    )


@endpoint("attributes")
async def option_one(request: Request) -> Response:
    emu = emulator(request)
    attr, code = request.path_params["attr"], request.path_params["code"]
    options = _attribute_options(emu.catalog.s, attr)
    if request.method == "PATCH":
        body = await read_json(request)
        require_same_code(body, code)
        status = _upsert_option(request, attr, {**body, "code": code})
        return Response(
            status_code=status,
            headers={"Location": f"{api_base(request)}/attributes/{attr}/options/{code}"},
        )
    for o in options:
        if o["code"] == code:
            return json_response(o)
    raise ApiError(404, f'Attribute option "{code}" does not exist.')


def _upsert_category(request: Request, item: dict[str, Any]) -> int:
    emu = emulator(request)
    s = emu.catalog.s
    code = require_code(item)
    reject_unknown(("code", "parent", "labels", "updated", "position", "_links", "values"), item)
    parent = item.get("parent")
    # A parent must exist and must not be the category itself or one of its descendants.
    own_subtree = s.descendants(code) if code in s.cat_by_code else []
    if parent is not None and (parent not in s.cat_by_code or parent in own_subtree):
        raise ApiError(
            422,
            f'Property "parent" expects a valid category code. The category does '
            f'not exist, "{parent}" given.',
        )
    found = s.cat_by_code.get(code)
    status = 204
    if found is None:
        found = {"code": code, "parent": parent, "updated": "", "position": 1, "labels": {}}
        s.categories.append(found)
        status = 201
    if "parent" in item or status == 201:
        found["parent"] = parent
    if "labels" in item:
        found["labels"] = {**found["labels"], **(item["labels"] or {})}
    found["updated"] = iso(emu.clock.now())
    s.index()
    cat = emu.catalog
    cat.catset_trees[:] = [
        sum({TREE_BITS.get(s.cat_root.get(c, ""), 0) for c in cs}) for cs in cat.catsets
    ]
    emu.stats.count("writes")
    emu.events.category(_VERB[status], code)
    return status


@endpoint("categories")
async def categories_write(request: Request) -> Response:
    return await _collection(request, "code", lambda it: _upsert_category(request, it))


@endpoint("categories")
async def category_write(request: Request) -> Response:
    code = request.path_params["code"]
    body = await read_json(request)
    require_same_code(body, code)
    status = _upsert_category(request, {**body, "code": code})
    return Response(
        status_code=status, headers={"Location": f"{api_base(request)}/categories/{code}"}
    )


@endpoint("measurement-families")
async def measurement_families(request: Request) -> Response:
    return json_response(emulator(request).catalog.s.measurement_families)


def _measure_families(s: Structure) -> list[dict[str, Any]]:
    """The measure families of Akeneo 2.x-4.x (``/measure-families``, offset-paginated), which
    older connectors still call: the standard unit as ``standard``, units as a list and each
    conversion as one ``{operator: value}`` object."""
    return sorted(
        (
            {
                "code": m["code"],
                "standard": m["standard_unit_code"],
                "units": [
                    {
                        "code": u["code"],
                        "convert": {
                            op["operator"]: op["value"] for op in u["convert_from_standard"]
                        },
                        "symbol": u["symbol"],
                    }
                    for u in m["units"].values()
                ],
            }
            for m in s.measurement_families
        ),
        key=lambda m: str(m["code"]),
    )


def _variants(s: Structure, request: Request) -> list[dict[str, Any]]:
    family = request.path_params["family"]
    if family not in s.family_by_code:
        raise ApiError(404, f'Family "{family}" does not exist.')
    return s.family_variants[family]


@endpoint("families")
async def variants_list(request: Request) -> Response:
    emu = emulator(request)
    items = _variants(emu.catalog.s, request)
    page, limit, with_count = offset_window(request, capped=False)
    base = api_base(request)
    fam = request.path_params["family"]
    out = [
        _with_self(base, f"families/{fam}/variants/{v['code']}", v)
        for v in items[(page - 1) * limit : page * limit]
    ]
    return json_response(offset_page(request, out, page, limit, len(items) if with_count else None))


@endpoint("families")
async def variant_one(request: Request) -> Response:
    emu = emulator(request)
    for v in _variants(emu.catalog.s, request):
        if v["code"] == request.path_params["code"]:
            return json_response(v)
    raise ApiError(404, f'Family variant "{request.path_params["code"]}" does not exist.')


ROUTES: list[Route] = [
    *offset_resource(
        "attributes",
        "/attributes",
        lambda s: s.attributes,
        {"code", "updated", "type"},
        "attribute",
    ),
    Route(V1 + "/attributes/{attr}/options", options_list, methods=["GET", "PATCH"]),
    Route(V1 + "/attributes/{attr}/options/{code}", option_one, methods=["GET", "PATCH"]),
    *offset_resource(
        "attribute-groups",
        "/attribute-groups",
        lambda s: s.attribute_groups,
        {"code", "updated"},
        "attribute_group",
    ),
    *offset_resource("families", "/families", lambda s: s.families, {"code", "updated"}, "family"),
    Route(V1 + "/families/{family}/variants", variants_list, methods=["GET"]),
    Route(V1 + "/families/{family}/variants/{code}", variant_one, methods=["GET"]),
    Route(V1 + "/categories", categories_write, methods=["PATCH"]),
    Route(V1 + "/categories/{code}", category_write, methods=["PATCH"]),
    *offset_resource(
        "categories",
        "/categories",
        lambda s: s.categories,
        {"code", "updated", "is_root", "parent"},
        shape=_category_shape,
    ),
    *offset_resource("channels", "/channels", lambda s: s.channels, {"code"}),
    *offset_resource("locales", "/locales", lambda s: s.locales, {"code", "enabled"}),
    *offset_resource("currencies", "/currencies", lambda s: s.currencies, {"code", "enabled"}),
    *offset_resource(
        "association-types", "/association-types", lambda s: s.association_types, {"code"}
    ),
    Route(V1 + "/measurement-families", measurement_families, methods=["GET"]),
    *offset_resource("measure-families", "/measure-families", _measure_families),
]
