"""A full export into each destination reads back exactly the emulator's catalog."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest

from akeneo_sync import resources as res
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.sinks import open_sink
from tests.e2e.conftest import PRODUCTS, run_export
from tests.oracle import Oracle, without_labels

SELECTS = ("pim_catalog_simpleselect", "pim_catalog_multiselect")


def _stored_products(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        return [json.loads(doc) for (doc,) in conn.execute("SELECT document FROM products")]


@pytest.mark.parametrize("variant_values", ["merged", "own"])
def test_sqlite_export_equals_the_catalog(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path, variant_values: str
) -> None:
    oracle.set_faults(variant_values=variant_values)
    try:
        summary = run_export(emulator.url, str(tmp_path / "catalog.db"), labels="en_US")
    finally:
        oracle.set_faults(variant_values="merged")
    expected = oracle.products()  # the server's own merge of every variant's chain
    models = oracle.product_models()
    stored = _stored_products(tmp_path / "catalog.db")

    assert len(expected) == PRODUCTS
    assert sorted(p["uuid"] for p in stored) == sorted(expected)
    assert summary.counts["products"] == PRODUCTS
    variants = 0
    for product in stored:
        server = expected[product["uuid"]]
        assert without_labels(product["values"]) == server["values"]
        assert sorted(product["categories"]) == sorted(server["categories"])
        if server["parent"]:
            variants += 1
            parent = models[server["parent"]]
            root = parent["parent"] or parent["code"]
            assert product["root_parent"] == root
            assert product["family_variant"] == parent["family_variant"]
        else:
            assert product["root_parent"] is None and product["family_variant"] is None
        assert product["identifier"] == server["values"]["sku"][0]["data"]
    assert 0.4 * PRODUCTS < variants < 0.8 * PRODUCTS  # the catalog really has variants


def test_sqlite_labels_and_paths(emulator: EmulatorServer, oracle: Oracle, tmp_path: Path) -> None:
    db = tmp_path / "catalog.db"
    run_export(emulator.url, str(db), labels="en_US")
    options = oracle.option_labels("en_US")
    paths = oracle.category_paths("en_US")
    attributes = {a["code"]: a for a in oracle.walk("/attributes", limit=100)}
    checked = 0
    for product in _stored_products(db):
        assert product["category_paths"] == [paths[c] for c in product["categories"]]
        for code, values in product["values"].items():
            if attributes[code]["type"] not in SELECTS:
                continue
            for value in values:
                data = value["data"]
                want = (
                    [options[(code, d)] for d in data]
                    if isinstance(data, list)
                    else options[(code, data)]
                )
                assert value["label"] == want
                checked += 1
    assert checked > PRODUCTS  # plenty of select values were looked at
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT v.text_value, v.label FROM product_values v WHERE v.attribute = 'color'"
        ).fetchall()
    assert rows and all(label == options[("color", code)] for code, label in rows)


def test_every_reference_resource_is_complete(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    db = tmp_path / "catalog.db"
    summary = run_export(emulator.url, str(db))
    expected = oracle.counts()
    with sqlite3.connect(db) as conn:
        for resource, count in expected.items():
            assert conn.execute(f'SELECT count(*) FROM "{resource}"').fetchone()[0] == count, (
                resource
            )
            assert summary.counts.get(resource, 0) == count, resource
        models = conn.execute("SELECT count(*) FROM product_models").fetchone()[0]
    assert models == len(oracle.product_models())


def test_jsonl_directory(emulator: EmulatorServer, oracle: Oracle, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_export(emulator.url, str(out))
    lines = (out / "products.jsonl").read_text(encoding="utf-8").splitlines()
    uuids = [json.loads(line)["uuid"] for line in lines]
    assert sorted(uuids) == sorted(oracle.products())
    for name, count in oracle.counts().items():
        assert len((out / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()) == count, name


def test_csv_directory_opens_in_pandas(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    out = tmp_path / "csv"
    run_export(emulator.url, str(out), format="csv", labels="en_US")
    frame = pd.read_csv(out / "products.csv", encoding="utf-8-sig", dtype=str)
    assert sorted(frame["uuid"]) == sorted(oracle.products())
    for column in (
        "sku",
        "family",
        "parent",
        "categories",
        "enabled",
        "name-en_US",
        "description-en_US-ecommerce",
        "price-EUR",
        "weight",
        "weight-unit",
        "color",
        "color-label",
        "material",
    ):
        assert column in frame.columns, column
    sample = oracle.products()[frame["uuid"][0]]
    assert frame["sku"][0] == sample["values"]["sku"][0]["data"]
    options = pd.read_csv(out / "attribute_options.csv", encoding="utf-8-sig")
    assert {"attribute", "code", "labels"} <= set(options.columns)


def test_parquet_directory(emulator: EmulatorServer, oracle: Oracle, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    run_export(emulator.url, str(out), format="parquet")
    table = pq.read_table(out / "products.parquet")
    assert table.num_rows == PRODUCTS
    assert sorted(table.column("uuid").to_pylist()) == sorted(oracle.products())
    assert {"sku", "family", "enabled", "name-en_US", "price-EUR"} <= set(table.column_names)
    assert str(table.schema.field("enabled").type) == "bool"


def test_json_file_with_flat_is_one_array_of_flat_products(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    target = tmp_path / "catalog.json"
    run_export(emulator.url, str(target), flat=True)
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert isinstance(rows, list) and len(rows) == PRODUCTS
    assert sorted(r["uuid"] for r in rows) == sorted(oracle.products())
    assert all("name-en_US" in r or "name-fr_FR" in r or "family" in r for r in rows)


def test_filters_narrow_the_export(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    from akeneo_sync.extract import Filters

    db = tmp_path / "shoes.db"
    run_export(
        emulator.url,
        str(db),
        filters=Filters(families=["shoes"], enabled_only=True),
        resources=("products", "product_models", "families"),
    )
    expected = {u for u, p in oracle.products().items() if p["family"] == "shoes" and p["enabled"]}
    stored = {p["uuid"] for p in _stored_products(db)}
    assert stored == expected and expected


@pytest.mark.parametrize("labels", [None, "en_US"])
def test_a_products_export_reads_only_the_reference_it_uses(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path, labels: str | None
) -> None:
    out = tmp_path / "out"
    before = oracle.stats()["by_resource"]
    run_export(emulator.url, str(out), resources=("products",), labels=labels)
    after = oracle.stats()["by_resource"]
    asked = {name for name, n in after.items() if n > before.get(name, 0)}
    # Values are merged, shaped and restricted by the attributes and channels; the locales are
    # the first request. Labels come from options, families, categories and records.
    used = {"token", "locales", "channels", "attributes", "product-models", "products-uuid"}
    if labels:
        used |= {"families", "categories", "reference-entities"}
    assert asked == used
    expected = oracle.products()
    stored = [json.loads(line) for line in (out / "products.jsonl").read_text().splitlines()]
    assert sorted(p["uuid"] for p in stored) == sorted(expected)
    for product in stored:
        assert without_labels(product["values"]) == expected[product["uuid"]]["values"]
    labelled = [v for p in stored for vs in p["values"].values() for v in vs if "label" in v]
    assert bool(labelled) == bool(labels)
    assert all("category_paths" in p for p in stored) == bool(labels)


def test_export_outlives_its_tokens_and_survives_faults(tmp_path: Path) -> None:
    """Tokens of one second, a slow server that drops connections and answers 5xx: the export
    still completes, every product once."""
    from akeneo_sync.emulator import EmulatorConfig

    config = EmulatorConfig(
        products=PRODUCTS,
        seed=5,
        port=0,
        token_ttl=1,
        latency_ms=150,
        error_rate=0.05,
        drop_rate=0.03,
    )
    with EmulatorServer(config) as server:
        db = tmp_path / "c.db"
        summary = run_export(server.url, str(db))
        # The oracle is a plain client that retries nothing: the faults end with the export.
        httpx.post(f"{server.url}/_emulator/faults", json={"error_rate": 0, "drop_rate": 0})
        stats = Oracle(server.url).stats()
        expected = sorted(Oracle(server.url).products())
    assert sorted(p["uuid"] for p in _stored_products(db)) == expected
    assert summary.seconds > 1  # longer than a token lives
    assert stats["tokens_issued"] >= 2
    assert summary.retries > 0


def test_filters_by_channel_categories_and_date(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from akeneo_sync.extract import Filters

    channel = oracle.walk("/channels", limit=100)[0]
    tree = channel["category_tree"]
    children = [c["code"] for c in oracle.walk("/categories", limit=100) if c["parent"] == tree]
    products = oracle.products()
    stamps = sorted(p["updated"] for p in products.values())
    since = datetime.fromisoformat(stamps[len(stamps) // 2]).astimezone(UTC)

    db = tmp_path / "f.db"
    run_export(
        emulator.url,
        str(db),
        filters=Filters(channel=channel["code"], locales=["en_US"], categories=children[:1]),
        resources=("products", "product_models"),
    )
    stored = _stored_products(db)
    assert stored, "the filter should keep some products"
    below = {c["code"] for c in oracle.walk("/categories", limit=100)}  # every code, to walk up
    parents = {c["code"]: c["parent"] for c in oracle.walk("/categories", limit=100)}

    def under(code: str, root: str) -> bool:
        while code:
            if code == root:
                return True
            code = parents.get(code)
        return False

    for product in stored:
        assert any(under(c, children[0]) for c in product["categories"] if c in below)
        for values in product["values"].values():
            for value in values:
                assert value["locale"] in (None, "en_US")
                assert value["scope"] in (None, channel["code"])

    db2 = tmp_path / "since.db"
    run_export(
        emulator.url, str(db2), filters=Filters(updated_since=since), resources=("products",)
    )
    # Variants also match when an ancestor changed, so compare with the server's own filter.
    expected = {
        p["uuid"]
        for p in oracle.walk(
            "/products-uuid",
            pagination_type="search_after",
            limit=100,
            search=json.dumps(
                {"updated": [{"operator": ">", "value": since.strftime("%Y-%m-%d %H:%M:%S")}]}
            ),
        )
    }
    assert {p["uuid"] for p in _stored_products(db2)} == expected
    assert 0 < len(expected) < PRODUCTS


def test_media_files_are_downloaded_inside_the_directory(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    summary = run_export(
        emulator.url, str(tmp_path / "m.db"), media_dir=media, resources=("attributes", "products")
    )
    kinds = {
        a["code"]
        for a in oracle.walk("/attributes", limit=100)
        if a["type"] in ("pim_catalog_image", "pim_catalog_file")
    }
    codes = {
        v["data"]
        for p in oracle.products().values()
        for code, values in p["values"].items()
        if code in kinds
        for v in values
        if v["data"]
    }
    files = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}
    assert files == codes and summary.media_files == len(codes)
    sample = sorted(codes)[0]
    served = oracle.http.get(f"/api/rest/v1/media-files/{sample}/download")
    assert (media / sample).read_bytes() == served.content


def _cell(values: dict, code: str, locale: str | None = None) -> str | None:
    """The server's data of one non-scopable value, as text (None when absent)."""
    for value in values.get(code, []):
        if value["locale"] == locale and value["scope"] is None:
            return str(value["data"])
    return None


@pytest.mark.parametrize("variant_values", ["merged", "own"])
def test_every_format_carries_the_merged_chain(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path, variant_values: str
) -> None:
    """JSONL documents, the JSON array, CSV, Parquet and XLSX cells and the flat JSON array
    hold each variant's inherited values, whether or not the server merged them."""
    oracle.set_faults(variant_values=variant_values)
    try:
        run_export(emulator.url, str(tmp_path / "jsonl"), labels="en_US")
        run_export(emulator.url, str(tmp_path / "csv"), format="csv")
        run_export(emulator.url, str(tmp_path / "pq"), format="parquet")
        run_export(emulator.url, str(tmp_path / "c.json"), flat=True)
        run_export(emulator.url, str(tmp_path / "docs.json"), labels="en_US")
        run_export(emulator.url, str(tmp_path / "xlsx"), format="xlsx")
    finally:
        oracle.set_faults(variant_values="merged")
    expected = oracle.products()

    docs = [json.loads(line) for line in (tmp_path / "jsonl" / "products.jsonl").open()]
    array = json.loads((tmp_path / "docs.json").read_text(encoding="utf-8"))
    for kind, documents in {"jsonl": docs, "json": array}.items():
        assert sorted(d["uuid"] for d in documents) == sorted(expected), kind
        for doc in documents:
            assert without_labels(doc["values"]) == expected[doc["uuid"]]["values"], kind
            assert sorted(doc["categories"]) == sorted(expected[doc["uuid"]]["categories"])

    frame = pd.read_csv(tmp_path / "csv" / "products.csv", encoding="utf-8-sig", dtype=str)
    table = pq.read_table(tmp_path / "pq" / "products.parquet").to_pylist()
    rows = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    flat_sets = {
        "csv": [
            {k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")
        ],
        "parquet": table,
        "json": rows,
        "xlsx": list(open_sink(str(tmp_path / "xlsx"), format="xlsx").read(res.PRODUCTS)),
    }
    for kind, flat in flat_sets.items():
        assert len(flat) == PRODUCTS, kind
        inherited = 0
        for row in flat:
            values = expected[row["uuid"]]["values"]
            for code, locale, column in (
                ("color", None, "color"),
                ("name", "en_US", "name-en_US"),
                ("brand", None, "brand"),
            ):
                want = _cell(values, code, locale)
                got = row.get(column)
                assert (None if got in (None, "") else str(got)) == want, (kind, column)
                inherited += want is not None and expected[row["uuid"]]["parent"] is not None
        assert inherited > PRODUCTS / 3, kind  # variants really carried parent values


def test_a_media_file_that_cannot_be_had_is_skipped_and_counted(tmp_path: Path) -> None:
    """A file gone upstream (404) and a code that would climb out of the media directory are
    skipped, logged and counted; every product is written all the same."""
    with EmulatorServer(EmulatorConfig(products=20, seed=4, port=0)) as server:
        oracle = Oracle(server.url)
        uuids = sorted(oracle.products())
        for uuid, code in zip(uuids, ("a/b/c/d/gone.jpg", "../../escape.jpg"), strict=False):
            value = [{"locale": None, "scope": None, "data": code}]
            oracle.http.patch(
                f"/api/rest/v1/products-uuid/{uuid}", json={"values": {"image": value}}
            ).raise_for_status()
        media = tmp_path / "media"
        report = run_export(server.url, str(tmp_path / "m.db"), media_dir=media)
    assert report.counts["products"] == 20
    assert report.media_skipped == 2
    assert report.media_files == sum(1 for p in media.rglob("*") if p.is_file())
    assert not (tmp_path / "escape.jpg").exists()
    assert not list(media.rglob("*.part"))
