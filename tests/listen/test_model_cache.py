"""The applier keeps the models it read across batches (``run.modelstore.ModelCache``): a
product event of a variant costs no model request, and a model event makes the next product
event of a variant use the model as it is now."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sync_helpers import assert_matches_fresh_export, name_value

import akeneo_sync
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.run.apply import apply_changes
from akeneo_sync.run.changes import Changes
from akeneo_sync.run.modelstore import ModelCache
from akeneo_sync.run.options import ExportOptions
from akeneo_sync.sinks import open_sink

from .helpers import Api, settled, subscribe, wait_for
from .test_events import stored


def _variant_of_a_sub_model(api: Api) -> tuple[str, str, str]:
    """(variant uuid, its sub model, that model's root)."""
    models = {m["code"]: m for m in api.models()}
    for product in api.products():
        parent = models.get(product.get("parent") or "")
        if parent and parent.get("parent"):
            return product["uuid"], parent["code"], parent["parent"]
    raise AssertionError("the emulator's catalog has no variant of a sub model")


def _model_requests(server: EmulatorServer) -> int:
    by_resource: dict[str, int] = Api(server).stats()["by_resource"]
    return by_resource.get("product-models", 0)


def _categories(doc: dict[str, Any] | None) -> set[str]:
    return set((doc or {}).get("categories") or ())


def test_a_variant_event_after_a_model_event_merges_the_new_model(
    server, api, dest, listen, tmp_path
) -> None:
    uuid, _sub, root = _variant_of_a_sub_model(api)
    api.patch_model(root, {"categories": ["supplier_mongo"]})  # before listen: no event
    running = listen()
    subscribe(server, api, running.url)
    api.patch_product(uuid, {"enabled": False})
    wait_for(lambda: settled(server, running, 1), what="the first product event")
    assert "supplier_mongo" in _categories(stored(dest, uuid))  # the root's, kept

    # The root loses its category: the model event refreshes the variants...
    api.patch_model(root, {"categories": []})
    wait_for(lambda: settled(server, running, 2), what="the model event")
    upstream = _categories(api.get(f"/api/rest/v1/products-uuid/{uuid}"))
    assert "supplier_mongo" not in upstream
    assert _categories(stored(dest, uuid)) == upstream
    # ...and a later event of the variant merges it with the root as it is now, not as the
    # first batch read it (nor its sub model, which carried the root's categories).
    api.patch_product(uuid, {"enabled": True})
    wait_for(lambda: settled(server, running, 3), what="the second product event")
    doc = stored(dest, uuid)
    assert doc is not None and doc["enabled"] is True
    assert _categories(doc) == upstream
    assert_matches_fresh_export(server, dest, str(tmp_path / "oracle.db"), labels="en_US")


def test_without_a_model_event_no_model_is_read_again(server, api, dest, listen, tmp_path) -> None:
    uuid, sub, _root = _variant_of_a_sub_model(api)
    siblings = [p["uuid"] for p in api.products() if p.get("parent") == sub and p["uuid"] != uuid]
    running = listen()
    subscribe(server, api, running.url)
    before = _model_requests(server)
    # The first batch finds the variant's sub model and root in the destination, the later
    # ones in the applier's cache: Akeneo is asked for products only.
    for n, other in enumerate([uuid, uuid, *siblings], start=1):
        api.patch_product(other, {"enabled": n % 2 == 0})
        wait_for(lambda n=n: settled(server, running, n), what=f"product event {n}")
        assert stored(dest, other)["enabled"] is (n % 2 == 0)
    assert _model_requests(server) == before
    # Merged with the stored parents, the variants are what a fresh export writes.
    assert_matches_fresh_export(server, dest, str(tmp_path / "oracle.db"), labels="en_US")


def test_a_parent_missing_from_the_destination_is_read_from_akeneo(
    server, api, dest, listen
) -> None:
    uuid, sub, root = _variant_of_a_sub_model(api)
    with sqlite3.connect(dest) as db:  # as if the destination had lost them
        db.execute("DELETE FROM product_models WHERE code IN (?, ?)", (sub, root))
    running = listen()
    subscribe(server, api, running.url)
    before = _model_requests(server)
    api.patch_product(uuid, {"values": name_value("Merged with models from Akeneo")})
    wait_for(lambda: settled(server, running, 1), what="the product event")
    assert _model_requests(server) > before
    doc = stored(dest, uuid)
    assert doc is not None and doc["root_parent"] == root
    assert _categories(doc) == _categories(api.get(f"/api/rest/v1/products-uuid/{uuid}"))


def test_a_forgotten_model_takes_the_models_below_it() -> None:
    now = [0.0]
    cache = ModelCache(max_age=60.0, clock=lambda: now[0])
    try:
        for code, parent in (("root", None), ("sub", "root"), ("other", None)):
            cache.store[code] = {"code": code, "parent": parent, "values": {}}
        cache.remember({"root": None, "sub": "root", "other": None}, cache.now())
        assert cache.fresh() == {"root", "sub", "other"}
        cache.forget(["root"])
        assert cache.fresh() == {"other"}
        assert "sub" not in cache.store and "other" in cache.store
        now[0] = 61.0  # read over a minute ago: read again
        assert cache.fresh() == set()
        assert len(cache.store) == 0
    finally:
        cache.close()


def test_a_batch_of_100_products_is_one_request(tmp_path) -> None:
    config = EmulatorConfig(port=0, products=150, seed=5)
    with EmulatorServer(config) as srv:
        connection = akeneo_sync.Connection(**srv.credentials())
        dest = str(tmp_path / "catalog.db")
        akeneo_sync.sync(dest, connection, ExportOptions(labels="en_US"))
        api = Api(srv)
        uuids = {p["uuid"] for p in api.products()[:100]}

        async def apply() -> int:
            async with connection.client() as client:
                models = ModelCache()
                try:
                    applied = await apply_changes(
                        client,
                        open_sink(dest),
                        ExportOptions(labels="en_US"),
                        Changes(products=uuids),
                        lambda state, report, unseen: state,
                        models=models,
                    )
                finally:
                    models.close()
                return applied.report.counts["products"]

        before = api.stats()["by_resource"]["products-uuid"]
        assert asyncio.run(apply()) == 100
        # A full page has a next link; its page would be empty: not asked for.
        assert api.stats()["by_resource"]["products-uuid"] - before == 1
        api.close()
