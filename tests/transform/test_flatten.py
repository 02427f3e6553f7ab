from __future__ import annotations

import json
from typing import Any

import pytest
from transform_fixtures import ATTRIBUTES, product, v

from akeneo_sync.transform import (
    VALUE_ROW_COLUMNS,
    flatten_model,
    flatten_product,
    product_value_rows,
)


def test_flat_columns_for_every_attribute_type() -> None:
    row = flatten_product(product(), ATTRIBUTES)
    assert list(row)[:11] == [
        "uuid",
        "sku",
        "family",
        "parent",
        "root_parent",
        "family_variant",
        "categories",
        "enabled",
        "created",
        "updated",
        "groups",
    ]
    value_columns = list(row)[11:]
    assert value_columns == sorted(value_columns)
    expected: dict[str, Any] = {
        "sku": "SKU-1",
        "categories": "men,shirts",
        "groups": "",
        "enabled": True,
        "name-en_US": "Shirt",
        "name-fr_FR": "Chemise",
        "description-en_US-ecommerce": 'Long <b>"x"</b>',
        "age": 40,
        "speed": "89.8970",
        "smart": False,
        "release-mobile": "2021-04-29T00:00:00+00:00",
        "color": "blue",
        "materials": "cotton,silk",
        "weight": "800.0000",
        "weight-unit": "GRAM",
        "price-EUR": "15.50",
        "price-USD": 17,
        "picture": "a/b/c/d/abcd_front.jpg",
        "manual": "e/f/0/1/ef01_manual.pdf",
        "brand": "acme",
        "designers": "ann,bob",
        "photos": "front,back",
        "PACK-products": "u-2,u-3",
        "PACK-product_models": "",
        "PACK-groups": "",
    }
    for column, value in expected.items():
        assert row[column] == value, column
        assert type(row[column]) is type(value), column
    assert json.loads(str(row["composition"])) == [
        {"ingredient": "wheat", "percentage": "28.5", "allergen": False}
    ]
    assert "family-label" not in row and "color-label" not in row


def test_flat_price_and_metric_with_locale_and_channel() -> None:
    attrs = {
        "p": {"code": "p", "type": "pim_catalog_price_collection"},
        "w": {"code": "w", "type": "pim_catalog_metric"},
    }
    doc = product(
        values={
            "p": [v([{"amount": "1.00", "currency": "EUR"}], "en_US", "ecommerce")],
            "w": [v({"amount": 3, "unit": "KILOGRAM"}, None, "print")],
        }
    )
    row = flatten_product(doc, attrs)
    assert row["p-en_US-ecommerce-EUR"] == "1.00"
    assert row["w-print"] == 3 and row["w-print-unit"] == "KILOGRAM"


def test_flat_labels_when_resolved() -> None:
    doc = product(family_label="Shirts", category_paths=["Master > Men", "Master > Shirts"])
    doc["values"]["color"] = [{**v("blue"), "label": "Blue"}]
    doc["values"]["materials"] = [{**v(["cotton", "silk"]), "label": ["Cotton", None]}]
    doc["values"]["brand"] = [{**v("acme"), "label": None}]
    row = flatten_product(doc, ATTRIBUTES)
    assert row["family-label"] == "Shirts"
    assert row["categories-label"] == "Master > Men, Master > Shirts"
    assert row["color-label"] == "Blue"
    assert row["materials-label"] == "Cotton,"
    assert row["brand-label"] is None


def test_unknown_attributes_fall_back_on_data_shape() -> None:
    doc = product(
        values={
            "mystery_text": [v("hello", "de_DE")],
            "mystery_metric": [v({"amount": "2", "unit": "METER"})],
            "mystery_prices": [v([{"amount": "9", "currency": "GBP"}])],
            "mystery_multi": [v(["a", "b"])],
            "mystery_bool": [v(True)],
            "mystery_obj": [v({"type": "product", "id": "u-9"})],
            "hinted": [{**v(["x"]), "attribute_type": "pim_catalog_table"}],
            "sku": [{**v("S-9"), "attribute_type": "pim_catalog_identifier"}],
        }
    )
    row = flatten_product(doc, {})
    assert row["sku"] == "S-9" and list(row)[1] == "sku"
    assert row["mystery_text-de_DE"] == "hello"
    assert row["mystery_metric"] == "2" and row["mystery_metric-unit"] == "METER"
    assert row["mystery_prices-GBP"] == "9"
    assert row["mystery_multi"] == "a,b"
    assert row["mystery_bool"] is True
    assert json.loads(str(row["mystery_obj"])) == {"type": "product", "id": "u-9"}
    assert row["hinted"] == '["x"]'
    rows = product_value_rows(doc, {})
    assert {r["attribute"] for r in rows} == set(doc["values"])


def test_flat_model_and_quantified_associations() -> None:
    model = {
        "code": "jacket",
        "family": "clothing",
        "family_variant": "by_color",
        "parent": None,
        "root_parent": None,
        "categories": ["men"],
        "values": {"name": [v("Jacket", "en_US")], "select": [v("SELECT")]},
        "created": "c",
        "updated": "u",
        "associations": {},
        "quantified_associations": {
            "SET": {
                "products": [{"uuid": "u-1", "quantity": 2}],
                "product_models": [{"code": "m-1", "quantity": 3}],
            }
        },
    }
    row = flatten_model(model, ATTRIBUTES)
    assert list(row)[:8] == [
        "code",
        "family",
        "parent",
        "root_parent",
        "family_variant",
        "categories",
        "created",
        "updated",
    ]
    assert row["name-en_US"] == "Jacket"
    assert row["select"] == "SELECT"  # an SQL keyword is just a column name
    assert row["SET-products"] == "u-1" and row["SET-products-quantity"] == "2"
    assert row["SET-product_models"] == "m-1" and row["SET-product_models-quantity"] == "3"


def test_flatten_does_not_modify_the_document() -> None:
    doc = product()
    before = json.dumps(doc, sort_keys=True)
    flatten_product(doc, ATTRIBUTES)
    product_value_rows(doc, ATTRIBUTES)
    assert json.dumps(doc, sort_keys=True) == before


def _rows_by(doc: dict[str, Any], attribute: str) -> list[dict[str, Any]]:
    return [r for r in product_value_rows(doc, ATTRIBUTES) if r["attribute"] == attribute]


def test_value_rows_have_exactly_the_contract_columns() -> None:
    rows = product_value_rows(product(), ATTRIBUTES)
    assert rows
    for row in rows:
        assert tuple(row) == VALUE_ROW_COLUMNS
        assert row["uuid"] == "0b5f3a56-0000-4000-8000-000000000001"
        assert row["locale"] is not None and row["channel"] is not None
        assert row["type"] == ATTRIBUTES[row["attribute"]]["type"]
        json.loads(row["json_value"])


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("sku", [{"text_value": "SKU-1", "locale": "", "channel": ""}]),
        (
            "description",
            [{"text_value": 'Long <b>"x"</b>', "locale": "en_US", "channel": "ecommerce"}],
        ),
        ("release", [{"text_value": "2021-04-29T00:00:00+00:00", "channel": "mobile"}]),
        ("age", [{"text_value": "40", "number_value": 40.0}]),
        ("speed", [{"text_value": "89.8970", "number_value": 89.897}]),
        ("smart", [{"bool_value": False, "text_value": None, "number_value": None}]),
        ("color", [{"text_value": "blue"}]),
        ("brand", [{"text_value": "acme"}]),
        ("picture", [{"text_value": "a/b/c/d/abcd_front.jpg"}]),
        ("weight", [{"text_value": "800.0000", "number_value": 800.0, "unit": "GRAM"}]),
        (
            "price",
            [
                {"text_value": "15.50", "number_value": 15.5, "unit": "EUR"},
                {"text_value": "17", "number_value": 17.0, "unit": "USD"},
            ],
        ),
        ("materials", [{"text_value": "cotton"}, {"text_value": "silk"}]),
        ("designers", [{"text_value": "ann"}, {"text_value": "bob"}]),
        ("photos", [{"text_value": "front"}, {"text_value": "back"}]),
        ("composition", [{"text_value": None, "number_value": None, "bool_value": None}]),
    ],
)
def test_value_rows_typed_columns(attribute: str, expected: list[dict[str, Any]]) -> None:
    rows = _rows_by(product(), attribute)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        for column, value in want.items():
            assert row[column] == value, (attribute, column)


def test_value_rows_table_keeps_data_as_json() -> None:
    (row,) = _rows_by(product(), "composition")
    assert json.loads(row["json_value"]) == [
        {"ingredient": "wheat", "percentage": "28.5", "allergen": False}
    ]


def test_value_rows_labels() -> None:
    doc = product()
    doc["values"]["materials"] = [{**v(["cotton", "silk"]), "label": ["Cotton", None]}]
    doc["values"]["color"] = [{**v("blue"), "label": "Blue"}]
    assert [r["label"] for r in _rows_by(doc, "materials")] == ["Cotton", None]
    assert [r["label"] for r in _rows_by(doc, "color")] == ["Blue"]


def test_value_rows_keep_empty_and_null_values() -> None:
    doc = product(values={"materials": [v([])], "name": [v(None, "en_US")]})
    rows = product_value_rows(doc, ATTRIBUTES)
    assert [(r["attribute"], r["json_value"]) for r in rows] == [
        ("materials", "[]"),
        ("name", "null"),
    ]
