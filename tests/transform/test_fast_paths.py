"""The fast long rows, flat columns and labels give exactly what the plain value-by-value rules
give, on randomised products that mix every attribute type, wrong data shapes, unknown
attributes with or without a type hint, and labels (reference_shapes.py holds the plain
rules)."""

from __future__ import annotations

import random
from typing import Any

import reference_shapes
from test_lookups import lookups
from transform_fixtures import ATTRIBUTES, product

from akeneo_sync.transform import apply_labels
from akeneo_sync.transform.value_rows import product_value_tuples
from akeneo_sync.transform.values import _flat_values

DATA: list[Any] = [
    None,
    "red",
    "Cotton",
    "ACME",
    "12.50",
    3,
    2.5,
    True,
    False,
    [],
    ["cotton", "silk"],
    ["blue", None],
    {"amount": "1.5", "unit": "KILOGRAM"},
    {"amount": None, "unit": None},
    [{"amount": "10.00", "currency": "EUR"}, {"amount": 12, "currency": "USD"}],
    [{"amount": None, "currency": "EUR"}],
    {"table": [{"a": 1}]},
]
HINTS = [None, "pim_catalog_simpleselect", "pim_catalog_multiselect", "pim_catalog_number"]


def random_product(rng: random.Random, index: int) -> dict[str, Any]:
    doc = product(uuid=f"u-{index}")
    values: dict[str, Any] = {}
    for code in rng.sample([*ATTRIBUTES, "unknown_a", "unknown_b"], rng.randint(0, 12)):
        entries = []
        for locale in rng.sample([None, "en_US", "fr_FR"], rng.randint(0, 3)):
            value: dict[str, Any] = {"locale": locale, "scope": rng.choice([None, "web"])}
            value["data"] = rng.choice(DATA)
            if rng.random() < 0.3:
                value["attribute_type"] = rng.choice(HINTS)
            if rng.random() < 0.1:
                value["reference_data_name"] = "brands"
            entries.append(value)
        values[code] = rng.choice([entries, entries, None]) if entries else entries
    doc["values"] = values
    doc["categories"] = rng.sample(["men", "shirts", "nolabel", "unknown"], rng.randint(0, 3))
    return doc


def test_rows_and_labels_match_the_plain_rules() -> None:
    rng = random.Random(11)
    lk = lookups()
    for index in range(400):
        doc = random_product(rng, index)
        labelled = apply_labels(doc, lk)
        assert labelled == reference_shapes.apply_labels(doc, lk)
        for one in (doc, labelled):
            assert product_value_tuples(one, ATTRIBUTES) == reference_shapes.value_rows(
                one, ATTRIBUTES
            )
            assert product_value_tuples(one, {}) == reference_shapes.value_rows(one, {})
            for attributes in (ATTRIBUTES, {}):
                flat = _flat_values(one, attributes)
                expected = reference_shapes.flat_values(one, attributes)
                assert list(flat.items()) == list(expected.items())
