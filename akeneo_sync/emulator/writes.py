"""Create, update and delete products and product models the way Akeneo's PATCH does:
top-level fields replace, ``values`` merge per (attribute, locale, scope), ``associations`` merge
per type. A write stamps ``updated`` with the emulator clock; a model write therefore makes its
descendants match ``updated`` filters through the inherited (indexed) stamp."""

from __future__ import annotations

import copy
import uuid as uuidlib
from typing import TYPE_CHECKING, Any

from akeneo_sync.emulator.catalog_data import CHANNELS, LOCALES
from akeneo_sync.emulator.generate import append_model, append_product
from akeneo_sync.emulator.hal import ApiError

if TYPE_CHECKING:
    from akeneo_sync.emulator.state import Emulator

DOC = {
    "documentation": {"href": "http://api.akeneo.com/api-reference.html#patch_products_uuid__uuid_"}
}
PRODUCT_FIELDS = {
    "uuid",
    "identifier",
    "enabled",
    "family",
    "categories",
    "groups",
    "parent",
    "values",
    "associations",
    "quantified_associations",
    "created",
    "updated",
    "_links",
    "metadata",
    "quality_scores",
    "completenesses",
}
MODEL_FIELDS = {
    "code",
    "family",
    "family_variant",
    "parent",
    "categories",
    "values",
    "associations",
    "quantified_associations",
    "created",
    "updated",
    "_links",
    "metadata",
    "quality_scores",
}


def reject_unknown(fields: set[str] | tuple[str, ...], body: dict[str, Any], **extra: Any) -> None:
    """Akeneo's 422 for a property the resource does not have (``extra``: e.g. its doc link)."""
    for key in body:
        if key not in fields:
            raise ApiError(
                422,
                f'Property "{key}" does not exist. Check the expected format on '
                "the API documentation.",
                **extra,
            )


def require_code(body: dict[str, Any]) -> str:
    """The ``code`` of a resource to create or update; Akeneo's 422 when it is blank."""
    code = body.get("code")
    if not isinstance(code, str) or not code:
        raise ApiError(
            422,
            "Validation failed.",
            errors=[{"property": "code", "message": "This value should not be blank."}],
        )
    return code


def require_same_code(body: dict[str, Any], code: str) -> None:
    """Akeneo's 422 when a body names another code than the URL."""
    if body.get("code", code) != code:
        raise ApiError(
            422,
            f'The code "{body["code"]}" provided in the request body must match '
            f'the code "{code}" provided in the url.',
        )


def _categories(emu: Emulator, value: Any) -> int:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ApiError(422, 'Property "categories" expects an array as data.', _links=DOC)
    for code in value:
        if code not in emu.catalog.s.cat_by_code:
            raise ApiError(
                422,
                f'Property "categories" expects a valid category code. The '
                f'category does not exist, "{code}" given.',
                _links=DOC,
            )
    return emu.catalog.intern(value)


def _validate_values(emu: Emulator, values: Any) -> None:
    if not isinstance(values, dict):
        raise ApiError(422, 'Property "values" expects an array as data.', _links=DOC)
    s = emu.catalog.s
    errors = []
    for code, entries in values.items():
        attr = s.attr_by_code.get(code)
        if attr is None:
            raise ApiError(422, f'Attribute "{code}" does not exist.', _links=DOC)
        if not isinstance(entries, list):
            raise ApiError(422, f'Property "values" expects an array for attribute "{code}".')
        for e in entries:
            if not isinstance(e, dict) or "data" not in e:
                raise ApiError(422, f'Property "{code}" expects an array with the key "data".')
            loc, scope, data = e.get("locale"), e.get("scope"), e["data"]
            if attr["localizable"] != (loc is not None) or (loc and loc not in LOCALES):
                errors.append(
                    _err(
                        code,
                        loc,
                        scope,
                        f'Attribute "{code}" expects '
                        + (
                            "an existing and activated locale"
                            if attr["localizable"]
                            else "no locale"
                        )
                        + f', "{loc}" given.',
                    )
                )
            if attr["scopable"] != (scope is not None) or (scope and scope not in CHANNELS):
                errors.append(
                    _err(
                        code,
                        loc,
                        scope,
                        f'Attribute "{code}" expects '
                        + ("an existing scope" if attr["scopable"] else "no scope")
                        + f', "{scope}" given.',
                    )
                )
            options = s.option_by_code.get(code)
            if options is not None and data not in (None, "", []):
                for opt in data if isinstance(data, list) else [data]:
                    if opt not in options:
                        errors.append(
                            _err(
                                code,
                                loc,
                                scope,
                                f"The {opt} value is not in the {code} attribute option list.",
                            )
                        )
            if (
                attr["type"] == "pim_catalog_boolean"
                and data is not None
                and not isinstance(data, bool)
            ):
                errors.append(_err(code, loc, scope, f"The {code} attribute requires a boolean."))
    if errors:
        raise ApiError(422, "Validation failed.", errors=errors)


def _err(attr: str, loc: Any, scope: Any, message: str) -> dict[str, Any]:
    return {
        "property": "values",
        "message": message,
        "attribute": attr,
        "locale": loc,
        "scope": scope,
    }


def _merge_values(own: dict[str, list[dict[str, Any]]], patch: dict[str, Any]) -> None:
    for code, entries in patch.items():
        current = list(own.get(code, []))
        for e in entries:
            key = (e.get("locale"), e.get("scope"))
            new = {"locale": key[0], "scope": key[1], "data": e["data"]}
            at = next((n for n, c in enumerate(current) if (c["locale"], c["scope"]) == key), None)
            if e["data"] in (None, "", []):
                if at is not None:
                    del current[at]
            elif at is None:
                current.append(new)
            else:
                current[at] = new  # keep the entry's position, as a re-read would show it
        if current:
            own[code] = current
        else:
            own.pop(code, None)


def _merge_associations(own: dict[str, Any], patch: Any, quantified: bool) -> None:
    if not isinstance(patch, dict):
        raise ApiError(422, 'Property "associations" expects an array as data.', _links=DOC)
    for typ, links in patch.items():
        if not isinstance(links, dict):
            raise ApiError(422, f'Property "associations" expects an array for type "{typ}".')
        slot = own.setdefault(
            typ, {} if quantified else {"products": [], "product_models": [], "groups": []}
        )
        for key, refs in links.items():
            slot[key] = list(refs)


def write_product(
    emu: Emulator,
    i: int | None,
    body: dict[str, Any],
    uuid: str | None = None,
    legacy: bool = False,
) -> tuple[int, int]:
    """Apply a product PATCH/POST; returns (index, 201 created | 204 updated)."""
    cat = emu.catalog
    reject_unknown(PRODUCT_FIELDS, body, _links=DOC)
    body = copy.deepcopy(body)
    values = body.get("values", {})
    _validate_values(emu, values)
    if "identifier" in body:
        values["sku"] = [{"locale": None, "scope": None, "data": body["identifier"]}]
    sku = values.get("sku", [{}])[0].get("data") if "sku" in values else None
    if sku is not None:
        owner = cat.index_of_identifier(sku)
        if owner is not None and owner != i:
            raise ApiError(
                422,
                "Validation failed.",
                errors=[
                    {
                        "property": "identifier",
                        "message": "The same identifier is already set on another product",
                        "attribute": "sku",
                        "locale": None,
                        "scope": None,
                    }
                ],
            )
    family = cat.p_family[i] if i is not None else -1
    if "family" in body:
        if body["family"] is None:
            family = -1
        elif body["family"] not in cat.family_idx:
            raise ApiError(
                422,
                f'Property "family" expects a valid family code. The family does '
                f'not exist, "{body["family"]}" given.',
                _links=DOC,
            )
        else:
            family = cat.family_idx[body["family"]]
    parent = cat.p_parent[i] if i is not None else -1
    if "parent" in body:
        if body["parent"] is None:
            parent = -1
        else:
            m = cat.model_index(body["parent"]) if isinstance(body["parent"], str) else None
            if m is None:
                raise ApiError(
                    422,
                    f'Property "parent" expects a valid parent code. The parent '
                    f'product model does not exist, "{body["parent"]}" given.',
                )
            parent, family = m, cat.m_family[m]
    if "enabled" in body and not isinstance(body["enabled"], bool):
        raise ApiError(
            422,
            f'Property "enabled" expects a boolean as data, "{body["enabled"]}" given.',
            _links=DOC,
        )
    cats = _categories(emu, body["categories"]) if "categories" in body else None
    now = int(emu.clock.now())
    status = 204
    if i is None:
        empty_cats = cat.intern(())
        i = append_product(cat, family, parent, -1, True, now, now, empty_cats)
        new_uuid = (uuid or str(uuidlib.uuid4())).lower()
        cat.extra_uuid[new_uuid] = i
        cat.uuid_over[i] = new_uuid
        cat.ident_of[i] = None
        cat.p_over[i] = {
            "values": {},
            "groups": [],
            "associations": {
                t: {"products": [], "product_models": [], "groups": []} for t in cat._assoc_types()
            },
            "quantified_associations": {},
        }
        status = 201
    own = cat.p_over.get(i) or copy.deepcopy(cat.product_own(i))
    cat.p_over[i] = own
    _merge_values(own["values"], values)
    if "sku" in values or status == 201:
        entry = own["values"].get("sku")
        cat.set_identifier(i, entry[0]["data"] if entry else None)
    if "groups" in body:
        own["groups"] = list(body["groups"])
    if "associations" in body:
        _merge_associations(own["associations"], body["associations"], False)
    if "quantified_associations" in body:
        _merge_associations(own["quantified_associations"], body["quantified_associations"], True)
    cat.p_family[i] = family
    cat.set_parent(i, parent)
    if "enabled" in body:
        cat.p_enabled[i] = 1 if body["enabled"] else 0
    if cats is not None:
        cat.p_cats_own[i] = cats
    cat.refresh_product(i)
    cat.p_updated[i] = now
    emu.stats.count("writes")
    emu.events.product("created" if status == 201 else "updated", cat.uuid(i), cat.identifier(i))
    return i, status


def write_model(emu: Emulator, m: int | None, code: str, body: dict[str, Any]) -> tuple[int, int]:
    cat = emu.catalog
    reject_unknown(MODEL_FIELDS, body, _links=DOC)
    body = copy.deepcopy(body)
    require_same_code(body, code)
    values = body.get("values", {})
    _validate_values(emu, values)
    now = int(emu.clock.now())
    status = 204
    if m is None:
        var_code = body.get("family_variant")
        if var_code not in cat.variant_idx:
            raise ApiError(
                422,
                "Validation failed.",
                errors=[
                    {
                        "property": "family_variant",
                        "message": "The product model family variant must not be empty."
                        if not var_code
                        else f'The family variant "{var_code}" does not exist.',
                    }
                ],
            )
        var = cat.variant_idx[var_code]
        parent = -1
        if body.get("parent"):
            p = cat.model_index(body["parent"])
            if p is None or cat.m_parent[p] >= 0 or cat.m_variant[p] != var:
                raise ApiError(
                    422, f'Property "parent" expects a valid parent code, "{body["parent"]}" given.'
                )
            parent = p
        cats = _categories(emu, body.get("categories", []))
        m = append_model(cat, code, cat.variant_family[var], var, parent, -1, now, now, cats)
        cat.m_over[m] = {
            "values": {},
            "associations": {
                t: {"products": [], "product_models": [], "groups": []} for t in cat._assoc_types()
            },
            "quantified_associations": {},
        }
        status = 201
    else:
        if (
            "family_variant" in body
            and body["family_variant"] != cat.variants[cat.m_variant[m]]["code"]
        ):
            raise ApiError(
                422,
                f'Property "family_variant" cannot be modified, "{body["family_variant"]}" given.',
            )
        if "categories" in body:
            cat.m_cats_own[m] = _categories(emu, body["categories"])
    own = cat.m_over.get(m) or copy.deepcopy(cat.model_own(m))
    cat.m_over[m] = own
    _merge_values(own["values"], values)
    if "associations" in body:
        _merge_associations(own["associations"], body["associations"], False)
    if "quantified_associations" in body:
        _merge_associations(own["quantified_associations"], body["quantified_associations"], True)
    cat.m_updated[m] = now
    cat.refresh_model(m)
    emu.stats.count("writes")
    emu.events.product_model("created" if status == 201 else "updated", code)
    return m, status


def delete_model(emu: Emulator, m: int) -> None:
    cat = emu.catalog
    subs, products = cat.descendants_of_model(m)
    for k in [m, *subs]:
        cat.m_alive[k] = 0
    for i in products:
        cat.p_alive[i] = 0
    emu.stats.count("writes")
    emu.events.model_deleted(
        cat.m_code[m],
        [cat.m_code[k] for k in subs],
        [(cat.uuid(i), cat.identifier(i)) for i in products],
    )
