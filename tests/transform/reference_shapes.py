"""The long rows and labels as first written, value by value and without caches: the oracle the
faster ``value_rows`` and ``apply_labels`` are compared with (test_fast_paths.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from akeneo_sync.transform._types import LABELLED_TYPES, attribute_type, kind_of
from akeneo_sync.transform.lookups import _NO_LABEL, Lookups
from akeneo_sync.transform.values import join_codes, to_json


def _number(data: Any) -> float | None:
    if isinstance(data, bool) or data is None:
        return None
    try:
        return float(data)
    except (TypeError, ValueError):
        return None


def _text(data: Any) -> str | None:
    return None if data is None else str(data)


def _json(data: Any) -> str:
    return orjson.dumps(data).decode()


def value_rows(doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    uuid = doc.get("uuid")
    rows: list[tuple[Any, ...]] = []
    for code, entries in (doc.get("values") or {}).items():
        for value in entries or ():
            type_ = attribute_type(code, value, attributes)
            locale = value.get("locale") or ""
            channel = value.get("scope", value.get("channel")) or ""
            data = value.get("data")
            label = value.get("label")
            kind = kind_of(type_, data)
            head = (uuid, code, locale, channel, type_)
            if kind == "price" and data:
                for p in data:
                    amount = p.get("amount")
                    rows.append(
                        (*head, _text(amount), _number(amount), None, p.get("currency"),
                         _json(p), None)
                    )  # fmt: skip
            elif kind == "multi" and data:
                labels = label if isinstance(label, list) else ()
                for i, item in enumerate(data):
                    rows.append(
                        (*head, _text(item), None, None, None, _json(item),
                         labels[i] if i < len(labels) else None)
                    )  # fmt: skip
            elif kind == "metric" and isinstance(data, Mapping):
                amount = data.get("amount")
                rows.append(
                    (*head, _text(amount), _number(amount), None, data.get("unit"), _json(data),
                     None)
                )  # fmt: skip
            elif kind == "number":
                rows.append((*head, _text(data), _number(data), None, None, _json(data), None))
            elif kind == "boolean":
                flag = None if data is None else bool(data)
                rows.append((*head, None, None, flag, None, _json(data), None))
            elif kind == "text":
                text_label = None if isinstance(label, list) else label
                rows.append((*head, _text(data), None, None, None, _json(data), text_label))
            else:
                rows.append((*head, None, None, None, None, _json(data), None))
    return rows


def apply_labels(doc: Mapping[str, Any], lookups: Lookups) -> dict[str, Any]:
    out = dict(doc)
    out["family_label"] = lookups.family_label(doc.get("family"))
    out["category_paths"] = [
        " > ".join(
            lookups.category_label.get(node) or f"[{node}]"
            for node in lookups.category_path_codes(c)
        )
        for c in doc.get("categories") or ()
    ]
    values: dict[str, list[Any]] = {}
    for code, entries in (doc.get("values") or {}).items():
        attribute = lookups.attributes.get(code)
        if attribute is not None and attribute.get("type") not in LABELLED_TYPES:
            values[code] = entries
            continue
        labelled = []
        for value in entries or ():
            label = lookups._value_label(code, value)
            labelled.append(value if label is _NO_LABEL else {**value, "label": label})
        values[code] = labelled
    if "values" in doc:
        out["values"] = values
    return out


def _column(code: str, value: Mapping[str, Any]) -> str:
    parts = [code]
    for part in (value.get("locale"), value.get("scope", value.get("channel"))):
        if part:
            parts.append(str(part))
    return "-".join(parts)


def _flat_value(row: dict[str, Any], code: str, value: Mapping[str, Any], type_: str) -> None:
    data = value.get("data")
    column = _column(code, value)
    kind = kind_of(type_, data)
    if kind == "metric":
        metric = data if isinstance(data, Mapping) else {}
        row[column] = metric.get("amount")
        row[f"{column}-unit"] = metric.get("unit")
    elif kind == "price":
        for price in data or ():
            row[f"{column}-{price.get('currency')}"] = price.get("amount")
    elif kind == "multi":
        row[column] = None if data is None else join_codes(data)
    elif kind == "json":
        row[column] = None if data is None else to_json(data)
    else:
        row[column] = data
    if "label" in value and type_ in LABELLED_TYPES:
        label = value["label"]
        if isinstance(label, list):
            row[f"{column}-label"] = join_codes(item or "" for item in label)
        else:
            row[f"{column}-label"] = label


def flat_values(doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for code, entries in (doc.get("values") or {}).items():
        for value in entries or ():
            _flat_value(row, code, value, attribute_type(code, value, attributes))
    return row
