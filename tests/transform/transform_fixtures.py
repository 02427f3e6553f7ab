"""Small hand-written catalog covering every attribute type (our own, not Akeneo's examples)."""

from __future__ import annotations

from typing import Any


def _attr(code: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "type": type_,
        "localizable": False,
        "scopable": False,
        "decimals_allowed": None,
        "labels": {"en_US": code.title()},
        **extra,
    }


ATTRIBUTES: dict[str, dict[str, Any]] = {
    a["code"]: a
    for a in (
        _attr("sku", "pim_catalog_identifier"),
        _attr("name", "pim_catalog_text", localizable=True),
        _attr("description", "pim_catalog_textarea", localizable=True, scopable=True),
        _attr("age", "pim_catalog_number", decimals_allowed=False),
        _attr("speed", "pim_catalog_number", decimals_allowed=True),
        _attr("smart", "pim_catalog_boolean"),
        _attr("release", "pim_catalog_date", scopable=True),
        _attr("color", "pim_catalog_simpleselect"),
        _attr("materials", "pim_catalog_multiselect"),
        _attr("weight", "pim_catalog_metric", decimals_allowed=True),
        _attr("price", "pim_catalog_price_collection", decimals_allowed=True),
        _attr("picture", "pim_catalog_image"),
        _attr("manual", "pim_catalog_file"),
        _attr("brand", "akeneo_reference_entity", reference_data_name="brands"),
        _attr("designers", "akeneo_reference_entity_collection", reference_data_name="people"),
        _attr("photos", "pim_catalog_asset_collection", reference_data_name="packshots"),
        _attr("composition", "pim_catalog_table"),
    )
}


def v(data: Any, locale: str | None = None, scope: str | None = None) -> dict[str, Any]:
    return {"locale": locale, "scope": scope, "data": data}


def product(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uuid": "0b5f3a56-0000-4000-8000-000000000001",
        "enabled": True,
        "family": "shirts",
        "categories": ["men", "shirts"],
        "groups": [],
        "parent": None,
        "values": {
            "sku": [v("SKU-1")],
            "name": [v("Shirt", "en_US"), v("Chemise", "fr_FR")],
            "description": [v('Long <b>"x"</b>', "en_US", "ecommerce")],
            "age": [v(40)],
            "speed": [v("89.8970")],
            "smart": [v(False)],
            "release": [v("2021-04-29T00:00:00+00:00", None, "mobile")],
            "color": [v("blue")],
            "materials": [v(["cotton", "silk"])],
            "weight": [v({"amount": "800.0000", "unit": "GRAM"})],
            "price": [
                v([{"amount": "15.50", "currency": "EUR"}, {"amount": 17, "currency": "USD"}])
            ],
            "picture": [v("a/b/c/d/abcd_front.jpg")],
            "manual": [v("e/f/0/1/ef01_manual.pdf")],
            "brand": [v("acme")],
            "designers": [v(["ann", "bob"])],
            "photos": [v(["front", "back"])],
            "composition": [v([{"ingredient": "wheat", "percentage": "28.5", "allergen": False}])],
        },
        "created": "2024-01-01T10:00:00+00:00",
        "updated": "2024-01-02T10:00:00+00:00",
        "associations": {"PACK": {"products": ["u-2", "u-3"], "product_models": [], "groups": []}},
        "quantified_associations": {},
        "identifier": "SKU-1",
        "root_parent": None,
        "family_variant": None,
    }
    doc.update(overrides)
    return doc
