"""Products and product models: pagination, filters, value shapes, inheritance."""

from __future__ import annotations

import json
from urllib.parse import quote

from .conftest import N_PRODUCTS, walk

P = "/api/rest/v1/products-uuid"


def search(filters: dict) -> str:
    return quote(json.dumps(filters))


def test_search_after_walk_returns_every_product_once(api) -> None:
    items = walk(api, f"{P}?pagination_type=search_after&limit=100")
    uuids = [p["uuid"] for p in items]
    assert len(uuids) == N_PRODUCTS == len(set(uuids))


def test_search_after_links_are_absolute_opaque_and_repeat_the_query(api, server) -> None:
    r = api.get(f"{P}?pagination_type=search_after&limit=7&scope=ecommerce&locales=en_US")
    body = r.json()
    links = body["_links"]
    assert set(links) == {"self", "first", "next"}
    nxt = links["next"]["href"]
    assert nxt.startswith(server.url + P + "?")
    for part in ("pagination_type=search_after", "limit=7", "scope=ecommerce", "locales=en_US"):
        assert part in nxt
    cursor = nxt.split("search_after=")[1].split("&")[0]
    assert not cursor.isdigit()
    assert "current_page" not in body
    for item in body["_embedded"]["items"]:
        assert item["_links"]["self"]["href"] == f"{server.url}{P}/{item['uuid']}"


def test_next_only_on_full_page_and_limit_validation(api) -> None:
    total = N_PRODUCTS
    r = api.get(f"{P}?pagination_type=page&limit=100&page={total // 100 + 1}&with_count=true")
    body = r.json()
    assert "next" not in body["_links"] and body["items_count"] == total
    assert body["current_page"] == total // 100 + 1 and "previous" in body["_links"]
    assert api.get(f"{P}?limit=101").json() == {
        "code": 422,
        "message": "You cannot request more than 100 items.",
    }
    assert api.get(f"{P}?limit=0").status_code == 422
    assert api.get(f"{P}?with_count=yes").status_code == 422
    assert api.get(f"{P}?pagination_type=cursor").json()["message"] == (
        "Pagination type does not exist."
    )
    r = api.get("/api/rest/v1/families?pagination_type=search_after")
    assert r.json()["message"] == "Pagination type is not supported."


def test_page_101_at_limit_100_is_refused(api) -> None:
    r = api.get(f"{P}?page=101&limit=100")
    assert r.status_code == 422
    body = r.json()
    assert body["message"].startswith("You have reached the maximum number of pages")
    assert "documentation" in body["_links"]
    assert api.get(f"{P}?page=100&limit=100").status_code == 200
    assert api.get("/api/rest/v1/product-models?page=101&limit=100").status_code == 422


def test_product_shape_and_value_types(api, server) -> None:
    cat = server.catalog
    items = walk(api, f"{P}?pagination_type=search_after&limit=100")
    keys = [
        "_links",
        "uuid",
        "enabled",
        "family",
        "categories",
        "groups",
        "parent",
        "values",
        "created",
        "updated",
        "associations",
        "quantified_associations",
    ]
    types: dict[str, object] = {}
    for p in items:
        assert list(p) == keys
        assert p["created"].endswith("+00:00") and "T" in p["created"]
        for code, entries in p["values"].items():
            types.setdefault(cat.s.attr_by_code[code]["type"], entries[0])
    assert isinstance(types["pim_catalog_identifier"]["data"], str)
    assert isinstance(types["pim_catalog_price_collection"]["data"][0]["amount"], str | int)
    metric = types["pim_catalog_metric"]["data"]
    assert set(metric) == {"amount", "unit"}
    image = types["pim_catalog_image"]
    assert image["_links"]["download"]["href"].endswith(f"/media-files/{image['data']}/download")
    assert isinstance(types["pim_catalog_asset_collection"]["data"], list)
    assert isinstance(types["pim_catalog_table"]["data"], list)
    assert types["pim_catalog_date"]["data"].endswith("T00:00:00+00:00")
    decimals = [
        e["data"]
        for p in items
        for e in p["values"].get("rating", []) + p["values"].get("discount_rate", [])
    ]
    assert decimals and all(isinstance(d, str) and "." in d for d in decimals)
    ints = [e["data"] for p in items for e in p["values"].get("stock_quantity", [])]
    assert ints and all(isinstance(d, int) for d in ints)
    expected_types = {a["type"] for a in cat.s.attributes}
    assert expected_types <= set(types)
    # Empty objects are {} not [].
    simple = next(p for p in items if not p["quantified_associations"])
    assert simple["quantified_associations"] == {}
    assert '"quantified_associations":{}' in api.get(f"{P}/{simple['uuid']}").text


def test_variants_share_and_merged_values(api, server) -> None:
    cat = server.catalog
    items = walk(api, f"{P}?pagination_type=search_after&limit=100")
    variants = [p for p in items if p["parent"]]
    assert 0.5 < len(variants) / len(items) < 0.7
    two_level = next(p for p in variants if cat.m_parent[cat.m_by_code[p["parent"]]] >= 0)
    sub = api.get(f"/api/rest/v1/product-models/{two_level['parent']}").json()
    root = api.get(f"/api/rest/v1/product-models/{sub['parent']}").json()
    assert root["parent"] is None
    for code in list(root["values"]) + list(sub["values"]):
        assert code in two_level["values"]
    assert set(root["categories"]) <= set(two_level["categories"])
    assert any(p["enabled"] is False for p in items)
    assert any(p["categories"] == [] for p in items)


def test_variant_values_own_option(fresh, fresh_api) -> None:
    items = walk(fresh_api, f"{P}?pagination_type=search_after&limit=100")
    merged = {p["uuid"]: p for p in items if p["parent"]}
    fresh_api.post(fresh.url + "/_emulator/faults", json={"variant_values": "own"})
    own = {p["uuid"]: p for p in walk(fresh_api, f"{P}?pagination_type=search_after&limit=100")}
    for uuid, p in merged.items():
        assert set(own[uuid]["values"]) < set(p["values"])
        assert "name" not in own[uuid]["values"]


def test_value_shaping_params(api) -> None:
    r = api.get(f"{P}?limit=20&attributes=name,description&locales=fr_FR")
    for p in r.json()["_embedded"]["items"]:
        assert set(p["values"]) <= {"name", "description"}
        for entries in p["values"].values():
            assert {e["locale"] for e in entries} <= {"fr_FR"}
    r = api.get(f"{P}?limit=50&scope=mobile&with_attribute_options=true")
    items = r.json()["_embedded"]["items"]
    assert items
    for p in items:
        assert any(c.startswith("mobile") for c in p["categories"])
        for code, entries in p["values"].items():
            for e in entries:
                assert e["scope"] in (None, "mobile")
                assert e["locale"] in (None, "en_US", "fr_FR")
                if code == "color":
                    assert e["linked_data"]["attribute"] == "color"
    r = api.get(f"{P}?attributes=nope")
    assert r.status_code == 422


def test_scope_hides_products_outside_the_channel_tree(api, server) -> None:
    cat = server.catalog
    scoped = walk(api, f"{P}?pagination_type=search_after&limit=100&scope=ecommerce")
    expected = [
        i
        for i in range(cat.n_generated)
        if any(c.startswith("master") for c in cat.catsets[cat.p_cats_eff[i]])
    ]
    assert len(scoped) == len(expected) < N_PRODUCTS


def _count(api, filters: dict, extra: str = "") -> int:
    return len(
        walk(api, f"{P}?pagination_type=search_after&limit=100{extra}&search=" + search(filters))
    )


def test_property_filters(api, server) -> None:
    cat = server.catalog
    n = cat.n_generated
    assert _count(api, {"enabled": [{"operator": "=", "value": False}]}) == sum(
        1 for i in range(n) if not cat.p_enabled[i]
    )
    fam = cat.family_idx["clothing"]
    assert _count(api, {"family": [{"operator": "IN", "value": ["clothing"]}]}) == sum(
        1 for i in range(n) if cat.p_family[i] == fam
    )
    assert _count(api, {"family": [{"operator": "EMPTY"}]}) == sum(
        1 for i in range(n) if cat.p_family[i] < 0
    )
    unclassified = _count(api, {"categories": [{"operator": "UNCLASSIFIED"}]})
    assert unclassified == sum(1 for i in range(n) if not cat.catsets[cat.p_cats_eff[i]]) > 0
    shoes = _count(api, {"categories": [{"operator": "IN CHILDREN", "value": ["master_shoes"]}]})
    assert shoes == sum(
        1
        for i in range(n)
        if any(c.startswith("master_shoes") for c in cat.catsets[cat.p_cats_eff[i]])
    )
    assert _count(api, {"categories": [{"operator": "IN", "value": ["master_shoes"]}]}) == 0
    assert _count(api, {"parent": [{"operator": "EMPTY"}]}) == sum(
        1 for i in range(n) if cat.p_parent[i] < 0
    )
    root = next(
        m
        for m in range(len(cat.m_code))
        if cat.m_parent[m] < 0 and any(cat.m_parent[k] == m for k in range(len(cat.m_code)))
    )
    under_root = _count(api, {"parent": [{"operator": "=", "value": cat.m_code[root]}]})
    direct = _count(api, {"parent": [{"operator": "IN", "value": [cat.m_code[root]]}]})
    assert under_root > 0 and direct == 0  # its children are sub models
    uuids = [cat.uuid(1), cat.uuid(5)]
    assert _count(api, {"uuid": [{"operator": "IN", "value": uuids}]}) == 2
    skus = [cat.identifier(2), cat.identifier(3), "missing"]
    assert _count(api, {"sku": [{"operator": "IN", "value": skus}]}) == 2
    comp = _count(api, {"completeness": [{"operator": "<", "value": 100, "scope": "ecommerce"}]})
    assert 0 < comp < n


def test_date_filters_every_operator(api, server) -> None:
    cat = server.catalog
    n = cat.n_generated
    eff = [cat.product_eff_updated(i) for i in range(n)]
    mid = sorted(eff)[n // 2]
    from datetime import UTC, datetime

    def fmt(t: int) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")

    assert _count(api, {"updated": [{"operator": ">", "value": fmt(mid)}]}) == sum(
        1 for t in eff if t > mid
    )
    assert _count(api, {"updated": [{"operator": "<", "value": fmt(mid)}]}) == sum(
        1 for t in eff if t < mid
    )
    lo, hi = sorted(eff)[n // 4], sorted(eff)[3 * n // 4]
    between = _count(api, {"updated": [{"operator": "BETWEEN", "value": [fmt(lo), fmt(hi)]}]})
    assert between == sum(1 for t in eff if lo <= t <= hi)
    not_between = _count(
        api, {"updated": [{"operator": "NOT BETWEEN", "value": [fmt(lo), fmt(hi)]}]}
    )
    assert between + not_between == n
    day = mid - mid % 86400
    same_day = sum(1 for t in eff if day <= t < day + 86400)
    assert _count(api, {"updated": [{"operator": "=", "value": fmt(mid)}]}) == same_day
    assert _count(api, {"updated": [{"operator": "!=", "value": fmt(mid)}]}) == n - same_day
    created = [cat.p_created[i] for i in range(n)]
    c_mid = sorted(created)[n // 3]
    assert _count(api, {"created": [{"operator": ">", "value": fmt(c_mid)}]}) == sum(
        1 for t in created if t > c_mid
    )
    assert _count(api, {"updated": [{"operator": "SINCE LAST N DAYS", "value": 1}]}) == 0


def test_invalid_filters(api) -> None:
    r = api.get(f"{P}?search=" + quote("{not json"))
    assert r.status_code == 400
    assert r.json()["message"] == "Search query parameter should be valid JSON."
    bad = [
        {"nope": [{"operator": "=", "value": 1}]},
        {"updated": [{"operator": ">", "value": "2024-01-01T00:00:00Z"}]},
        {"updated": [{"operator": "LIKE", "value": "2024-01-01 00:00:00"}]},
        {"enabled": [{"operator": "=", "value": "yes"}]},
        {"categories": [{"operator": "IN", "value": ["no_such_category"]}]},
        {"family": [{"operator": "IN", "value": ["no_such_family"]}]},
    ]
    for filters in bad:
        r = api.get(f"{P}?search=" + search(filters))
        assert r.status_code == 422, filters
        assert set(r.json()) >= {"code", "message"}


def test_model_patch_makes_variants_match_updated_filter(fresh, fresh_api) -> None:
    cat = fresh.catalog
    clock = fresh_api.get(fresh.url + "/_emulator/clock").json()
    since = clock["filter_format"]
    flt = search({"updated": [{"operator": ">", "value": since}]})
    assert walk(fresh_api, f"{P}?pagination_type=search_after&search={flt}") == []
    fresh_api.post(fresh.url + "/_emulator/clock", json={"advance": 10})
    root = next(m for m in range(len(cat.m_code)) if cat.m_parent[m] < 0)
    code = cat.m_code[root]
    r = fresh_api.patch(
        f"/api/rest/v1/product-models/{code}",
        json={"values": {"name": [{"locale": "en_US", "scope": None, "data": "Renamed"}]}},
    )
    assert r.status_code == 204, r.text
    expected = {cat.uuid(i) for i in fresh.catalog.descendants_of_model(root)[1]}
    got = walk(fresh_api, f"{P}?pagination_type=search_after&search={flt}")
    assert {p["uuid"] for p in got} == expected and expected
    for p in got:
        assert p["updated"] < fresh_api.get(f"/api/rest/v1/product-models/{code}").json()["updated"]
        names = {e["locale"]: e["data"] for e in p["values"]["name"]}
        assert names["en_US"] == "Renamed"
    models = walk(
        fresh_api, f"/api/rest/v1/product-models?pagination_type=search_after&search={flt}"
    )
    assert code in {m["code"] for m in models}


def test_product_writes_and_delete(fresh, fresh_api) -> None:
    cat = fresh.catalog
    uuid = cat.uuid(3)
    r = fresh_api.patch(
        f"{P}/{uuid}",
        json={
            "enabled": False,
            "categories": ["master_food_snacks"],
            "values": {"erp_name": [{"locale": None, "scope": None, "data": "PATCHED"}]},
        },
    )
    assert r.status_code == 204 and r.headers["Location"].endswith(uuid)
    got = fresh_api.get(f"{P}/{uuid}").json()
    assert got["enabled"] is False and got["values"]["erp_name"][0]["data"] == "PATCHED"
    r = fresh_api.patch(
        f"{P}/{uuid}",
        json={"values": {"color": [{"locale": None, "scope": None, "data": "no_such_colour"}]}},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["attribute"] == "color"
    r = fresh_api.patch(f"{P}/{uuid}", json={"bogus": 1})
    assert r.status_code == 422
    r = fresh_api.post(
        P,
        json={
            "values": {"sku": [{"locale": None, "scope": None, "data": "NEW-1"}]},
            "family": "home",
        },
    )
    assert r.status_code == 201
    new_uuid = r.headers["Location"].rsplit("/", 1)[1]
    assert fresh_api.get("/api/rest/v1/products/NEW-1").json()["identifier"] == "NEW-1"
    all_items = walk(fresh_api, f"{P}?pagination_type=search_after&limit=100")
    assert all_items[-1]["uuid"] == new_uuid and len(all_items) == 201
    assert fresh_api.delete(f"{P}/{uuid}").status_code == 204
    assert fresh_api.get(f"{P}/{uuid}").status_code == 404
    uuids = {p["uuid"] for p in walk(fresh_api, f"{P}?pagination_type=search_after&limit=100")}
    assert uuid not in uuids and len(uuids) == 200


def test_patch_collection(fresh, fresh_api) -> None:
    cat = fresh.catalog
    lines = [
        json.dumps({"uuid": cat.uuid(1), "enabled": False}),
        "{broken",
        json.dumps({"uuid": cat.uuid(2), "family": "nope"}),
        json.dumps({"uuid": "2b0f8a52-1111-4222-8333-444455556666", "family": "food"}),
    ]
    headers = {"Content-Type": "application/vnd.akeneo.collection+json"}
    r = fresh_api.patch(P, content="\n".join(lines), headers=headers)
    assert r.status_code == 200
    out = [json.loads(x) for x in r.text.splitlines()]
    assert [o["status_code"] for o in out] == [204, 400, 422, 201]
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert out[0]["uuid"] == cat.uuid(1)
    too_many = "\n".join(json.dumps({"uuid": cat.uuid(i)}) for i in range(101))
    r = fresh_api.patch(P, content=too_many, headers=headers)
    assert r.status_code == 413
    r = fresh_api.patch(P, content=lines[0], headers={"Content-Type": "application/json"})
    assert r.status_code == 415


def test_model_delete_removes_descendants(fresh, fresh_api) -> None:
    cat = fresh.catalog
    root = next(m for m in range(len(cat.m_code)) if cat.m_parent[m] < 0)
    _, products = cat.descendants_of_model(root)
    code = cat.m_code[root]
    assert fresh_api.delete(f"/api/rest/v1/product-models/{code}").status_code == 204
    assert fresh_api.get(f"/api/rest/v1/product-models/{code}").status_code == 404
    assert fresh_api.get(f"{P}/{cat.uuid(products[0])}").status_code == 404
    r = fresh_api.post(
        "/api/rest/v1/product-models",
        json={"code": "new_model", "family_variant": "shoes_size", "values": {}},
    )
    assert r.status_code == 201
    assert fresh_api.get("/api/rest/v1/product-models/new_model").json()["family"] == "shoes"


def test_legacy_products_endpoint(api, server) -> None:
    cat = server.catalog
    r = api.get("/api/rest/v1/products?limit=5")
    items = r.json()["_embedded"]["items"]
    assert items[0]["identifier"] == cat.identifier(0)
    assert "sku" not in items[0]["values"] and "uuid" not in items[0]
    assert items[0]["_links"]["self"]["href"].endswith(f"/products/{cat.identifier(0)}")
    assert api.get(f"/api/rest/v1/products/{cat.identifier(4)}").status_code == 200
    assert api.get("/api/rest/v1/products/unknown").status_code == 404


def test_models_list_filters(api, server) -> None:
    cat = server.catalog
    roots = walk(
        api,
        "/api/rest/v1/product-models?pagination_type=search_after&limit=100&search="
        + search({"parent": [{"operator": "EMPTY"}]}),
    )
    assert len(roots) == sum(1 for m in range(len(cat.m_code)) if cat.m_parent[m] < 0)
    model = roots[0]
    assert list(model)[:4] == ["_links", "code", "family", "family_variant"]
    everything = walk(api, "/api/rest/v1/product-models?pagination_type=search_after&limit=100")
    assert len(everything) == len(cat.m_code)


def test_new_variant_under_existing_model_inherits_and_follows_model_updates(
    fresh, fresh_api
) -> None:
    cat = fresh.catalog
    root = next(m for m in range(len(cat.m_code)) if cat.m_parent[m] < 0 and not cat.sub_models(m))
    code = cat.m_code[root]
    r = fresh_api.post(
        P,
        json={
            "parent": code,
            "values": {"sku": [{"locale": None, "scope": None, "data": "VAR-NEW"}]},
        },
    )
    assert r.status_code == 201
    new_uuid = r.headers["Location"].rsplit("/", 1)[1]
    got = fresh_api.get(f"{P}/{new_uuid}").json()
    assert got["parent"] == code and got["family"] == cat.family_codes[cat.m_family[root]]
    since = fresh_api.get(fresh.url + "/_emulator/clock").json()["filter_format"]
    fresh_api.post(fresh.url + "/_emulator/clock", json={"advance": 5})
    assert fresh_api.patch(f"/api/rest/v1/product-models/{code}", json={}).status_code == 204
    flt = search({"updated": [{"operator": ">", "value": since}]})
    uuids = {p["uuid"] for p in walk(fresh_api, f"{P}?pagination_type=search_after&search={flt}")}
    assert new_uuid in uuids
    assert uuids == {cat.uuid(i) for i in cat.descendants_of_model(root)[1]}
