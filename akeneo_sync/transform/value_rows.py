"""The long ``product_values`` rows of a product (docs/architecture.md, "Long values table").

This is the SQL sinks' hot path: ~45 rows a product, for every product of a run. So a row is a
tuple in ``VALUE_ROW_COLUMNS`` order (no dict per row), an attribute's type is worked out once
per attribute rather than once per value, and the per-kind cases are spelled out inline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from akeneo_sync.resources import VALUE_ROW_COLUMNS
from akeneo_sync.transform._types import KIND_OF_TYPE, attribute_type, kind_of_data

ValueRow = tuple[Any, ...]
"""A ``product_values`` row: one field per ``VALUE_ROW_COLUMNS``, in that order."""

_dumps = orjson.dumps


def _number(data: Any) -> float | None:
    if isinstance(data, bool) or data is None:
        return None
    try:
        return float(data)
    except (TypeError, ValueError):
        return None


def _text(data: Any) -> str | None:
    return None if data is None else str(data)


def product_value_rows(
    doc: Mapping[str, Any], attributes: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``product_value_tuples`` as dicts keyed by ``VALUE_ROW_COLUMNS``."""
    return [
        dict(zip(VALUE_ROW_COLUMNS, row, strict=True))
        for row in product_value_tuples(doc, attributes)
    ]


def product_value_tuples(doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> list[ValueRow]:
    """The long ``product_values`` rows of a product, as tuples in ``VALUE_ROW_COLUMNS`` order.

    Every value yields at least one row, even an empty list or a null, so counting rows per
    attribute in SQL tells which attributes a product has.
    """
    uuid = doc.get("uuid")
    rows: list[ValueRow] = []
    append = rows.append
    for code, entries in (doc.get("values") or {}).items():
        if not entries:
            continue
        attribute = attributes.get(code)
        known = attribute.get("type") if attribute.__class__ is dict else None
        for value in entries:
            # The attribute's type, else the value's own hint, else a guess from the data.
            type_ = known if isinstance(known, str) else attribute_type(code, value, attributes)
            data = value.get("data")
            kind = KIND_OF_TYPE.get(type_)
            if kind is None:
                kind = kind_of_data(data)
            elif data is not None and (
                (kind == "metric" and not isinstance(data, dict))
                or ((kind == "price" or kind == "multi") and not isinstance(data, list))
                or (kind == "price" and not all(isinstance(p, dict) for p in data))
            ):
                kind = kind_of_data(data)  # not the shape its type says: the shape decides
            locale = value.get("locale") or ""
            channel = value.get("scope", value.get("channel")) or ""
            # uuid, attribute, locale, channel, type, text, number, bool, unit, json, label
            if kind == "text":
                label = value.get("label")
                append(
                    (uuid, code, locale, channel, type_,
                     data if data.__class__ is str else _text(data), None, None, None,
                     _dumps(data).decode(), None if label.__class__ is list else label)
                )  # fmt: skip
            elif kind == "multi" and data:
                label = value.get("label")
                labels = label if label.__class__ is list else ()
                for i, item in enumerate(data):
                    append(
                        (uuid, code, locale, channel, type_, _text(item), None, None, None,
                         _dumps(item).decode(), labels[i] if i < len(labels) else None)
                    )  # fmt: skip
            elif kind == "price" and data:
                for p in data:
                    amount = p.get("amount")
                    append(
                        (uuid, code, locale, channel, type_, _text(amount), _number(amount),
                         None, p.get("currency"), _dumps(p).decode(), None)
                    )  # fmt: skip
            elif kind == "metric" and isinstance(data, Mapping):
                amount = data.get("amount")
                append(
                    (uuid, code, locale, channel, type_, _text(amount), _number(amount), None,
                     data.get("unit"), _dumps(data).decode(), None)
                )  # fmt: skip
            elif kind == "number":
                append(
                    (uuid, code, locale, channel, type_, _text(data), _number(data), None, None,
                     _dumps(data).decode(), None)
                )  # fmt: skip
            elif kind == "boolean":
                append(
                    (uuid, code, locale, channel, type_, None, None,
                     None if data is None else bool(data), None, _dumps(data).decode(), None)
                )  # fmt: skip
            else:  # json, an empty price or multi list, a metric that is null
                append(
                    (uuid, code, locale, channel, type_, None, None, None, None,
                     _dumps(data).decode(), None)
                )  # fmt: skip
    return rows
