"""Catalog structure: completeness of the generated catalog and every structure endpoint."""

from __future__ import annotations

from .conftest import walk

V1 = "/api/rest/v1"
ALL_TYPES = {
    "pim_catalog_identifier",
    "pim_catalog_text",
    "pim_catalog_textarea",
    "pim_catalog_number",
    "pim_catalog_boolean",
    "pim_catalog_date",
    "pim_catalog_simpleselect",
    "pim_catalog_multiselect",
    "pim_catalog_metric",
    "pim_catalog_price_collection",
    "pim_catalog_image",
    "pim_catalog_file",
    "akeneo_reference_entity",
    "akeneo_reference_entity_collection",
    "pim_catalog_asset_collection",
    "pim_catalog_table",
}


def test_attributes_cover_every_type(api) -> None:
    attrs = walk(api, f"{V1}/attributes?limit=100")
    assert len(attrs) >= 40
    assert {a["type"] for a in attrs} >= ALL_TYPES
    numbers = [a for a in attrs if a["type"] == "pim_catalog_number"]
    assert {a["decimals_allowed"] for a in numbers} == {True, False}
    combos = {(a["localizable"], a["scopable"]) for a in attrs}
    assert combos == {(False, False), (True, False), (False, True), (True, True)}
    sku = api.get(f"{V1}/attributes/sku").json()
    assert sku["type"] == "pim_catalog_identifier" and "_links" not in sku
    r = api.get(
        f"{V1}/attributes?search=" + '{"type":[{"operator":"IN","value":["pim_catalog_table"]}]}'
    )
    assert {a["code"] for a in r.json()["_embedded"]["items"]} == {"nutrition", "size_chart"}


def test_options_and_option_patch(fresh_api) -> None:
    options = walk(fresh_api, f"{V1}/attributes/color/options?limit=100")
    assert options[0]["attribute"] == "color" and set(options[0]) >= {"code", "labels"}
    updated_before = fresh_api.get(f"{V1}/attributes/color").json()
    r = fresh_api.patch(
        f"{V1}/attributes/color/options/black", json={"labels": {"en_US": "Jet black"}}
    )
    assert r.status_code == 204
    assert fresh_api.get(f"{V1}/attributes/color/options/black").json()["labels"]["en_US"] == (
        "Jet black"
    )
    r = fresh_api.patch(
        f"{V1}/attributes/color/options/silver", json={"labels": {"en_US": "Silver"}}
    )
    assert r.status_code == 201
    assert fresh_api.get(f"{V1}/attributes/color").json() == updated_before
    r = fresh_api.patch(
        f"{V1}/attributes/color/options",
        content='{"code":"gold"}\n{"code":"black","sort_order":99}',
        headers={"Content-Type": "application/vnd.akeneo.collection+json"},
    )
    assert [line for line in r.text.splitlines()] == [
        '{"line":1,"code":"gold","status_code":201}',
        '{"line":2,"code":"black","status_code":204}',
    ]
    assert fresh_api.get(f"{V1}/attributes/name/options").status_code == 404


def test_channels_trees_locales_currencies(api) -> None:
    channels = walk(api, f"{V1}/channels")
    assert len(channels) == 2
    trees = {c["category_tree"] for c in channels}
    assert len(trees) == 2
    categories = walk(api, f"{V1}/categories?limit=100")
    by_code = {c["code"]: c for c in categories}

    def depth(code: str) -> int:
        parent = by_code[code]["parent"]
        return 1 if parent is None else 1 + depth(parent)

    for tree in trees:
        depths = {depth(c) for c in by_code if _root(by_code, c) == tree}
        assert max(depths) in (3, 4, 5) and max(depths) >= 3
    locales = walk(api, f"{V1}/locales")
    assert sum(1 for loc in locales if loc["enabled"]) >= 3
    r = api.get(f"{V1}/locales?search=" + '{"enabled":[{"operator":"=","value":true}]}')
    assert all(loc["enabled"] for loc in r.json()["_embedded"]["items"])
    assert walk(api, f"{V1}/currencies")
    roots = api.get(f"{V1}/categories?search=" + '{"is_root":[{"operator":"=","value":true}]}')
    assert {c["parent"] for c in roots.json()["_embedded"]["items"]} == {None}


def _root(by_code: dict, code: str) -> str:
    while by_code[code]["parent"]:
        code = by_code[code]["parent"]
    return code


def test_category_patch(fresh_api) -> None:
    r = fresh_api.patch(
        f"{V1}/categories/master_new", json={"parent": "master", "labels": {"en_US": "New"}}
    )
    assert r.status_code == 201
    got = fresh_api.get(f"{V1}/categories/master_new").json()
    assert got["parent"] == "master" and "position" not in got
    assert (
        fresh_api.patch(f"{V1}/categories/master_new", json={"parent": "nope"}).status_code == 422
    )
    assert (
        fresh_api.patch(f"{V1}/categories/master", json={"parent": "master_new"}).status_code == 422
    )
    r = fresh_api.patch(
        "/api/rest/v1/products-uuid/"
        + fresh_api.get("/api/rest/v1/products-uuid?limit=1").json()["_embedded"]["items"][0][
            "uuid"
        ],
        json={"categories": ["master_new"]},
    )
    assert r.status_code == 204


def test_families_variants_groups_associations_measurements(api) -> None:
    families = walk(api, f"{V1}/families")
    assert len(families) >= 5
    assert all(f["attribute_requirements"] for f in families)
    levels = set()
    for fam in families:
        for v in walk(api, f"{V1}/families/{fam['code']}/variants"):
            levels.add(len(v["variant_attribute_sets"]))
            assert v["variant_attribute_sets"][0]["axes"]
    assert levels == {1, 2}
    assert walk(api, f"{V1}/attribute-groups")
    types = walk(api, f"{V1}/association-types")
    assert any(t["is_quantified"] for t in types)
    measures = api.get(f"{V1}/measurement-families").json()
    assert isinstance(measures, list) and measures[0]["units"]


def test_reference_entities_and_assets(api) -> None:
    entities = walk(api, f"{V1}/reference-entities")
    assert {e["code"] for e in entities} >= {"designers", "suppliers"}
    assert entities[0]["_links"]["image_download"]["href"].startswith("http")
    attrs = api.get(f"{V1}/reference-entities/designers/attributes").json()
    assert isinstance(attrs, list)
    records = walk(api, f"{V1}/reference-entities/designers/records")
    rec = records[0]
    assert set(rec) >= {"code", "values", "created", "updated"}
    entry = rec["values"]["label"][0]
    assert set(entry) == {"locale", "channel", "data"}
    scoped = api.get(f"{V1}/reference-entities/designers/records?channel=mobile&locales=en_US")
    for r in scoped.json()["_embedded"]["items"]:
        for entries in r["values"].values():
            assert all(e["channel"] in (None, "mobile") for e in entries)
            assert all(e["locale"] in (None, "en_US") for e in entries)
    assets = walk(api, f"{V1}/asset-families/packshots/assets")
    media = assets[0]["values"]["media"][0]
    download = api.get(media["_links"]["download"]["href"])
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")
    img = api.get(entities[0]["_links"]["image_download"]["href"])
    assert img.status_code == 200
    assert walk(api, f"{V1}/asset-families")
    assert isinstance(api.get(f"{V1}/asset-families/packshots/attributes").json(), list)


def test_records_search_after_paging(api, server) -> None:
    # Scale records so one entity spans several server pages.
    from akeneo_sync.emulator.entities import record_count

    assert record_count("suppliers", 1_000_000) == 500
    total = len(server.catalog.s.records["designers"])
    assert len(walk(api, f"{V1}/reference-entities/designers/records")) == total


def test_media_files(api) -> None:
    page = api.get(f"{V1}/media-files?limit=3").json()
    item = page["_embedded"]["items"][0]
    assert set(item) == {"_links", "code", "original_filename", "mime_type", "size", "extension"}
    assert api.get(f"{V1}/media-files/{item['code']}").json()["code"] == item["code"]
    data = api.get(item["_links"]["download"]["href"])
    assert data.status_code == 200 and len(data.content) == item["size"]
    assert data.headers["content-type"] == item["mime_type"]
    assert api.get(f"{V1}/media-files/a/b/c/d/{'0' * 40}_x.png/download").status_code == 404
