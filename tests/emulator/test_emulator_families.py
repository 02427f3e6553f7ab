"""Catalogs with many families spread by a Zipf-like law (``--families``, ``--family-skew``),
created in one go (``--created-days``), and the default catalog staying what it always was for a
seed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import closing
from urllib.parse import quote

import httpx
import orjson
import pytest

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

from .conftest import client_for, walk

V1 = "/api/rest/v1"
BUILTIN = ("clothing", "shoes", "accessories", "electronics", "home", "food")
SKEWED = EmulatorConfig(port=0, products=2500, seed=5, families=40, family_skew=1.2)


@pytest.fixture(scope="module")
def skewed() -> Iterator[httpx.Client]:
    with EmulatorServer(SKEWED) as srv, closing(client_for(srv)) as client:
        yield client


def _count(api: httpx.Client, resource: str, family: str | None = None) -> int:
    url = f"{V1}/{resource}?limit=1&with_count=true"
    if family is not None:
        search = {"family": [{"operator": "IN", "value": [family]}]}
        url += "&search=" + quote(json.dumps(search))
    r = api.get(url)
    assert r.status_code == 200, r.text
    count: int = r.json()["items_count"]
    return count


def _shares(api: httpx.Client, resource: str, families: list[str]) -> dict[str, float]:
    total = _count(api, resource)
    return {f: _count(api, resource, f) / total for f in families}


def test_one_family_holds_most_products_and_models_and_half_hold_almost_none(skewed) -> None:
    families = [f["code"] for f in walk(skewed, f"{V1}/families?limit=100")]
    assert len(families) == 40
    products = _shares(skewed, "products-uuid", families)
    models = _shares(skewed, "product-models", families)
    head = max(products, key=products.__getitem__)
    assert products[head] >= 0.4
    assert sum(1 for s in products.values() if s < 0.01) >= 20
    # Product models follow the same law: the same family leads, the tail is as thin.
    assert max(models, key=models.__getitem__) == head and models[head] >= 0.4
    assert sum(1 for s in models.values() if s < 0.01) >= 20
    assert abs(sum(models.values()) - 1) < 1e-9  # every model has one of the 40 families
    assert 0.98 < sum(products.values()) < 1  # a few products have no family, as in the default


def test_skew_zero_spreads_evenly() -> None:
    config = EmulatorConfig(port=0, products=2000, seed=3, families=20, family_skew=0)
    with EmulatorServer(config) as srv, closing(client_for(srv)) as api:
        families = [f["code"] for f in walk(api, f"{V1}/families?limit=100")]
        shares = _shares(api, "products-uuid", families)
    assert len(shares) == 20
    assert all(0.025 < s < 0.08 for s in shares.values()), shares


def test_skewed_catalog_is_consistent(skewed) -> None:
    attributes = {a["code"]: a for a in walk(skewed, f"{V1}/attributes?limit=100")}
    categories = {c["code"] for c in walk(skewed, f"{V1}/categories?limit=100")}
    families = {f["code"]: f for f in walk(skewed, f"{V1}/families?limit=100")}
    variants: dict[str, dict] = {}
    for code, fam in families.items():
        assert set(fam["attributes"]) <= set(attributes)
        assert {"sku", "name"} <= set(fam["attributes"])
        for channel, required in fam["attribute_requirements"].items():
            assert set(required) <= set(fam["attributes"]), (code, channel)
        found = walk(skewed, f"{V1}/families/{code}/variants")
        if code not in BUILTIN:  # every extra family has a one- and a two-level variant
            assert {len(v["variant_attribute_sets"]) for v in found} == {1, 2}, code
        for v in found:
            sets = v["variant_attribute_sets"]
            assert "sku" in sets[-1]["attributes"]  # variant products carry the identifier
            for level in sets:
                assert set(level["attributes"]) <= set(fam["attributes"])
                for axis in level["axes"]:
                    assert axis in level["attributes"]
                    assert attributes[axis]["type"] == "pim_catalog_simpleselect"
            variants[v["code"]] = {**v, "family": code}
    models = {
        m["code"]: m
        for m in walk(skewed, f"{V1}/product-models?pagination_type=search_after&limit=100")
    }
    for m in models.values():
        assert m["family"] in families
        assert variants[m["family_variant"]]["family"] == m["family"]
        assert set(m["categories"]) <= categories
        if m["parent"] is not None:
            root = models[m["parent"]]
            assert root["parent"] is None
            assert (root["family"], root["family_variant"]) == (m["family"], m["family_variant"])
    products = walk(skewed, f"{V1}/products-uuid?pagination_type=search_after&limit=100")
    assert len(products) == SKEWED.products
    extra_variants = 0
    for p in products:
        assert p["family"] is None or p["family"] in families
        assert set(p["categories"]) <= categories
        assert set(p["values"]) <= set(attributes)
        if p["parent"] is None:
            continue
        parent = models[p["parent"]]
        assert parent["family"] == p["family"]
        sets = variants[parent["family_variant"]]["variant_attribute_sets"]
        depth = 2 if parent["parent"] is not None else 1
        assert len(sets) == depth  # a variant hangs under the last level of its family variant
        for axis in sets[-1]["axes"]:
            assert p["values"][axis][0]["data"]
        assert p["values"]["sku"][0]["data"]
        extra_variants += p["family"] not in BUILTIN
    assert extra_variants > 0  # the extra families do get product models and variants


def test_default_catalog_is_the_one_a_seed_always_gave(api) -> None:
    """The session catalog (seed 7, 300 products) hashed over the properties the generator
    draws; a change here means existing seeds no longer give their catalogs."""
    products = walk(api, f"{V1}/products-uuid?pagination_type=search_after&limit=100")
    keys = ("uuid", "family", "parent", "categories", "enabled", "created", "updated")
    rows = [[p[k] for k in keys] for p in products]
    models = walk(api, f"{V1}/product-models?pagination_type=search_after&limit=100")
    rows += [[m["code"], m["family_variant"], m["parent"], m["categories"]] for m in models]
    digest = hashlib.sha256(orjson.dumps(rows)).hexdigest()
    assert digest == GOLDEN_DEFAULT


GOLDEN_DEFAULT = "7e5d308b1d7136d206f6c74d8792f9c25b697327eaace1983b5ba9b3fc9d2020"


def test_a_catalog_created_in_one_go_has_every_stamp_in_that_window() -> None:
    config = EmulatorConfig(port=0, products=800, seed=2, created_days=0.125)
    with EmulatorServer(config) as srv, closing(client_for(srv)) as api:
        products = walk(api, f"{V1}/products-uuid?limit=100&pagination_type=search_after")
        models = walk(api, f"{V1}/product-models?limit=100")
    stamps = sorted(d["created"] for d in products + models)
    assert len(products) == 800 and models
    assert stamps[0] >= "2025-05-31T21:00:00" and stamps[-1] < "2025-06-01T00:00:00", stamps
    # Spread over the window, not piled on one second.
    assert len(set(stamps)) > len(stamps) / 2
