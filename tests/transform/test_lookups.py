from __future__ import annotations

from typing import Any

from transform_fixtures import ATTRIBUTES, product, v

from akeneo_sync.transform import Lookups, apply_labels, enrich_category, flatten_product


def _category(code: str, parent: str | None, label: str | None = None) -> dict[str, Any]:
    return {"code": code, "parent": parent, "labels": {"en_US": label} if label else {}}


CATEGORIES = [
    _category("master", None, "Master catalog"),
    _category("men", "master", "Men"),
    _category("shirts", "men", "Shirts"),
    _category("nolabel", "men"),
]


def lookups(locale: str | None = "en_US") -> Lookups:
    return Lookups.build(
        locale,
        attributes=ATTRIBUTES,
        attribute_options=[
            {"attribute": "color", "code": "blue", "labels": {"en_US": "Blue", "fr_FR": "Bleu"}},
            {"attribute": "materials", "code": "Cotton", "labels": {"en_US": "Cotton"}},
            {"attribute": "materials", "code": "silk", "labels": {"fr_FR": "Soie"}},
        ],
        categories=CATEGORIES,
        families=[{"code": "shirts", "labels": {"en_US": "Shirts"}}],
        reference_entity_records=[
            {
                "reference_entity": "brands",
                "code": "acme",
                "values": {"label": [{"locale": "en_US", "channel": None, "data": "ACME Inc."}]},
            },
            {
                "reference_entity": "people",
                "code": "ann",
                "values": {"label": [{"locale": "fr_FR", "channel": None, "data": "Anne"}]},
            },
        ],
    )


def test_category_paths_and_missing_labels() -> None:
    lk = lookups()
    assert lk.category_path_codes("shirts") == ["master", "men", "shirts"]
    assert lk.category_path("shirts") == "Master catalog > Men > Shirts"
    assert lk.category_path("nolabel") == "Master catalog > Men > [nolabel]"
    assert lk.category_path("unknown") == "[unknown]"


def test_enrich_category() -> None:
    doc = enrich_category(CATEGORIES[2], lookups())
    assert doc["path"] == ["master", "men", "shirts"]
    assert doc["label_path"] == "Master catalog > Men > Shirts"
    plain = enrich_category(CATEGORIES[2], lookups(None))
    assert plain["path"] == ["master", "men", "shirts"] and "label_path" not in plain


def test_deep_tree_has_no_recursion_limit_and_cycles_end() -> None:
    depth = 5000
    cats = [_category("c0", None, "L0")] + [
        _category(f"c{i}", f"c{i - 1}", f"L{i}") for i in range(1, depth)
    ]
    lk = Lookups.build("en_US", categories=cats)
    path = lk.category_path_codes(f"c{depth - 1}")
    assert len(path) == depth and path[0] == "c0"
    assert lk.category_path_codes("c10") == [f"c{i}" for i in range(11)]
    loop = Lookups.build(None, categories=[_category("a", "b"), _category("b", "a")])
    assert loop.category_path_codes("a") == ["b", "a"]


def test_apply_labels_to_product() -> None:
    doc = product()
    doc["values"]["brand"] = [v("ACME")]  # record codes compare case-insensitively
    doc["values"]["materials"] = [v(["cotton", "silk", "wool"])]
    out = apply_labels(doc, lookups())
    assert out["family_label"] == "Shirts"
    assert out["category_paths"] == ["Master catalog > Men", "Master catalog > Men > Shirts"]
    assert out["values"]["color"] == [{**v("blue"), "label": "Blue"}]
    assert out["values"]["materials"][0]["label"] == ["Cotton", None, None]
    assert out["values"]["brand"][0]["label"] == "ACME Inc."
    assert out["values"]["designers"][0]["label"] == [None, None]  # no en_US label for ann
    assert "label" not in out["values"]["name"][0]
    assert "label" not in out["values"]["photos"][0]
    assert out["categories"] == doc["categories"]  # codes are never replaced
    assert "label" not in doc["values"]["color"][0]  # input untouched
    row = flatten_product(out, ATTRIBUTES)
    assert row["color-label"] == "Blue" and row["family-label"] == "Shirts"


def test_unknown_family_label_is_null() -> None:
    out = apply_labels(product(family="other"), lookups())
    assert out["family_label"] is None
