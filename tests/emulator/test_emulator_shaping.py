"""Asking for less (``attributes``), completeness and quality scores (``with_completenesses``,
``with_quality_scores`` and their filters), and the legacy ``/measure-families`` listing."""

from __future__ import annotations

import json
from urllib.parse import quote

from .conftest import walk

V1 = "/api/rest/v1"
P = f"{V1}/products-uuid"
M = f"{V1}/product-models"
SA = "pagination_type=search_after&limit=100"
PAIRS = {
    ("ecommerce", "en_US"),
    ("ecommerce", "fr_FR"),
    ("ecommerce", "de_DE"),
    ("mobile", "en_US"),
    ("mobile", "fr_FR"),
}


def search(field: str, cond: dict) -> str:
    return "&search=" + quote(json.dumps({field: [cond]}))


def by_pair(entries: list[dict]) -> dict[tuple[str, str], object]:
    return {(e["scope"], e["locale"]): e["data"] for e in entries}


def test_attributes_limits_values_on_lists_and_single_gets(api) -> None:
    products = api.get(f"{P}?limit=50&attributes=sku,name").json()["_embedded"]["items"]
    assert products and all(set(p["values"]) <= {"sku", "name"} for p in products)
    assert all("sku" in p["values"] for p in products)  # every product has its identifier
    assert any(p["parent"] and "name" in p["values"] for p in products)  # inherited ones too
    one = products[0]
    single = api.get(f"{P}/{one['uuid']}?attributes=name").json()
    assert set(single["values"]) <= {"name"} and single["uuid"] == one["uuid"]
    full = api.get(f"{P}/{one['uuid']}").json()
    assert single["values"].get("name") == full["values"].get("name")
    assert len(full["values"]) > 2
    models = api.get(f"{M}?limit=20&attributes=name,color").json()["_embedded"]["items"]
    assert models and all(set(m["values"]) <= {"name", "color"} for m in models)
    assert any(m["values"] for m in models)
    single = api.get(f"{M}/{models[0]['code']}?attributes=name").json()
    assert set(single["values"]) <= {"name"}
    assert api.get(f"{M}?attributes=nope").status_code == 422
    assert api.get(f"{P}/{one['uuid']}?attributes=nope").status_code == 422


def test_completenesses_follow_the_family_requirements(api) -> None:
    families = {f["code"]: f for f in walk(api, f"{V1}/families")}
    products = walk(api, f"{P}?{SA}&with_completenesses=true")
    seen = set()
    for p in products:
        if p["family"] is None:
            assert p["completenesses"] == []  # no family, nothing is required
            continue
        scores = by_pair(p["completenesses"])
        assert set(scores) == PAIRS
        for (scope, locale), percent in scores.items():
            required = families[p["family"]]["attribute_requirements"][scope]
            filled = sum(
                any(
                    v["locale"] in (None, locale) and v["scope"] in (None, scope)
                    for v in p["values"].get(code, [])
                )
                for code in required
            )
            assert percent == 100 * filled // len(required)
            seen.add(percent)
    assert 100 in seen and len(seen) > 1
    uuid = products[0]["uuid"]
    again = api.get(f"{P}/{uuid}?with_completenesses=true").json()
    assert again["completenesses"] == products[0]["completenesses"]  # deterministic
    assert "completenesses" not in api.get(f"{P}/{uuid}").json()


def test_completeness_filters_agree_with_the_scores(api) -> None:
    products = walk(api, f"{P}?{SA}&with_completenesses=true")
    scores = {p["uuid"]: by_pair(p["completenesses"]) for p in products}

    def found(cond: dict) -> set[str]:
        url = f"{P}?{SA}" + search("completeness", {"scope": "ecommerce", **cond})
        return {p["uuid"] for p in walk(api, url)}

    below = found({"operator": "<", "value": 100})
    assert below == {
        u
        for u, s in scores.items()
        if any(v < 100 for (ch, _), v in s.items() if ch == "ecommerce")
    }
    assert below
    both = {"locales": ["en_US", "fr_FR"], "value": 100}
    complete = found({"operator": "GREATER OR EQUALS THAN ON ALL LOCALES", **both})
    assert complete == {
        u
        for u, s in scores.items()
        if s and s["ecommerce", "en_US"] == s["ecommerce", "fr_FR"] == 100
    }
    assert 0 < len(complete) < len(products)
    r = api.get(f"{P}?" + search("completeness", {"operator": "=", "value": 100}))
    assert r.status_code == 422  # a completeness filter needs its channel


def test_model_completeness_filter_looks_at_the_variants(api) -> None:
    products = walk(api, f"{P}?{SA}&with_completenesses=true")
    models = {m["code"]: m for m in walk(api, f"{M}?{SA}")}
    complete: dict[str, list[bool]] = {}
    for p in products:
        if p["parent"] is None:
            continue
        s = by_pair(p["completenesses"])
        ok = s["ecommerce", "en_US"] == s["ecommerce", "fr_FR"] == 100
        parent = models[p["parent"]]
        for code in {parent["code"], parent["parent"]} - {None}:
            complete.setdefault(code, []).append(ok)

    def found(op: str) -> set[str]:
        cond = {"operator": op, "scope": "ecommerce", "locales": ["en_US", "fr_FR"]}
        return {m["code"] for m in walk(api, f"{M}?{SA}" + search("completeness", cond))}

    assert found("AT LEAST COMPLETE") == {c for c, oks in complete.items() if any(oks)}
    assert found("ALL COMPLETE") == {c for c, oks in complete.items() if all(oks)}
    assert found("AT LEAST INCOMPLETE") == {c for c, oks in complete.items() if not all(oks)}
    assert found("ALL INCOMPLETE") == {c for c, oks in complete.items() if not any(oks)}
    assert 0 < len(found("ALL COMPLETE")) < len(complete)


def test_quality_scores_on_products_and_models(api) -> None:
    products = walk(api, f"{P}?{SA}&with_quality_scores=true")
    letters = set()
    for p in products:
        if p["family"] is None:
            assert p["quality_scores"] == []
            continue
        grades = by_pair(p["quality_scores"])
        assert set(grades) == PAIRS
        letters |= set(grades.values())
    assert letters <= set("ABCDE") and len(letters) >= 3
    uuid = products[-1]["uuid"]
    again = api.get(f"{P}/{uuid}?with_quality_scores=true").json()
    assert again["quality_scores"] == products[-1]["quality_scores"]
    grade = {p["uuid"]: by_pair(p["quality_scores"]).get(("mobile", "fr_FR")) for p in products}
    cond = {"operator": "IN", "value": ["A", "B"], "scope": "mobile", "locale": "fr_FR"}
    found = {p["uuid"] for p in walk(api, f"{P}?{SA}" + search("quality_score", cond))}
    assert found == {u for u, g in grade.items() if g in ("A", "B")} != set()
    models = api.get(f"{M}?limit=20&with_quality_scores=true").json()["_embedded"]["items"]
    for m in models:
        grades = by_pair(m["quality_scores"])
        assert set(grades) == PAIRS and set(grades.values()) <= set("ABCDE")
    assert "quality_scores" not in api.get(f"{M}?limit=1").json()["_embedded"]["items"][0]


def test_scores_follow_writes(fresh_api) -> None:
    url = f"{P}?{SA}&with_completenesses=true"
    product = next(
        p
        for p in walk(fresh_api, url)
        if p["parent"] is None
        and p["family"] == "clothing"
        and by_pair(p["completenesses"])["mobile", "fr_FR"] == 100
    )
    uuid = product["uuid"]
    r = fresh_api.patch(
        f"{P}/{uuid}", json={"values": {"name": [{"locale": "fr_FR", "scope": None, "data": None}]}}
    )
    assert r.status_code == 204
    after = by_pair(fresh_api.get(f"{P}/{uuid}?with_completenesses=true").json()["completenesses"])
    assert after["mobile", "fr_FR"] == 66  # two of the three required attributes left
    assert after["mobile", "en_US"] == 100
    r = fresh_api.post(P, json={"values": {"sku": [{"locale": None, "scope": None, "data": "x1"}]}})
    familyless = r.headers["Location"].rsplit("/", 1)[1]
    got = fresh_api.get(f"{P}/{familyless}?with_completenesses=true&with_quality_scores=true")
    assert got.json()["completenesses"] == [] and got.json()["quality_scores"] == []
    cond = {"operator": "<", "value": 100, "scope": "mobile"}
    incomplete = {p["uuid"] for p in walk(fresh_api, f"{P}?{SA}" + search("completeness", cond))}
    assert uuid in incomplete and familyless not in incomplete


def test_legacy_measure_families(api, server) -> None:
    current = {m["code"]: m for m in api.get(f"{V1}/measurement-families").json()}
    page = api.get(f"{V1}/measure-families?limit=4&with_count=true").json()
    assert page["current_page"] == 1 and page["items_count"] == len(current)
    assert page["_links"]["next"]["href"].startswith(f"{server.url}{V1}/measure-families?")
    legacy = walk(api, f"{V1}/measure-families?limit=4")
    assert [m["code"] for m in legacy] == sorted(current)
    for m in legacy:
        assert m["_links"]["self"]["href"] == f"{server.url}{V1}/measure-families/{m['code']}"
        assert set(m) == {"_links", "code", "standard", "units"}
        new = current[m["code"]]
        assert m["standard"] == new["standard_unit_code"]
        assert [u["code"] for u in m["units"]] == list(new["units"])
        for unit in m["units"]:
            assert set(unit) == {"code", "convert", "symbol"}
            (op, value), *_ = unit["convert"].items()
            assert {"operator": op, "value": value} in new["units"][unit["code"]][
                "convert_from_standard"
            ]
    one = api.get(f"{V1}/measure-families/Weight").json()
    assert one["standard"] == "KILOGRAM" and "_links" not in one
    missing = api.get(f"{V1}/measure-families/Nope")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'Measure family "Nope" does not exist.'
    assert api.get(f"{V1}/measure-families?pagination_type=search_after").status_code == 422
