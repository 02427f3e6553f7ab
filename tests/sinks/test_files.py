"""File sinks against real files, read back with the csv module, pandas, pyarrow and DuckDB."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from akeneo_sync.errors import ConfigError, LockedError
from akeneo_sync.resources import ATTRIBUTE_OPTIONS, CATEGORIES, FAMILIES, PRODUCTS, Resource
from akeneo_sync.sinks._xlsx import read_book
from akeneo_sync.sinks.base import Sink, SinkContext
from akeneo_sync.sinks.files import DirectorySink
from akeneo_sync.sinks.onefile import JsonSink, WorkbookSink
from akeneo_sync.transform import flatten_product, shape_rows

ATTRS: dict[str, dict[str, Any]] = {
    "sku": {"code": "sku", "type": "pim_catalog_identifier"},
    "name": {"code": "name", "type": "pim_catalog_text"},
    "select": {"code": "select", "type": "pim_catalog_text"},  # an SQL keyword as a code
    "weight": {"code": "weight", "type": "pim_catalog_metric"},
    "age": {"code": "age", "type": "pim_catalog_number"},
    "speed": {"code": "speed", "type": "pim_catalog_number"},
    "smart": {"code": "smart", "type": "pim_catalog_boolean"},
    "materials": {"code": "materials", "type": "pim_catalog_multiselect"},
}
CONTEXT = SinkContext(resources=(PRODUCTS, FAMILIES))
TRICKY = 'Ünïcødé "quoted", comma\nnew line; 日本語 🚀'
LONG = "x" * 50_000


def val(data: Any, locale: str | None = None) -> list[dict[str, Any]]:
    return [{"locale": locale, "scope": None, "data": data}]


def product(n: int, **values: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "identifier": f"SKU-{n}",
        "enabled": n % 2 == 0,
        "family": "shirts",
        "categories": ["men"],
        "groups": [],
        "parent": None,
        "root_parent": None,
        "family_variant": None,
        "values": {
            "sku": val(f"SKU-{n}"),
            "name": val(f"Product {n}", "en_US"),
            "age": val(n),
            "speed": val(f"{n}.50"),
            "smart": val(n % 3 == 0),
            "weight": val({"amount": "1.5000", "unit": "KILOGRAM"}),
            "materials": val(["cotton", "silk"]),
        },
        "created": "2024-01-01T00:00:00+00:00",
        "updated": "2024-01-02T00:00:00+00:00",
        "associations": {},
        "quantified_associations": {},
    }
    for code, data in values.items():
        doc["values"][code] = val(data)
    return doc


PRODUCTS_IN = [product(1, select=TRICKY), product(2, select=LONG), product(3)]
FAMILY = {"code": "shirts", "labels": {}, "attributes": [], "attribute_as_label": "name"}


def write(sink: Sink, resource: Resource, docs: list[dict[str, Any]]) -> None:
    """As the runner's writer does: shaped as the sink stores them."""
    shaped = shape_rows(sink.shape, resource, docs, ATTRS)
    sink.write(resource, shaped.rows, shaped.values)


def run(sink: Any, docs: list[dict[str, Any]], *, ok: bool = True, state: Any = None) -> None:
    sink.open(CONTEXT)
    try:
        write(sink, PRODUCTS, docs)
        write(sink, FAMILIES, [FAMILY, {**FAMILY, "code": "empty", "labels": []}])
        if ok:
            sink.commit(state)
    finally:
        sink.close(ok)


def flat(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows padded to the union of columns, as the CSV/Parquet files hold them."""
    rows = [flatten_product(d, ATTRS) for d in docs]
    columns = list(dict.fromkeys(c for r in rows for c in r))
    return [{c: r.get(c) for c in columns} for r in rows]


def as_csv_text(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def cell(v: Any) -> Any:
        if v is None or v == "":
            return None
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return [{k: cell(v) for k, v in r.items()} for r in rows]


def test_json_sink_round_trip_and_state(tmp_path: Path) -> None:
    sink = JsonSink(tmp_path / "catalog.json")
    assert sink.shape == "document"
    run(sink, PRODUCTS_IN, state={"products": {"cursor": "2024-01-01"}})
    with open(tmp_path / "catalog.json", encoding="utf-8") as handle:
        products = json.load(handle)  # what a script of one's own does with it
    assert products == PRODUCTS_IN
    assert products[0]["values"]["name"][0]["data"] == "Product 1"
    assert list(sink.read(PRODUCTS)) == products
    assert list(sink.read(FAMILIES)) == []
    assert sink.read_state() == {"products": {"cursor": "2024-01-01"}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json", "catalog.state.json"]
    # One document a line: it streams in, and a diff shows the products that changed.
    lines = (tmp_path / "catalog.json").read_bytes().splitlines()
    assert lines[0] == b"[" and lines[-1] == b"]" and len(lines) == len(PRODUCTS_IN) + 2


def test_json_flat_keeps_flat_rows(tmp_path: Path) -> None:
    sink = JsonSink(tmp_path / "catalog.json", flat=True)
    assert sink.shape == "flat"
    run(sink, PRODUCTS_IN, state={"run": 1})
    rows = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    assert rows == [flatten_product(d, ATTRS) for d in PRODUCTS_IN]
    assert list(sink.read(PRODUCTS)) == rows
    assert sink.read_state() == {"run": 1}


@pytest.mark.parametrize("flat_before", [True, False])
def test_json_in_the_other_layout_is_replaced_by_a_full_run(
    tmp_path: Path, flat_before: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A file of flat rows (the layout before documents) is never upserted into with documents,
    nor the reverse: its state is not taken up (so the runner exports everything) and the new
    file holds this run's rows only, in this sink's layout."""
    path = tmp_path / "catalog.json"
    run(JsonSink(path, flat=flat_before), PRODUCTS_IN, state={"run": 1})
    sink = JsonSink(path, flat=not flat_before)
    assert sink.read_state() == {"run": 1}  # ``akeneo-sync state``: what the file holds
    sink.open(CONTEXT)
    assert sink.read_state() is None  # a run: nothing to take up
    assert "exports every product again" in caplog.text
    write(sink, PRODUCTS, [product(5)])
    sink.commit({"run": 2})
    sink.close(True)
    rows = json.loads(path.read_text(encoding="utf-8"))
    assert rows == ([product(5)] if flat_before else [flatten_product(product(5), ATTRS)])
    assert sink.read_state() == {"run": 2}
    again = JsonSink(path, flat=not flat_before)  # now in its layout: a sync upserts into it
    assert again.read_state() == {"run": 2}
    run(again, [product(6)])
    assert [r["uuid"] for r in again.read(PRODUCTS)] == [product(n)["uuid"] for n in (5, 6)]


def test_jsonl_keeps_documents_as_given(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, "jsonl")
    run(sink, PRODUCTS_IN, state={"v": 1})
    assert list(sink.read(PRODUCTS)) == PRODUCTS_IN
    families = list(sink.read(FAMILIES))
    assert families[1]["labels"] == [] and families[0]["labels"] == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".akeneo-sync-state.json",
        "families.jsonl",
        "products.jsonl",
    ]
    assert sink.read_state() == {"v": 1}


def test_csv_opens_in_pandas_duckdb_and_csv_module(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, "csv")
    run(sink, PRODUCTS_IN)
    path = tmp_path / "products.csv"
    expected = flat(PRODUCTS_IN)
    columns = list(expected[0])
    assert columns[:3] == ["uuid", "sku", "family"]

    with open(path, encoding="utf-8-sig", newline="") as handle:
        assert list(csv.DictReader(handle)) == [
            {k: "" if v is None else v for k, v in r.items()} for r in as_csv_text(expected)
        ]
    assert list(sink.read(PRODUCTS)) == as_csv_text(expected)

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == columns
    assert frame.loc[0, "select"] == TRICKY and frame.loc[1, "select"] == LONG

    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_csv('{path}', all_varchar=true)")
    assert rel.columns == columns
    got = rel.fetchall()
    assert got[0][columns.index("select")] == TRICKY
    assert got[1][columns.index("select")] == LONG
    assert con.sql(f"SELECT count(*) FROM '{path}'").fetchall() == [(3,)]

    families = pd.read_csv(tmp_path / "families.csv", dtype=str, keep_default_na=False)
    assert list(families.columns) == ["code", "attribute_as_label", "attributes", "labels"]
    assert list(families["labels"]) == ["{}", "[]"]


def test_parquet_types_and_round_trip(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, "parquet")
    run(sink, PRODUCTS_IN)
    table = pq.read_table(tmp_path / "products.parquet")
    expected = flat(PRODUCTS_IN)
    assert table.column_names == list(expected[0])
    types = {f.name: str(f.type) for f in table.schema}
    assert types["enabled"] == "bool" and types["smart"] == "bool"
    assert types["age"] == "int64"
    assert types["speed"] == "string" and types["weight"] == "string"
    assert list(sink.read(PRODUCTS)) == table.to_pylist() == expected
    frame = duckdb.sql(f"SELECT sku, \"select\" FROM '{tmp_path / 'products.parquet'}'").fetchall()
    assert frame[0] == ("SKU-1", TRICKY)
    assert pd.read_parquet(tmp_path / "families.parquet")["labels"].tolist() == ["{}", "[]"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "xlsx"])
def test_duplicate_writes_are_stored_once_last_wins(tmp_path: Path, fmt: str) -> None:
    sink = DirectorySink(tmp_path, fmt)
    sink.open(CONTEXT)
    write(sink, PRODUCTS, PRODUCTS_IN)
    write(sink, PRODUCTS, [product(2, select="second version")])  # a retried page
    sink.close(True)
    rows = list(sink.read(PRODUCTS))
    assert [r["uuid"] for r in rows] == [d["uuid"] for d in PRODUCTS_IN]
    second = rows[1]["values"]["select"][0]["data"] if fmt == "jsonl" else rows[1]["select"]
    assert second == "second version"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "xlsx"])
def test_sync_upserts_into_previous_output(tmp_path: Path, fmt: str) -> None:
    run(DirectorySink(tmp_path, fmt), PRODUCTS_IN[:2])
    sink = DirectorySink(tmp_path, fmt)
    run(sink, [product(2, select="changed"), product(4)])
    uuids = [r["uuid"] for r in sink.read(PRODUCTS)]
    assert uuids == [d["uuid"] for d in (*PRODUCTS_IN[:2], product(4))]


def test_failed_run_leaves_no_output(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path / "out", "csv")
    run(sink, PRODUCTS_IN, ok=False)
    assert list((tmp_path / "out").iterdir()) == []
    assert sink.read_state() is None


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "xlsx"])
def test_failed_run_keeps_previous_complete_output(tmp_path: Path, fmt: str) -> None:
    run(DirectorySink(tmp_path, fmt), PRODUCTS_IN, state={"run": 1})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    sink = DirectorySink(tmp_path, fmt)
    run(sink, [product(9)], ok=False)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert sink.read_state() == {"run": 1}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "json", "xlsx", "workbook"])
def test_a_failed_run_resumes_from_its_checkpoint(tmp_path: Path, fmt: str) -> None:
    """What a checkpoint covered survives a failed run (the outputs untouched), what followed
    it does not; the next run starts from it, and finalising removes the work directory."""
    previous = [product(8, select="previous run")]
    one_file = {"json": lambda: JsonSink(tmp_path / "c.json"), "workbook": _workbook(tmp_path)}
    make: Any = one_file.get(fmt, lambda: DirectorySink(tmp_path, fmt))
    run(make(), previous, state={"run": 1})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    killed = make()
    killed.open(CONTEXT)
    write(killed, PRODUCTS, PRODUCTS_IN[:2])
    killed.checkpoint({"run": 2, "resume": {"kind": "full"}})
    write(killed, PRODUCTS, [product(5)])  # after the checkpoint: lost
    killed.close(False)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert make().read_state() == {"run": 2, "resume": {"kind": "full"}}  # ``akeneo-sync state``

    resumed = make()
    resumed.open(CONTEXT)
    assert resumed.read_state() == {"run": 2, "resume": {"kind": "full"}}
    write(resumed, PRODUCTS, [product(3, speed="7.25")])
    resumed.commit({"run": 2})
    resumed.close(True)
    assert resumed.read_state() == {"run": 2}
    assert not any(p.name.endswith("akeneo-sync-work") for p in tmp_path.iterdir())
    rows = list(resumed.read(PRODUCTS))
    assert [r["uuid"] for r in rows] == [
        d["uuid"] for d in (*previous, *PRODUCTS_IN[:2], product(3))
    ]
    if fmt in ("csv", "parquet", "xlsx", "workbook"):  # columns seen before the checkpoint
        assert rows[1]["select"] == TRICKY


def _workbook(tmp_path: Path) -> Any:
    return lambda: WorkbookSink(tmp_path / "c.xlsx")


def test_a_checkpoint_of_another_format_is_not_resumed(tmp_path: Path) -> None:
    killed = DirectorySink(tmp_path, "jsonl")
    killed.open(CONTEXT)
    write(killed, PRODUCTS, PRODUCTS_IN)
    killed.checkpoint({"resume": {"kind": "full"}})
    killed.close(False)
    csv_run = DirectorySink(tmp_path, "csv")
    csv_run.open(CONTEXT)
    assert csv_run.read_state() is None  # a fresh start: JSONL documents are no CSV rows
    write(csv_run, PRODUCTS, [product(4)])
    csv_run.close(True)
    assert [r["uuid"] for r in csv_run.read(PRODUCTS)] == [product(4)["uuid"]]


def test_failed_json_run_keeps_previous_file(tmp_path: Path) -> None:
    run(JsonSink(tmp_path / "c.json"), PRODUCTS_IN)
    before = (tmp_path / "c.json").read_bytes()
    run(JsonSink(tmp_path / "c.json"), [product(7)], ok=False)
    assert (tmp_path / "c.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_deletions(tmp_path: Path, fmt: str) -> None:
    run(DirectorySink(tmp_path, fmt), PRODUCTS_IN)
    sink = DirectorySink(tmp_path, fmt)
    sink.open(CONTEXT)
    sink.delete(PRODUCTS, [(PRODUCTS_IN[0]["uuid"],)], soft=False)
    sink.delete(PRODUCTS, [(PRODUCTS_IN[1]["uuid"],)], soft=True)
    sink.commit({"after": "delete"})
    sink.close(True)
    rows = list(sink.read(PRODUCTS))
    assert [r["uuid"] for r in rows] == [PRODUCTS_IN[1]["uuid"], PRODUCTS_IN[2]["uuid"]]
    assert rows[0]["deleted_at"] and rows[1].get("deleted_at") is None
    log = [json.loads(line) for line in (tmp_path / "deletions.jsonl").read_text().splitlines()]
    assert [(e["resource"], e["key"], e["soft"]) for e in log] == [
        ("products", [PRODUCTS_IN[0]["uuid"]], False),
        ("products", [PRODUCTS_IN[1]["uuid"]], True),
    ]


OPTION = {"code": "red", "attribute": "color", "sort_order": 1, "labels": {"en_US": "Red"}}
CATEGORY = {
    "code": "men",
    "parent": "master",
    "path": ["master", "men"],
    "labels": {},
    "label_path": "[master] > Men",  # looks like JSON text for a moment, is none
    "channel_requirements": [],
}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_other_resources_are_stored_flat_and_read_back_as_documents(
    tmp_path: Path, fmt: str
) -> None:
    sink = DirectorySink(tmp_path, fmt)
    assert sink.shape == "flat"
    sink.open(SinkContext(resources=(ATTRIBUTE_OPTIONS, CATEGORIES)))
    write(sink, ATTRIBUTE_OPTIONS, [OPTION])
    write(sink, CATEGORIES, [CATEGORY])
    sink.close(True)
    # On disk: top-level scalars as they are, anything nested as compact JSON text ...
    if fmt == "csv":
        text = (tmp_path / "attribute_options.csv").read_bytes().decode("utf-8-sig")
        assert text == 'attribute,code,sort_order,labels\r\ncolor,red,1,"{""en_US"":""Red""}"\r\n'
        stored = next(csv.DictReader((tmp_path / "categories.csv").open(encoding="utf-8-sig")))
    elif fmt == "xlsx":
        stored = next(read_book(tmp_path / "categories.xlsx"))
    else:
        stored = pq.read_table(tmp_path / "categories.parquet").to_pylist()[0]
    assert stored["path"] == '["master","men"]' and stored["labels"] == "{}"
    assert stored["channel_requirements"] == "[]"
    # ... and read back as the documents (the typed columns typed again, even from CSV text).
    assert list(sink.read(ATTRIBUTE_OPTIONS)) == [OPTION]
    assert list(sink.read(CATEGORIES)) == [CATEGORY]
    assert list(sink.get(CATEGORIES, [("men",)])) == [CATEGORY]


def test_csv_gives_text_back_where_it_cannot_tell_the_type(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, "csv")
    sink.open(SinkContext(resources=(FAMILIES,)))
    write(sink, FAMILIES, [{**FAMILY, "unique": True, "max": 3, "empty": ""}])
    sink.close(True)
    (family,) = sink.read(FAMILIES)
    assert family["attributes"] == [] and family["labels"] == {}
    assert (family["unique"], family["max"], family["empty"]) == ("true", "3", None)


def test_lock_and_bad_format(tmp_path: Path) -> None:
    first = DirectorySink(tmp_path, "jsonl")
    first.open(CONTEXT)
    with pytest.raises(LockedError):
        DirectorySink(tmp_path, "jsonl").open(CONTEXT)
    first.close(False)
    second = DirectorySink(tmp_path, "jsonl")
    second.open(CONTEXT)
    second.close(False)
    with pytest.raises(ConfigError):
        DirectorySink(tmp_path, "xml")


def test_many_products_stream_in_batches(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path, "parquet")
    sink.open(CONTEXT)
    for start in range(0, 12_000, 1000):
        write(sink, PRODUCTS, [product(n) for n in range(start, start + 1000)])
    sink.close(True)
    meta = pq.ParquetFile(tmp_path / "products.parquet").metadata
    assert meta.num_rows == 12_000 and meta.num_row_groups > 1


def test_parquet_without_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from akeneo_sync.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # what an absent package looks like
    with pytest.raises(MissingDependencyError, match=r"akeneo-sync\[parquet\]"):
        DirectorySink(tmp_path, "parquet")


def test_json_sink_reads_and_extends_a_pretty_printed_array(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(PRODUCTS_IN, indent=2, ensure_ascii=False), encoding="utf-8")
    rows = PRODUCTS_IN
    sink = JsonSink(path)
    assert list(sink.read(PRODUCTS)) == rows
    run(sink, [product(5)])
    assert [r["uuid"] for r in sink.read(PRODUCTS)] == [
        *(d["uuid"] for d in PRODUCTS_IN),
        product(5)["uuid"],
    ]
