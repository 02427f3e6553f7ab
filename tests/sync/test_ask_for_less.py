"""Asking Akeneo for less (``attributes``) and for more (completenesses, quality scores): what
the emulator is asked, what arrives, and what the outputs hold, full and incremental."""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

from sync_helpers import Api, client_for, name_value, run_sync

import akeneo_sync
from akeneo_sync.emulator import EmulatorServer
from akeneo_sync.extract import Filters
from akeneo_sync.run import ExportOptions, export
from akeneo_sync.sinks import open_sink

CHOSEN = ["sku", "name", "price"]


def _export(server: EmulatorServer, dest: str, fmt: str | None, filters: Filters) -> int:
    """A full export; the bytes Akeneo sent."""

    async def go() -> int:
        async with client_for(server) as client:
            await export(client, open_sink(dest, format=fmt), ExportOptions(filters=filters))
            return client.stats.bytes_received

    return asyncio.run(go())


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def _value_columns(header: list[str]) -> set[str]:
    """The attribute part of each value column (``price-EUR`` -> ``price``)."""
    leading = {"uuid", "family", "parent", "root_parent", "family_variant", "categories"}
    leading |= {"enabled", "created", "updated", "groups", "code", "identifier"}
    links = ("-products", "-product_models", "-groups", "-quantity")  # associations
    return {c.split("-")[0] for c in header if c not in leading and not c.endswith(links)}


def test_attributes_shrink_what_is_received_and_the_columns(
    server: EmulatorServer, tmp_path: Path
) -> None:
    everything = _export(server, str(tmp_path / "all"), "csv", Filters())
    fewer = _export(server, str(tmp_path / "few"), "csv", Filters(attributes=CHOSEN))
    # Products and models make most of a catalog's bytes; reference data is read whole anyway.
    assert fewer < everything * 0.7, (fewer, everything)

    all_columns = _value_columns(_header(tmp_path / "all" / "products.csv"))
    few_columns = _value_columns(_header(tmp_path / "few" / "products.csv"))
    assert few_columns <= set(CHOSEN) and "name" in few_columns and "price" in few_columns
    assert len(all_columns) > 10
    assert _value_columns(_header(tmp_path / "few" / "product_models.csv")) <= set(CHOSEN)
    with open(tmp_path / "few" / "products.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 300 and all(r["sku"] for r in rows)  # the identifier kept


def test_an_incremental_run_asks_for_the_same_attributes(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    dest = f"sqlite:///{tmp_path / 'few.db'}"
    run_sync(server, dest, filters=Filters(attributes=CHOSEN))
    variant = next(p for p in api.products() if p["parent"])
    api.patch_product(variant["uuid"], {"values": name_value("Renamed")})
    report = run_sync(server, dest, filters=Filters(attributes=CHOSEN))
    assert report.mode == "incremental" and report.counts["products"] >= 1
    db = sqlite3.connect(tmp_path / "few.db")
    stored = json.loads(
        db.execute("SELECT document FROM products WHERE uuid = ?", (variant["uuid"],)).fetchone()[0]
    )
    assert set(stored["values"]) <= set(CHOSEN)
    assert stored["values"]["name"][0]["data"] == "Renamed"
    attributes = {a for (a,) in db.execute("SELECT DISTINCT attribute FROM product_values")}
    assert attributes <= set(CHOSEN)


def _by(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return {item[key]: item for item in items}


def test_completenesses_and_quality_scores_reach_the_documents(
    server: EmulatorServer, api: Api, tmp_path: Path
) -> None:
    filters = Filters(with_completenesses=True, with_quality_scores=True)
    _export(server, str(tmp_path / "out"), None, filters)
    wanted = _by(api.products(with_completenesses="true", with_quality_scores="true"), "uuid")
    with open(tmp_path / "out" / "products.jsonl", encoding="utf-8") as f:
        got = _by([json.loads(line) for line in f], "uuid")
    assert got.keys() == wanted.keys()
    for uuid, product in got.items():
        assert product["completenesses"] == wanted[uuid]["completenesses"]
        assert product["quality_scores"] == wanted[uuid]["quality_scores"]
    assert any(p["completenesses"] for p in got.values())
    models = _by(api.models(with_quality_scores="true"), "code")
    with open(tmp_path / "out" / "product_models.jsonl", encoding="utf-8") as f:
        stored = _by([json.loads(line) for line in f], "code")
    assert all(m["quality_scores"] == models[c]["quality_scores"] for c, m in stored.items())
    assert all("completenesses" not in m for m in stored.values())

    # Without the flags nothing is added: the documents stay Akeneo's plain items.
    _export(server, str(tmp_path / "plain"), None, Filters())
    with open(tmp_path / "plain" / "products.jsonl", encoding="utf-8") as f:
        first = json.loads(f.readline())
    assert "completenesses" not in first and "quality_scores" not in first


def test_the_option_checks_listings_are_not_asked_for_again(
    server: EmulatorServer, tmp_path: Path
) -> None:
    """``--labels`` and ``--channel`` are checked against the locales and channels before the
    destination is opened; the reference data takes those listings as read."""
    api = Api(server)
    try:
        connection = akeneo_sync.Connection(**server.credentials())
        for options, asked in [
            (ExportOptions(), 1),
            (ExportOptions(labels="en_US", filters=Filters(channel="ecommerce")), 1),
        ]:
            api.http.post("/_emulator/stats/reset")
            dest = str(tmp_path / f"{options.labels}.db")
            akeneo_sync.export(dest, connection, options)
            by_resource = api.stats()["by_resource"]
            assert (by_resource["locales"], by_resource["channels"]) == (asked, asked)
            with sqlite3.connect(dest) as db:
                assert db.execute("SELECT count(*) FROM locales").fetchone()[0] > 1
                assert db.execute("SELECT count(*) FROM channels").fetchone()[0] > 1
    finally:
        api.close()
