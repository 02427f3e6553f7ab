"""Attribute types grouped by how their ``data`` is shaped, and a guess for unknown attributes.

Every derived shape (flat columns, long rows, labels) asks one question of a value: which kind of
data is this? The answer comes from the attribute document when we have it, else from the
``attribute_type`` SaaS puts on values, else from the data itself, so a value whose attribute we
never fetched is still exported instead of silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Kind = Literal["text", "number", "boolean", "metric", "price", "multi", "json"]

IDENTIFIER = "pim_catalog_identifier"
SIMPLE_SELECT = "pim_catalog_simpleselect"
MULTI_SELECT = "pim_catalog_multiselect"
REF_ENTITY = "akeneo_reference_entity"
REF_ENTITY_MULTI = "akeneo_reference_entity_collection"
FILE = "pim_catalog_file"
IMAGE = "pim_catalog_image"

SELECT_TYPES = frozenset({SIMPLE_SELECT, MULTI_SELECT})
"""Attributes with options (``/attributes/{code}/options``)."""
MEDIA_TYPES = frozenset({FILE, IMAGE})
"""Attributes whose data is a media file code."""
RECORD_TYPES = frozenset({REF_ENTITY, REF_ENTITY_MULTI})
"""Attributes whose data is reference entity record codes."""

_KIND_OF_TYPE: dict[str, Kind] = {
    IDENTIFIER: "text",
    "pim_catalog_text": "text",
    "pim_catalog_textarea": "text",
    "pim_catalog_date": "text",
    FILE: "text",
    IMAGE: "text",
    SIMPLE_SELECT: "text",
    REF_ENTITY: "text",
    "pim_reference_data_simpleselect": "text",
    "pim_catalog_reference_data_simpleselect": "text",
    "pim_catalog_number": "number",
    "pim_catalog_boolean": "boolean",
    "pim_catalog_metric": "metric",
    "pim_catalog_price_collection": "price",
    "pim_catalog_price": "price",  # SaaS spells it so in values' read-only attribute_type
    MULTI_SELECT: "multi",
    REF_ENTITY_MULTI: "multi",
    "pim_catalog_asset_collection": "multi",
    "pim_assets_collection": "multi",
    "pim_reference_data_multiselect": "multi",
    "pim_catalog_reference_data_multiselect": "multi",
    "pim_catalog_table": "json",
    "pim_catalog_product_link": "json",
}

KIND_OF_TYPE: Mapping[str, Kind] = _KIND_OF_TYPE
"""The data kind of each known Akeneo type (``kind_of`` checks the data against it)."""

# Types whose codes have labels that ``--labels`` resolves (a ``label`` key beside ``data``).
LABELLED_TYPES = frozenset({SIMPLE_SELECT, MULTI_SELECT, REF_ENTITY, REF_ENTITY_MULTI})

# The canonical type reported for a value we could only classify by its data.
_TYPE_OF_KIND: dict[Kind, str] = {
    "text": "pim_catalog_text",
    "number": "pim_catalog_number",
    "boolean": "pim_catalog_boolean",
    "metric": "pim_catalog_metric",
    "price": "pim_catalog_price_collection",
    "multi": "pim_catalog_multiselect",
    "json": "unknown",
}


def kind_of_data(data: Any) -> Kind:
    """Classify by shape alone; the last resort for values of unknown attributes."""
    if isinstance(data, bool):
        return "boolean"
    if isinstance(data, int | float):
        return "number"
    if isinstance(data, str):
        return "text"
    if isinstance(data, dict) and "amount" in data and "unit" in data:
        return "metric"
    if isinstance(data, list) and data:
        if all(isinstance(p, dict) and "currency" in p and "amount" in p for p in data):
            return "price"
        if all(isinstance(p, str) for p in data):
            return "multi"
    return "json"


def attribute_type(code: str, value: Mapping[str, Any], attributes: Mapping[str, Any]) -> str:
    """The Akeneo type of ``code``: attribute document, then the value's own hint, then shape."""
    attribute = attributes.get(code)
    if isinstance(attribute, Mapping) and isinstance(attribute.get("type"), str):
        return str(attribute["type"])
    hint = value.get("attribute_type")
    if isinstance(hint, str) and hint:
        return hint
    return _TYPE_OF_KIND[kind_of_data(value.get("data"))]


def kind_of(type_: str, data: Any) -> Kind:
    """The data kind of a value of Akeneo type ``type_``; shape decides for unknown types.

    A known type whose data does not have the expected shape (a bad import, a type changed
    after the fact) falls back on the shape too, so we never index a list as a dict.
    """
    kind = _KIND_OF_TYPE.get(type_)
    if kind is None:
        return kind_of_data(data)
    if data is None:
        return kind
    if kind == "metric" and not isinstance(data, dict):
        return kind_of_data(data)
    if kind in ("price", "multi") and not isinstance(data, list):
        return kind_of_data(data)
    if kind == "price" and not all(isinstance(p, dict) for p in data):
        return kind_of_data(data)  # prices are objects: anything else would not be read
    return kind


def identifier_code(values: Mapping[str, Any], attributes: Mapping[str, Any]) -> str | None:
    """The code of the product's identifier attribute (the main one when SaaS has several)."""
    candidates = _identifier_candidates(attributes)
    for code in candidates:
        if attributes[code].get("is_main_identifier"):
            return code
    for code in candidates:
        if code in values:
            return code
    for code, entries in values.items():
        if any(isinstance(v, Mapping) and v.get("attribute_type") == IDENTIFIER for v in entries):
            return str(code)
    return candidates[0] if len(candidates) == 1 else None


# The runner passes the same attributes mapping for every product: scan it once, not per product.
_candidates_cache: tuple[Mapping[str, Any] | None, int, list[str]] = (None, 0, [])


def _identifier_candidates(attributes: Mapping[str, Any]) -> list[str]:
    global _candidates_cache
    cached, size, found = _candidates_cache
    if cached is attributes and size == len(attributes):
        return found
    found = [
        code
        for code, attribute in attributes.items()
        if isinstance(attribute, Mapping) and attribute.get("type") == IDENTIFIER
    ]
    _candidates_cache = (attributes, len(attributes), found)
    return found
