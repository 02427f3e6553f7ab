"""XLSX workbooks: one sheet per resource, typed cells, written in constant memory.

openpyxl's write-only mode streams each sheet's rows to a temp file as they come, so a workbook
of a million products costs no more memory than one of ten; the same library reads workbooks
back (read-only mode, streamed too), so a sync can upsert into the previous output.

A sheet is what people open and look at: a bold header row, frozen, with an autofilter, and
typed cells. Numbers and booleans are numbers and booleans; a column whose every text value is
a decimal (Akeneo sends prices, metrics and decimal numbers as text: ``"1.5000"``) holds numbers
shown with as many decimals (format ``0.0000``), and a column of ISO dates holds dates shown as
Akeneo wrote them, offset included (format ``yyyy-mm-dd"T"hh:mm:ss"+01:00"``). Reading a cell
back rebuilds the exact text from its value and format, so nothing changes on a round trip.

Excel's limits, handled rather than left to a "repair" dialog: 1,048,576 rows a sheet (a longer
resource continues on ``products (2)``, said in the log), 16,384 columns (refused, with what to
do), 32,767 characters a cell (longer text is cut there, with a warning: the other formats keep
it whole), and no control characters (written as OOXML's ``_x000B_``, which Excel decodes).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from akeneo_sync.errors import MissingDependencyError, SinkError
from akeneo_sync.sinks._cells import decimal_places, parse_date
from akeneo_sync.sinks.base import Doc

log = logging.getLogger("akeneo_sync")

ROWS_PER_SHEET = 1_048_576
"""Excel's rows a sheet, the header included."""
MAX_COLUMNS = 16_384
MAX_CELL = 32_767
"""Characters (UTF-16 code units) Excel keeps in a cell."""
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = 'yyyy-mm-dd"T"hh:mm:ss'
_FIXED = re.compile(r"0\.(0+)")
_PART = re.compile(r"(.*) \(([0-9]+)\)")
# XML 1.0 has no way to write these; OOXML escapes them (and a ``_`` that starts a lookalike).
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise MissingDependencyError("openpyxl", "xlsx") from None
    return openpyxl


def sheet_title(name: str, part: int) -> str:
    return name if part == 1 else f"{name} ({part})"


def resource_of(title: str) -> str:
    """The resource a sheet holds: ``products (2)`` -> ``products``."""
    found = _PART.fullmatch(title)
    return found.group(1) if found else title


# -- writing ----------------------------------------------------------------------------------


def _column_kind(kinds: set[str]) -> str | None:
    """``date`` / ``number`` for a column whose text is all dates / decimals, else None."""
    if kinds and kinds <= {"date"}:
        return "date"
    if "decimal" in kinds and kinds <= {"int", "float", "decimal"}:
        return "number"
    return None


def _date_format(suffix: str) -> str:
    if suffix == "date":
        return DATE_FORMAT
    return DATETIME_FORMAT + (f'"{suffix}"' if suffix else "")


class _SheetWriter:
    """The sheets of one resource: a new one every ``ROWS_PER_SHEET`` rows."""

    def __init__(self, book: Any, name: str, header: list[str], kinds: list[str | None]) -> None:
        self.opx = openpyxl()
        self.book = book
        self.name = name
        self.header = header
        self.kinds = kinds
        self.part = 0
        self.rows = ROWS_PER_SHEET  # full: the first row opens a sheet
        self.sheet: Any = None
        self.cut: Counter[str] = Counter()

    def _open(self) -> None:
        self._close()
        self.part += 1
        sheet = self.book.create_sheet(sheet_title(self.name, self.part))
        # Write-only sheets take views and column widths before the first row.
        sheet.freeze_panes = "A2"
        letter = self.opx.utils.get_column_letter
        for i, column in enumerate(self.header, 1):
            sheet.column_dimensions[letter(i)].width = min(max(len(column) + 2, 10), 50)
        bold = self.opx.styles.Font(bold=True)
        cells = []
        for column in self.header:
            cell = self.opx.cell.WriteOnlyCell(sheet, self._text(column))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        self.sheet, self.rows = sheet, 1

    def _close(self) -> None:
        if self.sheet is not None and self.header:
            last = self.opx.utils.get_column_letter(len(self.header))
            self.sheet.auto_filter.ref = f"A1:{last}{self.rows}"

    def append(self, row: Doc) -> None:
        if self.rows >= ROWS_PER_SHEET:
            self._open()
            if self.part > 1:
                log.warning(
                    "%s: more than %d rows, Excel's limit a sheet; continued on sheet %r",
                    self.name,
                    ROWS_PER_SHEET - 1,
                    self.sheet.title,
                )
        self.sheet.append(
            [self._cell(row.get(c), c, k) for c, k in zip(self.header, self.kinds, strict=True)]
        )
        self.rows += 1

    def finish(self) -> None:
        if self.sheet is None:
            self._open()  # an empty resource still shows its columns
        self._close()
        if self.cut:
            log.warning(
                "%s: %d cells longer than Excel's %d characters were cut there (columns %s); "
                "the CSV, JSONL and database outputs keep them whole",
                self.name,
                sum(self.cut.values()),
                MAX_CELL,
                ", ".join(sorted(self.cut)),
            )

    def _cell(self, value: Any, column: str, kind: str | None) -> Any:
        if value is None or isinstance(value, bool | float):
            return value
        if isinstance(value, int):  # a double holds 15 digits exactly; longer ones as text
            return value if abs(value) < 10**15 else str(value)
        if not isinstance(value, str):
            value = str(value)
        if kind == "number" and (places := decimal_places(value)) is not None:
            return self._styled(float(value), f"0.{'0' * places}")
        if kind == "date" and (parsed := parse_date(value)) is not None:
            return self._styled(parsed[0], _date_format(parsed[1]))
        return self._text(value, column)

    def _styled(self, value: Any, number_format: str) -> Any:
        cell = self.opx.cell.WriteOnlyCell(self.sheet, value)
        cell.number_format = number_format
        return cell

    def _text(self, text: str, column: str = "") -> Any:
        if len(text) > MAX_CELL // 2 and len(text.encode("utf-16-le")) > 2 * MAX_CELL:
            text = text.encode("utf-16-le")[: 2 * MAX_CELL].decode("utf-16-le", "ignore")
            self.cut[column] += 1
        text = _UNWRITABLE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
        if text[:1] != "=":
            return text
        # Text, never a formula, even unguarded (--raw-cells): openpyxl would make it one.
        cell = self.opx.cell.WriteOnlyCell(self.sheet, text)
        cell.data_type = "s"
        return cell


def write_book(target: Path, sheets: Iterable[Any]) -> None:
    """A workbook at ``target`` with the sheets of each ``StoredRows`` (``formats.py``), in
    order: its resource's name, its header, its rows."""
    book = openpyxl().Workbook(write_only=True)
    for rows in sheets:
        header = rows.header()
        if len(header) > MAX_COLUMNS:
            raise SinkError(
                f"{rows.resource.name} has {len(header)} columns, more than Excel's "
                f"{MAX_COLUMNS}: narrow it (--locales, --channel) or export to CSV or Parquet"
            )
        kinds = [_column_kind(rows.columns.get(c, set())) for c in header]
        writer = _SheetWriter(book, rows.resource.name, header, kinds)
        for row in rows:
            writer.append(row)
        writer.finish()
    book.save(str(target))


# -- reading ----------------------------------------------------------------------------------


def _value(cell: Any) -> Any:
    """A cell as the text or number it was written from (see the module's docstring)."""
    value = cell.value
    if value is None or isinstance(value, bool):
        return value
    number_format = getattr(cell, "number_format", None) or "General"
    if isinstance(value, datetime):
        if number_format == DATE_FORMAT:
            return value.date().isoformat()
        if value.microsecond:  # a day fraction read back a hair off the second
            value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        if number_format.startswith(DATETIME_FORMAT):
            suffix = number_format[len(DATETIME_FORMAT) :].strip('"')
            return value.strftime("%Y-%m-%dT%H:%M:%S") + suffix
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | float):
        fixed = _FIXED.fullmatch(number_format)
        if fixed is not None:
            return f"{value:.{len(fixed.group(1))}f}"
        return value
    if isinstance(value, str) and "_x" in value:
        return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def read_book(path: Path, name: str | None = None) -> Iterator[Doc]:
    """The rows of every sheet of ``path`` (of resource ``name``'s sheets only, if given), as
    dicts by header; the first row of a sheet is its header."""
    book = openpyxl().load_workbook(str(path), read_only=True, data_only=True)
    try:
        for title in book.sheetnames:
            if name is not None and resource_of(title) != name:
                continue
            rows = book[title].iter_rows()
            header = [_value(c) for c in next(rows, ())]
            for cells in rows:
                row: Doc = dict.fromkeys((h for h in header if h is not None), None)
                for column, cell in zip(header, cells, strict=False):
                    if column is not None:
                        row[column] = _value(cell)
                yield row
    finally:
        book.close()


def sheet_resources(path: Path) -> list[str]:
    """The resources a workbook has sheets of, in sheet order."""
    book = openpyxl().load_workbook(str(path), read_only=True)
    try:
        return list(dict.fromkeys(resource_of(t) for t in book.sheetnames))
    finally:
        book.close()
