from __future__ import annotations

import copy
import random
from typing import Any

from transform_fixtures import ATTRIBUTES, v

from akeneo_sync.transform import merge_categories, merge_chain, merge_parent_values, parent_chain
from akeneo_sync.transform.variants import Chain

ROOT: dict[str, Any] = {
    "code": "jacket",
    "family": "clothing",
    "family_variant": "by_color_size",
    "parent": None,
    "categories": ["men", "jackets"],
    "values": {
        "name": [v("Jacket", "en_US"), v("Veste", "fr_FR")],
        "description": [v("Warm", "en_US", "ecommerce")],
    },
}
SUB: dict[str, Any] = {
    "code": "jacket_red",
    "family": "clothing",
    "family_variant": "by_color_size",
    "parent": "jacket",
    "categories": ["red", "men"],
    "values": {"color": [v("red")], "name": [v("Red jacket", "en_US")]},
}
MODELS = {"jacket": ROOT, "jacket_red": SUB}


def own_only_variant() -> dict[str, Any]:
    return {
        "uuid": "u-1",
        "family": "clothing",
        "parent": "jacket_red",
        "categories": ["sale"],
        "values": {"sku": [v("J-RED-S")], "size": [v("s")]},
    }


def server_merged_variant() -> dict[str, Any]:
    doc = own_only_variant()
    doc["values"] = {
        "name": [v("Red jacket", "en_US"), v("Veste", "fr_FR")],
        "description": [v("Warm", "en_US", "ecommerce")],
        "color": [v("red")],
        "sku": [v("J-RED-S")],
        "size": [v("s")],
    }
    doc["categories"] = ["men", "jackets", "red", "sale"]
    return doc


def _normalised(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "values": {k: doc["values"][k] for k in sorted(doc["values"])}}


def test_own_only_and_server_merged_give_the_same_result() -> None:
    a = merge_chain(own_only_variant(), MODELS, ATTRIBUTES)
    b = merge_chain(server_merged_variant(), MODELS, ATTRIBUTES)
    assert a == b
    assert list(a["values"]["name"]) == [v("Red jacket", "en_US"), v("Veste", "fr_FR")]
    assert a["categories"] == ["men", "jackets", "red", "sale"]
    assert a["root_parent"] == "jacket"
    assert a["family_variant"] == "by_color_size"
    assert a["identifier"] == "J-RED-S"


def test_merge_is_idempotent_and_pure() -> None:
    doc = own_only_variant()
    before = copy.deepcopy(doc)
    once = merge_chain(doc, MODELS, ATTRIBUTES)
    assert doc == before
    assert merge_chain(once, MODELS, ATTRIBUTES) == once


def test_child_wins_per_attribute_locale_scope() -> None:
    merged = merge_parent_values(
        {"d": [v("root-en", "en_US", "web"), v("root-fr", "fr_FR", "web")]},
        {"d": [v("sub-en-print", "en_US", "print")]},
        {"d": [v("child-en", "en_US", "web")]},
    )
    assert merged["d"] == [
        v("child-en", "en_US", "web"),
        v("root-fr", "fr_FR", "web"),
        v("sub-en-print", "en_US", "print"),
    ]


def test_one_level_variant_and_simple_product() -> None:
    one_level = merge_chain({**own_only_variant(), "parent": "jacket"}, MODELS, ATTRIBUTES)
    assert one_level["root_parent"] == "jacket"
    assert one_level["categories"] == ["men", "jackets", "sale"]
    simple = merge_chain({**own_only_variant(), "parent": None}, MODELS, ATTRIBUTES)
    assert simple["root_parent"] is None and simple["family_variant"] is None
    assert simple["values"] == own_only_variant()["values"]
    assert simple["identifier"] == "J-RED-S"


def test_sub_model_merges_with_root() -> None:
    merged = merge_chain(SUB, MODELS)
    assert merged["root_parent"] == "jacket"
    assert merged["family_variant"] == "by_color_size"
    assert merged["categories"] == ["men", "jackets", "red"]
    assert merged["values"]["name"] == [v("Red jacket", "en_US"), v("Veste", "fr_FR")]
    assert "identifier" not in merged
    assert merge_chain(ROOT, MODELS)["root_parent"] is None


def test_missing_parent_and_cycles_do_not_break() -> None:
    orphan = merge_chain({**own_only_variant(), "parent": "gone"}, MODELS, ATTRIBUTES)
    assert orphan["root_parent"] == "gone"
    assert orphan["values"] == own_only_variant()["values"]
    loop = {"a": {"code": "a", "parent": "b"}, "b": {"code": "b", "parent": "a"}}
    assert merge_chain({"uuid": "x", "parent": "a", "values": {}}, loop)["values"] == {}


def test_identifier_without_attributes_uses_value_hint_or_server_field() -> None:
    hinted = {
        "uuid": "x",
        "values": {"code": [{**v("C-1"), "attribute_type": "pim_catalog_identifier"}]},
    }
    assert merge_chain(hinted, {})["identifier"] == "C-1"
    assert merge_chain({"uuid": "x", "values": {}}, {})["identifier"] is None
    assert merge_chain({"uuid": "x", "identifier": "L-1", "values": {}}, {})["identifier"] == "L-1"


def _reference_merge(doc: dict[str, Any], models: dict[str, Any]) -> dict[str, Any]:
    """The contract's rule, spelled out without the merged-chain cache."""
    chain = parent_chain(doc, models)
    return {
        "values": merge_parent_values(*(m.get("values") for m in chain), doc.get("values")),
        "categories": merge_categories(
            *(m.get("categories") for m in chain), doc.get("categories")
        ),
    }


def _random_values(rng: random.Random, codes: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for code in rng.sample(codes, rng.randint(0, len(codes))):
        slots = [(None, None), ("en_US", None), ("fr_FR", "web"), ("en_US", "web")]
        picked = [rng.choice(slots) for _ in range(rng.randint(0, 3))]
        values[code] = [v(f"{code}-{rng.random():.3f}", loc, scope) for loc, scope in picked]
        if rng.random() < 0.1:
            values[code] = None
    return values


def test_merge_with_cached_chains_follows_the_contract_rule() -> None:
    """Randomised chains, server-merged or not, through a store that caches merged chains."""
    rng = random.Random(5)

    class Store(dict[str, Any]):
        def chain(self, code: str) -> Chain:
            return Chain(parent_chain({"parent": code}, self))

    for _ in range(300):
        root = {"code": "r", "parent": None, "values": _random_values(rng, "abcde")}
        root["categories"] = rng.sample("xyz", rng.randint(0, 3))
        sub = {"code": "s", "parent": "r", "values": _random_values(rng, "cdefg")}
        sub["categories"] = rng.sample("xyzw", rng.randint(0, 3))
        models = {"r": root, "s": sub}
        child = {"uuid": "u", "parent": rng.choice(["r", "s", None, "gone"])}
        child["values"] = _random_values(rng, "abcdefghij")
        child["categories"] = rng.sample("wxyzq", rng.randint(0, 4))
        if rng.random() < 0.5:  # as a server that merges sends it
            child = {**child, **_reference_merge(child, models)}
        expected = _reference_merge(child, models)
        for store in (models, Store(models)):
            merged = merge_chain(child, store)
            assert list(merged["values"].items()) == list(expected["values"].items())
            assert merged["categories"] == expected["categories"]
