"""File formats: the one registry of how a file sink writes and reads its files.

    FORMATS["csv"]   -> FileFormat("csv", ".csv", flat=True, write=..., read=...)
    JSON_ARRAY       -> the ``catalog.json`` file: one JSON array of product documents
    JSON_FLAT        -> the same file with flat product rows (``--flat``)

A format says whether it is *flat* and how its rows are written and read back. A flat format
stores products and product models as Akeneo's flat rows (shaped by the runner) and every other
resource as its documents with anything nested (labels, lists, objects) as compact JSON text,
so ``{}`` and ``[]`` stay distinct; ``decode`` turns such a stored row back into the document,
as far as the format keeps types (CSV keeps none but those of the resource's typed columns).
A format that is not flat (JSONL, the JSON array) stores the documents as they are. A format
people open in a spreadsheet (CSV, XLSX) has its text cells guarded against formulas by the
sink (``_cells.py``).

Adding a format is one section below and one line in ``FORMATS``; ``DirectorySink`` and the
CLI's ``--format`` choices read it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from akeneo_sync.errors import MissingDependencyError
from akeneo_sync.resources import Resource
from akeneo_sync.sinks import _xlsx
from akeneo_sync.sinks.base import Doc

_BATCH = 5000


class StoredRows(Protocol):
    """The rows of one resource as a file sink holds them before writing its file."""

    resource: Resource
    columns: dict[str, set[str]]
    """Column -> the kinds of its values (``_cells.kind``: ``bool``, ``int``, ``float``,
    ``decimal``, ``date``, ``str``)."""

    def header(self) -> list[str]: ...

    def __iter__(self) -> Iterator[Doc]: ...

    def bodies(self) -> Iterator[bytes]:
        """Each row as ``orjson.dumps`` gives it (a JSON file writes these as they are)."""
        ...


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class FileFormat:
    name: str
    """What ``--format`` calls it (and the work index's kind)."""
    extension: str
    """The suffix of its files (``products.csv``)."""
    flat: bool
    """Products and models are stored as flat rows, other documents ``encode``-d."""
    write: Callable[[Path, StoredRows], None]
    """Write every row to the file at the path (a temp file the sink then renames)."""
    read: Callable[[Path], Iterator[Doc]]
    """The rows of a file, as stored."""
    encode: Callable[[Mapping[str, Any]], Doc] | None = None
    """A document as the format stores it (flat formats); None: as it is."""
    decode: Callable[[Resource, Doc], Doc] | None = None
    """A stored row of a document back to the document; None: it is one."""
    ensure: Callable[[], object] = _nothing
    """Raises ``MissingDependencyError`` when the library the format needs is missing."""
    spreadsheet: bool = False
    """Opened in spreadsheets: text a spreadsheet would run as a formula is guarded."""


# -- documents in flat files ---------------------------------------------------------------------


def encode_document(doc: Mapping[str, Any]) -> Doc:
    """Top-level scalars as they are, anything nested as compact JSON text."""
    return {
        k: orjson.dumps(v).decode() if isinstance(v, dict | list) else v for k, v in doc.items()
    }


def _nested(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        if isinstance(decoded, dict | list):
            return decoded
    return value


def decode_document(resource: Resource, row: Doc) -> Doc:
    """``encode_document`` undone: JSON text of an object or a list is that object or list."""
    return {k: _nested(v) for k, v in row.items()}


# -- jsonl: one document per line ----------------------------------------------------------------


def _write_jsonl(target: Path, rows: StoredRows) -> None:
    with open(target, "wb") as out:
        for body in rows.bodies():
            out.write(body)
            out.write(b"\n")


def _read_jsonl(path: Path) -> Iterator[Doc]:
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


# -- json: one array, one row per line -----------------------------------------------------------


def _write_json_array(target: Path, rows: StoredRows) -> None:
    with open(target, "wb") as out:
        out.write(b"[")
        sep = b"\n"
        for body in rows.bodies():
            out.write(sep)
            out.write(body)
            sep = b",\n"
        out.write(b"\n]\n")


def _read_json_array(path: Path) -> Iterator[Doc]:
    """Rows of a JSON array; ours have one row per line, so they stream."""
    done = 0
    with open(path, "rb") as handle:
        if handle.readline().strip() in (b"[", b"[]"):
            try:
                for line in handle:
                    line = line.strip().rstrip(b",")
                    if line not in (b"", b"]"):
                        row = orjson.loads(line)
                        yield row
                        done += 1
                return
            except orjson.JSONDecodeError:
                pass  # someone else's layout: read it whole, past the rows already yielded
    yield from orjson.loads(path.read_bytes())[done:]


# -- csv: RFC 4180, UTF-8 with a BOM -------------------------------------------------------------

_INTEGER = re.compile(r"-?[0-9]+")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_csv(target: Path, rows: StoredRows) -> None:
    header = rows.header()
    # utf-8-sig: the BOM is what makes spreadsheets read UTF-8; pandas and DuckDB skip it.
    with open(target, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in header])


def _read_csv(path: Path) -> Iterator[Doc]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {k: (v if v != "" else None) for k, v in row.items()}


def _decode_csv(resource: Resource, row: Doc) -> Doc:
    """CSV cells are text: the resource's typed columns get their type back as well."""
    doc = decode_document(resource, row)
    for column in resource.columns:
        text = doc.get(column.name)
        if not isinstance(text, str):
            continue
        if column.type == "bool" and text in ("true", "false"):
            doc[column.name] = text == "true"
        elif column.type == "int" and _INTEGER.fullmatch(text):
            doc[column.name] = int(text)
    return doc


# -- parquet: typed columns where every value agrees ---------------------------------------------


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MissingDependencyError("pyarrow", "parquet") from None
    return pyarrow


def _arrow_type(pa: Any, types: set[str]) -> Any:
    if types == {"bool"}:
        return pa.bool_()
    if types == {"int"}:
        return pa.int64()
    if types and types <= {"int", "float"}:
        return pa.float64()
    return pa.string()


def _arrow_cell(value: Any, kind: str) -> Any:
    if value is None or kind != "string" or isinstance(value, str):
        return value
    return _csv_cell(value) if isinstance(value, bool) else str(value)


def _write_parquet(target: Path, rows: StoredRows) -> None:
    pa = _pyarrow()
    header = rows.header()
    schema = pa.schema([(c, _arrow_type(pa, rows.columns.get(c, set()))) for c in header])
    kinds = {f.name: "string" if f.type == pa.string() else "typed" for f in schema}
    text = {c for c, k in kinds.items() if k == "string"}
    with pa.parquet.ParquetWriter(str(target), schema) as writer:
        batch: list[Doc] = []

        def flush() -> None:
            # Column by column from each row's own cells: a row fills a few of the hundreds
            # of columns, so looking every column up in every row was most of the work.
            columns: dict[str, list[Any]] = {c: [None] * len(batch) for c in header}
            for i, row in enumerate(batch):
                for c, value in row.items():
                    cells = columns.get(c)
                    if cells is None or value is None:
                        continue
                    if c in text and value.__class__ is not str:
                        value = _arrow_cell(value, "string")
                    cells[i] = value
            writer.write_table(pa.table(columns, schema=schema))

        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                flush()
                batch = []
        if batch:
            flush()


def _read_parquet(path: Path) -> Iterator[Doc]:
    pa = _pyarrow()
    parquet_file = pa.parquet.ParquetFile(str(path))
    for batch in parquet_file.iter_batches(batch_size=_BATCH):
        yield from batch.to_pylist()


# -- xlsx: one sheet per resource (``_xlsx.py``) ---------------------------------------------------


def _write_xlsx(target: Path, rows: StoredRows) -> None:
    _xlsx.write_book(target, [rows])


def _read_xlsx(path: Path) -> Iterator[Doc]:
    return _xlsx.read_book(path)


# -- the registry --------------------------------------------------------------------------------

FORMATS: dict[str, FileFormat] = {
    "jsonl": FileFormat("jsonl", ".jsonl", flat=False, write=_write_jsonl, read=_read_jsonl),
    "csv": FileFormat(
        "csv",
        ".csv",
        flat=True,
        write=_write_csv,
        read=_read_csv,
        encode=encode_document,
        decode=_decode_csv,
        spreadsheet=True,
    ),
    "parquet": FileFormat(
        "parquet",
        ".parquet",
        flat=True,
        write=_write_parquet,
        read=_read_parquet,
        encode=encode_document,
        decode=decode_document,
        ensure=_pyarrow,
    ),
    "xlsx": FileFormat(
        "xlsx",
        ".xlsx",
        flat=True,
        write=_write_xlsx,
        read=_read_xlsx,
        encode=encode_document,
        decode=decode_document,  # booleans, numbers and dates keep their type in a workbook
        ensure=_xlsx.openpyxl,
        spreadsheet=True,
    ),
}
"""The formats of a directory destination (``--format``), by name; jsonl is the default."""

JSON_ARRAY = FileFormat("json", ".json", flat=False, write=_write_json_array, read=_read_json_array)
"""The ``catalog.json`` destination: one JSON array of product documents, one a line."""
JSON_FLAT = FileFormat(
    "json-flat",
    ".json",
    flat=True,
    write=_write_json_array,
    read=_read_json_array,
    encode=encode_document,
    decode=decode_document,
)
"""``catalog.json --flat``: one JSON array of Akeneo's flat product rows, one a line."""
