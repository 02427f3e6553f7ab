"""What people open and look at, exported from the emulator: ``catalog.json`` as a script of
one's own reads it, and workbooks as openpyxl and LibreOffice read them, cell for cell against
the CSV export."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from akeneo_sync.client import AkeneoClient
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer
from akeneo_sync.run import ExportOptions, Report, sync
from akeneo_sync.sinks import open_sink
from tests.e2e.conftest import PRODUCTS, run_export
from tests.oracle import API, Oracle, without_labels

CONTRACT = ("identifier", "family_variant", "root_parent", "family_label", "category_paths")


def _jsonl(path: Path) -> dict[str, dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return {d["uuid"]: d for d in map(json.loads, handle)}


def test_catalog_json_is_what_a_tutorial_script_writes(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    """A JSON array of product documents, variants with their models' values merged in (here
    by akeneo-sync: the server sends each variant's own values only), equal document for
    document to the JSONL export's products."""
    oracle.set_faults(variant_values="own")
    try:
        run_export(emulator.url, str(tmp_path / "catalog.json"), labels="en_US")
        run_export(emulator.url, str(tmp_path / "out"), labels="en_US")
    finally:
        oracle.set_faults(variant_values="merged")

    with open(tmp_path / "catalog.json", encoding="utf-8") as handle:
        products = json.load(handle)
    # The consumer pattern of the tutorial: a list of dicts, values[attr][i]["data"].
    assert isinstance(products, list) and len(products) == PRODUCTS
    skus = {p["uuid"]: p["values"]["sku"][0]["data"] for p in products}
    names = [v["data"] for p in products for v in p["values"].get("name", [])]
    assert len(set(skus.values())) == PRODUCTS and names

    assert {p["uuid"]: p for p in products} == _jsonl(tmp_path / "out" / "products.jsonl")
    expected = oracle.products()  # the server's own merge of every variant's chain
    for product in products:
        assert without_labels(product["values"]) == expected[product["uuid"]]["values"]
        assert sorted(product["categories"]) == sorted(expected[product["uuid"]]["categories"])
        assert all(field in product for field in CONTRACT)
    assert sum(bool(p["parent"]) for p in products) > PRODUCTS / 3


def _sync(url: str, dest: str) -> Report:
    async def go() -> Report:
        async with AkeneoClient(
            url, client_id="demo", client_secret="demo-secret", username="demo", password="demo"
        ) as client:
            return await sync(client, open_sink(dest), ExportOptions(reconcile_every=1))

    return asyncio.run(go())


def test_catalog_json_keeps_in_sync(tmp_path: Path) -> None:
    """Incremental runs upsert into the array; a product deleted upstream stays, with
    ``deleted_at``; what is live equals a fresh export."""
    target = str(tmp_path / "catalog.json")
    with EmulatorServer(EmulatorConfig(products=120, seed=11, port=0)) as server:
        oracle = Oracle(server.url)
        assert _sync(server.url, target).mode == "full"
        simple = [p for p in oracle.products().values() if not p["parent"]]
        edited, deleted = simple[0]["uuid"], simple[1]["uuid"]
        name = {"name": [{"locale": "en_US", "scope": None, "data": "edited"}]}
        oracle.http.patch(f"{API}/products-uuid/{edited}", json={"values": name})
        oracle.http.delete(f"{API}/products-uuid/{deleted}").raise_for_status()

        second = _sync(server.url, target)
        assert second.mode == "incremental" and second.deleted["products"] == 1
        assert second.counts["products"] < 20
        run_export(server.url, str(tmp_path / "fresh.json"))

    stored = {p["uuid"]: p for p in json.loads(Path(target).read_text(encoding="utf-8"))}
    assert stored[edited]["values"]["name"][0]["data"] == "edited"
    assert stored[deleted]["deleted_at"]
    live = {k: v for k, v in stored.items() if not v.get("deleted_at")}
    fresh = json.loads((tmp_path / "fresh.json").read_text(encoding="utf-8"))
    assert live == {p["uuid"]: p for p in fresh}


def test_a_catalog_json_of_flat_rows_migrates_to_documents(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The first sync without --flat into a file of flat rows (the earlier layout) is a full run
    that replaces them with documents; the next one is incremental again."""
    target = str(tmp_path / "catalog.json")
    run_export(emulator.url, target, flat=True)
    assert "values" not in json.loads(Path(target).read_text(encoding="utf-8"))[0]
    first = _sync(emulator.url, target)
    assert first.mode == "full"
    products = json.loads(Path(target).read_text(encoding="utf-8"))
    assert len(products) == PRODUCTS and all(isinstance(p["values"], dict) for p in products)
    assert _sync(emulator.url, target).mode == "incremental"


def _csv_rows(path: Path) -> list[list[str]]:
    """The header, then the rows by key (two runs write them in the order pages came)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header, *rows = csv.reader(handle)
    return [header, *sorted(rows, key=lambda r: r[:2])]


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _same(text: str, value: Any) -> bool:
    """A CSV cell and the workbook cell of the same row and column say the same thing."""
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, datetime):  # shown as written: the date-time, then its offset
        return text.startswith(value.strftime("%Y-%m-%dT%H:%M:%S"))
    if isinstance(value, int | float):
        return float(text) == value
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value) == text


def _assert_sheet_matches(sheet: Any, table: list[list[str]], where: str) -> int:
    header, *rows = ([c.value for c in row] for row in sheet.iter_rows())
    cells = [header, *sorted(rows, key=lambda r: [str(c) for c in r[:2]])]
    assert len(cells) == len(table), where
    typed = 0
    for n, (want, got) in enumerate(zip(table, cells, strict=True)):
        got = got + [None] * (len(want) - len(got))  # trailing empty cells are not written
        for column, text, value in zip(table[0], want, got, strict=True):
            assert _same(text, value), (where, n, column, text, value)
            typed += not isinstance(value, str | None)
    return typed


def test_xlsx_matches_csv_cell_for_cell(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    for dest, fmt in (("csv", "csv"), ("xlsx", "xlsx"), ("catalog.xlsx", None)):
        run_export(emulator.url, str(tmp_path / dest), format=fmt, labels="en_US")
    csv_files = sorted((tmp_path / "csv").glob("*.csv"))
    assert {p.stem for p in csv_files} >= {"products", "product_models", "attribute_options"}
    book = openpyxl.load_workbook(tmp_path / "catalog.xlsx", read_only=True)
    assert book.sheetnames[:2] == ["products", "product_models"]
    assert sorted(book.sheetnames) == sorted(p.stem for p in csv_files)
    typed = 0
    for path in csv_files:
        table = _csv_rows(path)
        one = openpyxl.load_workbook(tmp_path / "xlsx" / f"{path.stem}.xlsx", read_only=True)
        assert one.sheetnames == [path.stem]
        typed += _assert_sheet_matches(one[path.stem], table, f"xlsx/{path.stem}")
        _assert_sheet_matches(book[path.stem], table, f"catalog.xlsx/{path.stem}")
    assert typed > PRODUCTS * 5  # numbers, booleans and dates, not text that looks like them

    frozen = openpyxl.load_workbook(tmp_path / "xlsx" / "products.xlsx")["products"]
    assert frozen.freeze_panes == "A2" and frozen.auto_filter.ref.endswith(str(PRODUCTS + 1))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_shows_what_the_csv_says(
    emulator: EmulatorServer, oracle: Oracle, tmp_path: Path
) -> None:
    """LibreOffice (headless) opens the workbook and, saving each sheet as CSV with cells as
    shown, writes the CSV export again: formats show decimals and dates exactly as Akeneo sent
    them, and no text became a formula (booleans are TRUE / FALSE there)."""
    run_export(emulator.url, str(tmp_path / "csv"), format="csv", labels="en_US")
    run_export(emulator.url, str(tmp_path / "catalog.xlsx"), labels="en_US")
    # 44,34,76,1: comma, double quote, UTF-8, from line 1; the last -1: every sheet, one file each
    options = "44,34,76,1,,0,false,true,true,false,false,-1"
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(tmp_path / "lo"),
            str(tmp_path / "catalog.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for name in ("products", "product_models", "attribute_options", "categories"):
        ours = _csv_rows(tmp_path / "csv" / f"{name}.csv")
        shown = _csv_rows(tmp_path / "lo" / f"catalog-{name}.csv")
        booleans = {"TRUE": "true", "FALSE": "false"}
        assert [[booleans.get(c, c) for c in row] for row in shown] == ours, name
