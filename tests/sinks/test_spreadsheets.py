"""CSV and XLSX as people open them: workbooks read back with openpyxl and pandas, typed cells,
frozen filterable headers, Excel's limits, and text a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from test_files import ATTRS, CATEGORY, FAMILY, OPTION, product, run, write

from akeneo_sync.errors import MissingDependencyError, SinkError
from akeneo_sync.resources import ATTRIBUTE_OPTIONS, CATEGORIES, FAMILIES, PRODUCTS
from akeneo_sync.sinks import _xlsx, open_sink
from akeneo_sync.sinks._cells import guard, kind, unguard
from akeneo_sync.sinks.base import SinkContext
from akeneo_sync.sinks.files import DirectorySink
from akeneo_sync.sinks.onefile import WorkbookSink
from akeneo_sync.transform import flatten_product

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-1+2", "@SUM(A1)", "\tx", "\r=1", "'=x"]
PLAIN = ["-2", "+3.5", "-1e5", "'quoted", "a=b", "", "Ünïcødé 😀"]


def test_guard_neutralises_formulas_and_nothing_else() -> None:
    for text in FORMULAS:
        assert guard(text) == "'" + text
        assert unguard(guard(text)) == text
    for text in PLAIN:
        assert guard(text) == text
        assert unguard(guard(text)) == text
    assert guard(-2) == -2 and guard(None) is None


def test_kinds_of_text() -> None:
    assert [kind(v) for v in (True, 3, 2.5, "19.99", "1.5000", "-0.5")] == [
        "bool",
        "int",
        "float",
        "decimal",
        "decimal",
        "decimal",
    ]
    dates = ("2024-01-15", "2024-03-02T10:30:00+01:00", "2024-03-02T10:30:00Z")
    assert {kind(v) for v in dates} == {"date"}
    # Codes and identifiers made of digits, leading zeros, too many digits, -0: text.
    for text in ("12345", "007.5", "0123", "1234567890.1234567", "-0.0", "2024-13-01", "x"):
        assert kind(text) == "str", text


def products() -> list[dict[str, Any]]:
    docs = [product(n) for n in range(1, 7)]
    docs[0]["values"]["name"] = [{"locale": "en_US", "scope": None, "data": FORMULAS[0]}]
    docs[1]["values"]["select"] = [{"locale": None, "scope": None, "data": "-1+2"}]
    docs[2]["values"]["select"] = [{"locale": None, "scope": None, "data": "-2"}]
    docs[3]["values"]["select"] = [{"locale": None, "scope": None, "data": "bell\x07 _x0041_"}]
    docs[4]["updated"] = "2024-03-02T10:30:00+01:00"
    return docs


def test_xlsx_matches_csv_cell_for_cell(tmp_path: Path) -> None:
    docs = products()
    run(DirectorySink(tmp_path / "csv", "csv"), docs)
    run(DirectorySink(tmp_path / "xlsx", "xlsx"), docs)
    with open(tmp_path / "csv" / "products.csv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    book = openpyxl.load_workbook(tmp_path / "xlsx" / "products.xlsx")
    assert book.sheetnames == ["products"]
    sheet = book["products"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [len(r) for r in cells] == [len(r) for r in table]
    for want, got in zip(table, cells, strict=True):
        for text, value in zip(want, got, strict=True):
            assert same_cell(text, value), (text, value)

    # What people look at: a bold, frozen, filterable header, and typed cells.
    header = table[0]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}7"
    first = dict(zip(header, sheet[2], strict=True))
    assert first["enabled"].value is False and first["age"].value == 1
    assert first["speed"].value == 1.5 and first["speed"].number_format == "0.00"
    assert first["weight"].value == 1.5 and first["weight"].number_format == "0.0000"
    assert first["created"].value == datetime(2024, 1, 1)
    assert first["created"].number_format == 'yyyy-mm-dd"T"hh:mm:ss"+00:00"'
    assert first["name-en_US"].value == "'" + FORMULAS[0]  # neutralised, and not a formula
    assert first["name-en_US"].data_type == "s"
    fifth = dict(zip(header, sheet[6], strict=True))
    assert fifth["updated"].value == datetime(2024, 3, 2, 10, 30)
    assert fifth["updated"].number_format.endswith('"+01:00"')

    # pandas reads the same frame from both (text cells compared as text).
    frame = pd.read_excel(tmp_path / "xlsx" / "products.xlsx", dtype=str)
    assert list(frame.columns) == header
    assert list(frame["uuid"]) == [d["uuid"] for d in docs]


def same_cell(text: str, value: Any) -> bool:
    """A CSV cell (text) and the XLSX cell of the same row and column say the same thing."""
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, datetime):
        return text.startswith(value.strftime("%Y-%m-%dT%H:%M:%S"))
    if isinstance(value, int | float):
        return float(text) == value
    return _xlsx._ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value) == text


def test_round_trip_is_exact(tmp_path: Path) -> None:
    docs = products()
    sink = DirectorySink(tmp_path, "xlsx")
    run(sink, docs)
    # Types and text as written (an empty text is an empty cell, as in CSV).
    assert list(sink.read(PRODUCTS)) == _flat(docs)
    assert list(sink.read(FAMILIES)) == [FAMILY, {**FAMILY, "code": "empty", "labels": []}]


def _flat(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows padded to the union of columns, empty text as None."""
    rows = [flatten_product(d, ATTRS) for d in docs]
    columns = list(dict.fromkeys(c for r in rows for c in r))
    return [{c: None if r.get(c) == "" else r.get(c) for c in columns} for r in rows]


def test_csv_guard_and_raw_cells(tmp_path: Path) -> None:
    docs = products()
    guarded = DirectorySink(tmp_path / "guarded", "csv")
    run(guarded, docs)
    raw = DirectorySink(tmp_path / "raw", "csv", raw_cells=True)
    run(raw, docs)
    frame = pd.read_csv(tmp_path / "guarded" / "products.csv", dtype=str, keep_default_na=False)
    assert list(frame["name-en_US"])[:2] == ["'" + FORMULAS[0], "Product 2"]
    assert list(frame["select"])[1:3] == ["'-1+2", "-2"]  # a plain number is no formula
    raw_frame = pd.read_csv(tmp_path / "raw" / "products.csv", dtype=str, keep_default_na=False)
    assert raw_frame.loc[0, "name-en_US"] == FORMULAS[0]
    # Both read back as written, so a sync upserts into exactly what it wrote.
    assert next(iter(guarded.read(PRODUCTS)))["name-en_US"] == FORMULAS[0]
    assert next(iter(raw.read(PRODUCTS)))["name-en_US"] == FORMULAS[0]


def test_raw_xlsx_text_is_never_a_formula(tmp_path: Path) -> None:
    run(DirectorySink(tmp_path, "xlsx", raw_cells=True), products())
    sheet = openpyxl.load_workbook(tmp_path / "products.xlsx")["products"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("name-en_US") + 1)
    assert (cell.value, cell.data_type) == (FORMULAS[0], "s")


def test_a_long_resource_continues_on_another_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_xlsx, "ROWS_PER_SHEET", 5)  # a header and 4 rows a sheet
    docs = [product(n) for n in range(10)]
    sink = DirectorySink(tmp_path, "xlsx")
    with caplog.at_level(logging.WARNING):
        run(sink, docs)
    book = openpyxl.load_workbook(tmp_path / "products.xlsx", read_only=True)
    assert book.sheetnames == ["products", "products (2)", "products (3)"]
    assert [len(list(book[t].iter_rows())) for t in book.sheetnames] == [5, 5, 3]
    assert "continued on sheet 'products (2)'" in caplog.text
    assert [r["uuid"] for r in sink.read(PRODUCTS)] == [d["uuid"] for d in docs]


def test_excel_cell_and_column_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    long = "é" * 40_000
    sink = DirectorySink(tmp_path, "xlsx")
    with caplog.at_level(logging.WARNING):
        run(sink, [product(1, select=long)])
    (row,) = sink.read(PRODUCTS)
    assert row["select"] == long[:32_767]
    assert "1 cells longer than Excel's 32767 characters were cut there (columns select)" in (
        caplog.text
    )
    monkeypatch.setattr(_xlsx, "MAX_COLUMNS", 5)
    with pytest.raises(SinkError, match=r"more than Excel's 5: narrow it \(--locales"):
        run(DirectorySink(tmp_path / "wide", "xlsx"), [product(1)])


def test_workbook_one_sheet_per_resource_products_first(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    sink = WorkbookSink(path)
    sink.open(SinkContext(resources=(ATTRIBUTE_OPTIONS, CATEGORIES, FAMILIES, PRODUCTS)))
    write(sink, ATTRIBUTE_OPTIONS, [OPTION])
    write(sink, CATEGORIES, [CATEGORY])
    write(sink, PRODUCTS, products())
    sink.commit({"run": 1})
    sink.close(True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.xlsx", "catalog.xlsx.state.json"]
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["products", "attribute_options", "categories"]
    # Other resources: documents with nested fields as JSON text, read back as documents.
    assert list(sink.read(ATTRIBUTE_OPTIONS)) == [OPTION]
    assert list(sink.read(CATEGORIES)) == [CATEGORY]

    # A later run that touches products only keeps the other sheets as they were.
    again = WorkbookSink(path)
    assert again.read_state() == {"run": 1}
    run(again, [product(7)], state={"run": 2})
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["products", "attribute_options", "families", "categories"]
    assert list(again.read(CATEGORIES)) == [CATEGORY]
    assert len(list(again.read(PRODUCTS))) == len(products()) + 1
    assert again.read_state() == {"run": 2}


def test_a_workbook_and_a_json_file_side_by_side_keep_their_own_state(tmp_path: Path) -> None:
    run(WorkbookSink(tmp_path / "catalog.xlsx"), products(), state={"run": "xlsx"})
    run(open_sink(str(tmp_path / "catalog.json")), products(), state={"run": "json"})
    assert WorkbookSink(tmp_path / "catalog.xlsx").read_state() == {"run": "xlsx"}
    assert open_sink(str(tmp_path / "catalog.json")).read_state() == {"run": "json"}


def test_workbook_failed_run_keeps_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    run(WorkbookSink(path), products(), state={"run": 1})
    before = path.read_bytes()
    run(WorkbookSink(path), [product(9)], ok=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.xlsx", "catalog.xlsx.state.json"]


def test_xlsx_without_openpyxl_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # what an absent package looks like
    for dest, options in ((str(tmp_path / "c.xlsx"), {}), (str(tmp_path), {"format": "xlsx"})):
        with pytest.raises(MissingDependencyError, match=r"akeneo-sync\[xlsx\]"):
            open_sink(dest, **options)
