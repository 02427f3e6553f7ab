"""Incremental sync against the emulator: after each run, the destination equals a fresh full
export (per resource, canonical hash of the documents that are not soft-deleted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import (
    Api,
    assert_matches_fresh_export,
    live_docs,
    name_value,
    run_sync,
)

from akeneo_sync import resources as res
from akeneo_sync.emulator import EmulatorServer

LABELS = "en_US"


def change_catalog(api: Api) -> dict[str, Any]:
    """Every change kind of the issue, through the API; returns what was touched."""
    models = api.models()
    subs = [m for m in models if m["parent"]]
    roots_with_subs = {m["parent"] for m in subs}
    root = next(m["code"] for m in models if m["code"] in roots_with_subs)
    sub = next(m["code"] for m in subs if m["parent"] != root)
    products = api.products()
    simple = [p for p in products if not p["parent"]]
    variants = [p for p in products if p["parent"] and p["parent"] not in (root, sub)]
    gone_model = next(
        m["code"]
        for m in models
        if not m["parent"]
        and m["code"] not in (root,)
        and all(s["code"] != sub or s["parent"] != m["code"] for s in subs)
    )
    for i, product in enumerate(simple[:2] + variants[:1]):
        api.patch_product(product["uuid"], {"values": name_value(f"edited {i}")})
    api.patch_model(root, {"values": name_value("root edited")})
    api.patch_model(sub, {"values": name_value("sub edited")})
    moved = simple[2]["uuid"]
    api.patch_product(moved, {"categories": ["master_food_snacks"]})
    created = [
        api.create_product(f"NEW-{i}", simple[0]["family"] or "home", enabled=True)
        for i in range(2)
    ]
    deleted = [simple[3]["uuid"], variants[1]["uuid"]]
    for uuid in deleted:
        api.delete_product(uuid)
    api.delete_model(gone_model)
    option = next(o for o in api.walk(f"{V1}/attributes/color/options"))
    api.patch_option("color", option["code"], {"en_US": f"{option['code']} relabelled"})
    return {"created": created, "deleted": deleted, "model_deleted": gone_model}


V1 = "/api/rest/v1"


def _sqlite(tmp: Path, name: str) -> tuple[str, str | None]:
    return str(tmp / f"{name}.db"), None


def _jsonl(tmp: Path, name: str) -> tuple[str, str | None]:
    return str(tmp / name), "jsonl"


def _csv(tmp: Path, name: str) -> tuple[str, str | None]:
    return str(tmp / name), "csv"


DESTS: dict[str, Callable[[Path, str], tuple[str, str | None]]] = {
    "sqlite": _sqlite,
    "jsonl": _jsonl,
    "csv": _csv,
}


@pytest.mark.parametrize("kind", ["sqlite", "jsonl", "csv"])
def test_incremental_matches_fresh_export(
    kind: str, server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    dest, fmt = DESTS[kind](tmp_path, "dest")
    _scenario(server, api, dest, fmt, lambda n: DESTS[kind](tmp_path, n)[0])


def test_incremental_postgres(
    server: EmulatorServer, api: Api, postgres_url: str, tmp_path: Path
) -> None:
    _scenario(
        server, api, postgres_url + "?schema=dest", None, lambda n: f"{postgres_url}?schema={n}"
    )


def _scenario(
    server: EmulatorServer,
    api: Api,
    dest: str,
    fmt: str | None,
    oracle: Callable[[str], str],
) -> None:
    first = run_sync(server, dest, fmt=fmt, labels=LABELS)
    assert first.mode == "full"
    assert_matches_fresh_export(server, dest, oracle("oracle1"), fmt, labels=LABELS)

    touched = change_catalog(api)
    second = run_sync(server, dest, fmt=fmt, labels=LABELS)
    assert second.mode == "incremental"
    assert second.how["products"].startswith("incremental (updated > ")
    assert second.how["attribute_options"] == "re-read and diffed"
    assert second.counts["products"] < first.counts["products"] / 2
    assert second.deleted["products"] >= len(touched["deleted"])
    assert second.deleted["product_models"] >= 1
    assert_matches_fresh_export(server, dest, oracle("oracle2"), fmt, labels=LABELS)
    soft = {d["uuid"]: d for d in open_docs(dest, fmt) if d.get("deleted_at")}
    assert set(touched["deleted"]) <= set(soft)

    # Nothing changed: a third run writes no product and still matches.
    third = run_sync(server, dest, fmt=fmt, labels=LABELS)
    assert third.mode == "incremental"
    assert_matches_fresh_export(server, dest, oracle("oracle3"), fmt, labels=LABELS)


def open_docs(dest: str, fmt: str | None) -> list[dict[str, Any]]:
    from akeneo_sync.sinks import open_sink

    return list(open_sink(dest, format=fmt).read(res.PRODUCTS))


def test_live_docs_helper_hides_soft_deleted(server: EmulatorServer, tmp_path: Path) -> None:
    dest = str(tmp_path / "a.db")
    run_sync(server, dest, resources=("locales",))
    assert live_docs(dest, res.LOCALES)


def test_reconcile_every_defers_options_and_deletions(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    """Between reconciling runs, edits, moves, models and category labels arrive at once (they
    move ``updated``), and so do product and model deletions (counted every run); option labels
    and the reference data re-read wait for the next reconciling run."""
    dest = str(tmp_path / "dest.db")
    run_sync(server, dest, labels=LABELS, reconcile_every=2)
    touched = change_catalog(api)
    api.patch_category("master_food_snacks", {"labels": {"en_US": "Crisps and nuts"}})
    light = run_sync(server, dest, labels=LABELS, reconcile_every=2)
    assert light.how["deletions"].startswith("reconciled")  # the counts differed
    assert light.deleted["products"] >= len(touched["deleted"])
    assert light.how["attribute_options"].startswith("from the destination")
    assert light.how["categories"].startswith("incremental")
    assert not light.deleted.get("attribute_options")
    stored = {d["uuid"]: d for d in live_docs(dest, res.PRODUCTS)}
    assert all(uuid in stored for uuid in touched["created"])
    snacks = [d for d in stored.values() if "master_food_snacks" in d["categories"]]
    assert snacks and all(
        any("Crisps and nuts" in path for path in d["category_paths"]) for d in snacks
    )
    heavy = run_sync(server, dest, labels=LABELS, reconcile_every=2)
    assert heavy.how["attribute_options"] == "re-read and diffed"
    assert heavy.how["deletions"] == "counts agree: none"
    assert_matches_fresh_export(server, dest, str(tmp_path / "oracle.db"), labels=LABELS)


def test_a_deleted_asset_leaves_the_destination_on_the_next_reconciling_run(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    """Akeneo cannot count assets: a run between two reconciling ones does not see one go, the
    next reconciling run lists them all and deletes it."""
    dest = str(tmp_path / "dest.db")
    run_sync(server, dest, reconcile_every=2)
    family = api.get(f"{V1}/asset-families")["_embedded"]["items"][0]["code"]
    asset = api.get(f"{V1}/asset-families/{family}/assets")["_embedded"]["items"][0]["code"]
    api.http.delete(f"{V1}/asset-families/{family}/assets/{asset}").raise_for_status()
    light = run_sync(server, dest, reconcile_every=2)
    assert not light.deleted.get("assets")
    heavy = run_sync(server, dest, reconcile_every=2)
    assert heavy.deleted["assets"] == 1
    live = {(d["asset_family_code"], d["code"]) for d in live_docs(dest, res.ASSETS)}
    assert (family, asset) not in live
    assert_matches_fresh_export(server, dest, str(tmp_path / "oracle.db"))


def test_reconcile_every_duration_waits_for_the_reference_to_get_that_old(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    """The default cadence: the reference data is re-read once its last whole read (the full
    run here) is older than ``reconcile_every``; deleted products are still counted every run."""
    dest = str(tmp_path / "dest.db")
    hourly = timedelta(hours=1)
    run_sync(server, dest, labels=LABELS, reconcile_every=hourly)
    option = next(o for o in api.walk(f"{V1}/attributes/color/options"))
    api.patch_option("color", option["code"], {"en_US": "Relabelled within the hour"})
    soon = run_sync(server, dest, labels=LABELS, reconcile_every=hourly)
    assert soon.how["attribute_options"].startswith("from the destination")
    assert soon.how["deletions"] == "counts agree: none"
    # The full run started a moment ago: a cadence shorter than that is due, an hourly one was
    # not (two runs may take less than a second in all).
    due = run_sync(server, dest, labels=LABELS, reconcile_every=timedelta(milliseconds=1))
    assert due.how["attribute_options"] == "re-read and diffed"
    assert_matches_fresh_export(server, dest, str(tmp_path / "oracle.db"), labels=LABELS)


class _OwnStamp:
    """``m_eff_updated`` of an emulator whose search does not propagate ``updated``: a model
    matches on its own stamp only (writes to it are ignored)."""

    def __init__(self, own: Any) -> None:
        self.own = own

    def __getitem__(self, i: int) -> int:
        return int(self.own[i])

    def __setitem__(self, i: int, value: int) -> None:
        pass


def test_server_that_does_not_propagate_updated(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    """Some servers return a variant for ``updated >`` only when the variant itself changed:
    the descendants of changed models are then found with the ``parent`` filter. The emulator
    has no switch for this, so the test rewires its search index (not the exporter)."""
    cat = server.catalog
    cat.product_eff_updated = lambda i: int(cat.p_updated[i])  # type: ignore[method-assign]
    cat.m_eff_updated = _OwnStamp(cat.m_updated)  # type: ignore[assignment]
    api.faults(variant_values="own")  # and variants carry only their own values
    dest = str(tmp_path / "dest.db")
    run_sync(server, dest, labels=LABELS)
    models = api.models()
    root = next(m["code"] for m in models if any(s["parent"] == m["code"] for s in models))
    since = api.get("/_emulator/clock")["filter_format"]
    api.patch_model(root, {"values": name_value("root edited")})
    search = json.dumps({"updated": [{"operator": ">", "value": since}]})
    assert api.products(search=search) == []  # the server really does not propagate
    second = run_sync(server, dest, labels=LABELS)
    assert second.counts["products"] > 0
    assert_matches_fresh_export(server, dest, str(tmp_path / "oracle.db"), labels=LABELS)


def test_deletion_check_costs_one_count_when_nothing_was_deleted(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    dest = str(tmp_path / "dest.db")
    run_sync(server, dest)
    products = api.products()
    api.patch_product(products[0]["uuid"], {"values": name_value("edited")})
    api.create_product("COUNT-NEW", products[0]["family"] or "home", enabled=True)

    quiet = run_sync(server, dest)  # a reconciling run (the default): counts agree
    assert quiet.how["deletions"] == "counts agree: none"
    assert not quiet.deleted.get("products")

    api.delete_product(products[1]["uuid"])
    found = run_sync(server, dest)
    assert found.how.get("deletions") != "counts agree: none"
    assert found.deleted["products"] == 1
    assert_matches_fresh_export(server, dest, str(tmp_path / "oracle.db"))
