"""Every shape a sink stores, from one function; and the association test on stored rows."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from transform_fixtures import ATTRIBUTES, product, v

from akeneo_sync import resources as R
from akeneo_sync.transform import (
    associates_with,
    flatten_model,
    flatten_product,
    shape_rows,
)
from akeneo_sync.transform.value_rows import product_value_tuples

MODEL: dict[str, Any] = {
    "code": "jacket",
    "family": "clothing",
    "family_variant": "by_color",
    "parent": None,
    "root_parent": None,
    "categories": ["men"],
    "values": {"name": [v("Jacket", "en_US")]},
    "created": "c",
    "updated": "u",
    "associations": {"X_SELL": {"products": [], "product_models": ["coat"], "groups": []}},
    "quantified_associations": {
        "SET": {
            "products": [{"uuid": "u-9", "quantity": 2}],
            "product_models": [{"identifier": "hat", "quantity": 1}],
        }
    },
}
FAMILY = {"code": "shirts", "labels": {"en_US": "Shirts"}, "attributes": ["sku", "name"]}


def test_document_shape_is_the_documents() -> None:
    docs = [product(), product(uuid="u-2")]
    shaped = shape_rows("document", R.PRODUCTS, docs, ATTRIBUTES)
    assert shaped.rows == docs and shaped.values is None


def test_values_shape_adds_the_product_value_rows() -> None:
    docs = [product(), product(uuid="u-2")]
    shaped = shape_rows("values", R.PRODUCTS, docs, ATTRIBUTES)
    assert shaped.rows == docs
    assert shaped.values == [
        *product_value_tuples(docs[0], ATTRIBUTES),
        *product_value_tuples(docs[1], ATTRIBUTES),
    ]
    # Other resources of a values sink are documents alone.
    assert shape_rows("values", R.PRODUCT_MODELS, [MODEL], ATTRIBUTES).values is None
    assert shape_rows("values", R.FAMILIES, [FAMILY], ATTRIBUTES).rows == [FAMILY]


def test_values_of_a_product_given_twice_are_those_of_the_last() -> None:
    first, second = product(), product(values={"sku": [v("SKU-1")], "age": [v(41)]})
    shaped = shape_rows("values", R.PRODUCTS, [first, second], ATTRIBUTES)
    assert shaped.values == product_value_tuples(second, ATTRIBUTES)


def test_flat_shape_of_products_and_models_and_deleted_at() -> None:
    gone = product(uuid="u-2", deleted_at="2024-05-01T00:00:00+00:00")
    rows = shape_rows("flat", R.PRODUCTS, [product(), gone], ATTRIBUTES).rows
    assert rows[0] == flatten_product(product(), ATTRIBUTES)
    assert rows[1] == {**flatten_product(gone, ATTRIBUTES), "deleted_at": gone["deleted_at"]}
    assert list(rows[0])[:3] == ["uuid", "sku", "family"]
    models = shape_rows("flat", R.PRODUCT_MODELS, [MODEL], ATTRIBUTES).rows
    assert models == [flatten_model(MODEL, ATTRIBUTES)]


def test_flat_shape_keeps_other_resources_documents() -> None:
    shaped = shape_rows("flat", R.FAMILIES, [FAMILY], ATTRIBUTES)
    assert shaped.rows == [FAMILY] and shaped.values is None


@pytest.mark.parametrize("shape", ["document", "values", "flat"])
def test_shaping_does_not_modify_the_documents(shape: Any) -> None:
    docs = [product(deleted_at="2024-05-01T00:00:00+00:00"), copy.deepcopy(MODEL)]
    before = copy.deepcopy(docs)
    shape_rows(shape, R.PRODUCTS, docs[:1], ATTRIBUTES)
    shape_rows(shape, R.PRODUCT_MODELS, docs[1:], ATTRIBUTES)
    assert docs == before


def test_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown shape 'xml'"):
        shape_rows("xml", R.PRODUCTS, [], ATTRIBUTES)  # type: ignore[arg-type]


# -- associates_with --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ({"products": {"u-3"}}, True),  # a plain association
        ({"products": {"u-9"}}, False),
        ({"product_models": {"coat"}}, False),
        ({"products": set(), "product_models": set()}, False),
    ],
)
def test_associates_with_a_product_document(targets: dict[str, set[str]], expected: bool) -> None:
    assert associates_with(product(), targets) is expected


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ({"product_models": {"coat"}}, True),  # plain
        ({"products": {"u-9"}}, True),  # quantified, by uuid
        ({"product_models": {"hat"}}, True),  # quantified, by code
        ({"products": {"hat"}}, False),  # a code of the other kind
        ({"products": {"1", "2"}}, False),  # quantities are no links
        ({"products": {"jacket", "clothing"}}, False),  # nor are properties
    ],
)
def test_associates_with_a_model_document_and_its_flat_row(
    targets: dict[str, set[str]], expected: bool
) -> None:
    assert associates_with(MODEL, targets) is expected
    assert associates_with(flatten_model(MODEL, ATTRIBUTES), targets) is expected


def test_associates_with_a_flat_product_row_as_a_file_gives_it_back() -> None:
    row = {k: str(val) for k, val in flatten_product(product(), ATTRIBUTES).items() if val}
    assert row["PACK-products"] == "u-2,u-3"
    assert associates_with(row, {"products": {"u-2"}})
    assert not associates_with(row, {"products": {"u-4"}, "product_models": {"u-2"}})
    assert not associates_with({"uuid": "u-1", "PACK-products": None}, {"products": {"u-1"}})
