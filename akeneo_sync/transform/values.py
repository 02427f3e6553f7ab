"""Derived shapes of product values: Akeneo's flat columns and the long ``product_values`` rows,
and ``associates_with``, which reads the links of a stored product in either shape.

Both shapes read a document of the contract (docs/architecture.md) and never modify it;
``shapes.shape_rows`` picks the one a sink stores. Column names
follow Akeneo's own CSV import/export, so a file we write can be read by people who know that
format: ``name-en_US``, ``description-en_US-ecommerce``, ``price-EUR``, ``weight-unit``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import orjson

from akeneo_sync.resources import MODEL_PROPERTIES, PRODUCT_PROPERTIES
from akeneo_sync.transform._types import (
    KIND_OF_TYPE,
    LABELLED_TYPES,
    attribute_type,
    identifier_code,
    kind_of_data,
)

Scalar = str | int | float | bool | None
FlatRow = dict[str, Scalar]

_JOINED_PROPERTIES = frozenset({"categories", "groups"})
_ASSOCIATED = ("products", "product_models")


def to_json(data: Any) -> str:
    """Compact JSON text, keeping non-ASCII as is (CSV and SQL are UTF-8)."""
    return orjson.dumps(data).decode()


def join_codes(items: Iterable[Any]) -> str:
    """Akeneo's flat convention for lists of codes: comma-joined, no spaces."""
    return ",".join("" if item is None else str(item) for item in items)


# Column names by (code, locale, channel): a catalog has few, and every product repeats them.
_columns: dict[tuple[str, Any, Any], str] = {}
_ABSENT = object()


def _column(code: str, locale: Any, channel: Any) -> str:
    """``code[-locale][-channel]``; the value's own locale/scope decide, not the attribute."""
    key = (code, locale, channel)
    column = _columns.get(key)
    if column is None:
        column = "-".join([code, *(str(part) for part in (locale, channel) if part)])
        if len(_columns) > 100_000:  # codes nobody declared: stay bounded
            _columns.clear()
        _columns[key] = column
    return column


def _flat_values(doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> FlatRow:
    """Every value's columns. The flat shapes' hot path (every product of a run): the type is
    worked out once per attribute, and the kinds are spelled out inline (``kind_of``)."""
    row: FlatRow = {}
    for code, entries in (doc.get("values") or {}).items():
        if not entries:
            continue
        attribute = attributes.get(code)
        known = attribute.get("type") if attribute.__class__ is dict else None
        for value in entries:
            type_ = known if isinstance(known, str) else attribute_type(code, value, attributes)
            data = value.get("data")
            kind = KIND_OF_TYPE.get(type_)
            if kind is None or (data is not None and not _fits(kind, data)):
                kind = kind_of_data(data)
            channel = value.get("scope", _ABSENT)
            if channel is _ABSENT:
                channel = value.get("channel")
            column = _column(code, value.get("locale"), channel)
            if kind == "text" or kind == "number" or kind == "boolean":
                row[column] = data  # as Akeneo sends them (decimal numbers stay strings)
            elif kind == "metric":
                metric = data if isinstance(data, Mapping) else {}
                row[column] = metric.get("amount")
                row[column + "-unit"] = metric.get("unit")
            elif kind == "price":
                for price in data or ():
                    row[f"{column}-{price.get('currency')}"] = price.get("amount")
            elif kind == "multi":
                row[column] = None if data is None else join_codes(data)
            else:
                row[column] = None if data is None else to_json(data)
            if "label" in value and type_ in LABELLED_TYPES:
                label = value["label"]
                if isinstance(label, list):
                    row[column + "-label"] = join_codes(item or "" for item in label)
                else:
                    row[column + "-label"] = label
    return row


def _fits(kind: str, data: Any) -> bool:
    """Whether non-null ``data`` has the shape its type's kind reads (else the shape decides)."""
    if kind == "metric":
        return isinstance(data, dict)
    if kind == "price":
        return isinstance(data, list) and all(isinstance(p, dict) for p in data)
    if kind == "multi":
        return isinstance(data, list)
    return True


def _flat_associations(doc: Mapping[str, Any]) -> FlatRow:
    row: FlatRow = {}
    for type_code, links in (doc.get("associations") or {}).items():
        for target in ("products", "product_models", "groups"):
            if target in (links or {}):
                row[f"{type_code}-{target}"] = join_codes(links[target] or ())
    # Quantified associations: ids and quantities in two parallel comma-joined columns.
    for type_code, links in (doc.get("quantified_associations") or {}).items():
        for target in _ASSOCIATED:
            items = (links or {}).get(target)
            if items is None:
                continue
            row[f"{type_code}-{target}"] = join_codes(_linked(i) for i in items)
            row[f"{type_code}-{target}-quantity"] = join_codes(i.get("quantity") for i in items)
    return row


def _linked(item: Any) -> Any:
    """The uuid or code an association item names (quantified ones are objects)."""
    if isinstance(item, Mapping):
        return item.get("uuid") or item.get("identifier") or item.get("code")
    return item


def associates_with(stored: Mapping[str, Any], targets: Mapping[str, Collection[str]]) -> bool:
    """Whether a stored product or product model associates (plainly or quantified) with any
    of ``targets``: ``{"products": uuids, "product_models": codes}``.

    ``stored`` is a document or its flat row, where the links are the comma-joined
    ``<TYPE>-products`` / ``<TYPE>-product_models`` columns (``-quantity`` ones are not links).
    """
    for column, cell in stored.items():
        if not isinstance(cell, str) or "-" not in column:
            continue
        wanted = targets.get(column.rsplit("-", 1)[1])
        if wanted and any(ref in wanted for ref in cell.split(",")):
            return True
    for kind in ("associations", "quantified_associations"):
        links_by_type = stored.get(kind)
        if not isinstance(links_by_type, Mapping):
            continue
        for links in links_by_type.values():
            if not isinstance(links, Mapping):
                continue
            for target, wanted in targets.items():
                items = links.get(target)
                if wanted and isinstance(items, list) and any(_linked(i) in wanted for i in items):
                    return True
    return False


def _flatten(
    doc: Mapping[str, Any],
    attributes: Mapping[str, Any],
    properties: tuple[str, ...],
    ident: str | None = None,
) -> FlatRow:
    row: FlatRow = {}
    rest = _flat_values(doc, attributes)
    for name in properties:
        # The identifier column is a value promoted to the properties, as in Akeneo's CSV.
        value = rest.pop(name, doc.get("identifier")) if name == ident else doc.get(name)
        if name in _JOINED_PROPERTIES and isinstance(value, list):
            row[name] = join_codes(value)
        elif isinstance(value, dict | list):
            row[name] = to_json(value)
        else:
            row[name] = value
    if "family_label" in doc:
        rest["family-label"] = doc["family_label"]
    if "category_paths" in doc:
        rest["categories-label"] = ", ".join(p or "" for p in doc["category_paths"] or ())
    rest.update(_flat_associations(doc))
    for name in sorted(rest):
        if name not in row:  # an attribute never shadows a property
            row[name] = rest[name]
    return row


def flatten_product(doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> FlatRow:
    """One flat row per product: properties first, then value columns sorted by name."""
    values = doc.get("values") or {}
    properties = list(PRODUCT_PROPERTIES)
    ident = identifier_code(values, attributes)
    if ident is None and "identifier" in doc:
        ident = "identifier"  # no attribute tells its code: keep the contract's field
    if ident is not None:
        properties.insert(1, ident)
    return _flatten(doc, attributes, tuple(properties), ident)


def flatten_model(doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> FlatRow:
    """One flat row per product model, same convention keyed by ``code``."""
    return _flatten(doc, attributes, MODEL_PROPERTIES)
