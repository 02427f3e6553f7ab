"""Destinations that are one file: ``catalog.json`` and ``catalog.xlsx``.

``catalog.json`` is what people coming from a script of their own expect: one JSON array of
Akeneo product documents, variants with their models' values merged in (``json.load`` it and
read ``product["values"][attribute][0]["data"]``), written one document a line so that it
streams both ways. ``--flat`` keeps the earlier layout, Akeneo's flat product rows.

``catalog.xlsx`` is one workbook with a sheet per resource, products first (``_xlsx.py``), the
same rows as a directory of CSV files.

Both share the lifecycle of ``files.FileSink``; what sits beside the file (state, lock, work
directory, deletion log) is named after it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from akeneo_sync import resources as res
from akeneo_sync.resources import PRODUCTS, Resource
from akeneo_sync.sinks import _xlsx
from akeneo_sync.sinks._workindex import Index
from akeneo_sync.sinks.base import Doc
from akeneo_sync.sinks.files import FileSink
from akeneo_sync.sinks.formats import FORMATS, JSON_ARRAY, JSON_FLAT, StoredRows

log = logging.getLogger("akeneo_sync")
# What people open a catalog for comes first; then the registry's order.
_FIRST = (res.PRODUCTS, res.PRODUCT_MODELS)
_SHEET_ORDER = {
    r.name: i for i, r in enumerate([*_FIRST, *(r for r in res.ALL if r not in _FIRST)])
}


class OneFileSink(FileSink):
    """A destination that is one file: its state, lock, work directory and deletion log sit
    beside it, named after it (``catalog.state.json``, ``.catalog.json.lock``...)."""

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def _stem(self) -> str:
        """What the files beside it are named after (``catalog``: ``catalog.state.json``)."""
        return self.path.stem

    @property
    def state_path(self) -> Path:
        return self.path.with_name(f"{self._stem}.state.json")

    def _lock_name(self) -> str:
        return f".{self.path.name}.lock"

    def _work_name(self) -> str:
        return f".{self.path.name}.akeneo-sync-work"

    def _deletions_name(self) -> str:
        return f"{self._stem}.deletions.jsonl"


class JsonSink(OneFileSink):
    """``catalog.json``: one JSON array of product documents (``flat``: of Akeneo's flat
    product rows); other resources are not stored.

    A file written in the other layout (flat rows before, documents now, or the reverse) is
    replaced, not upserted into: its state is not taken up, so the run exports everything."""

    def __init__(self, path: str | Path, *, flat: bool = False) -> None:
        super().__init__(path, JSON_FLAT if flat else JSON_ARRAY)
        self._other_layout: bool | None = None

    def output(self, resource: Resource) -> Path | None:
        return self.path if resource.name == PRODUCTS.name else None

    def other_layout(self) -> bool:
        """Whether the file holds rows of the other layout (looked at once: the first row)."""
        if self._other_layout is None:
            first = next(iter(self._stored(PRODUCTS)), None)
            # A document always has its ``values`` object; a flat row has scalars only.
            flat = first is not None and not isinstance(first.get("values"), dict)
            self._other_layout = first is not None and flat != self.file_format.flat
            if self._other_layout and flat:
                log.warning(
                    "%s holds flat product rows (the earlier layout): this run exports every "
                    "product again as documents and replaces them; --flat keeps flat rows",
                    self.path,
                )
            elif self._other_layout:
                log.warning(
                    "%s holds product documents: this run exports every product again as flat "
                    "rows (--flat) and replaces them",
                    self.path,
                )
        return self._other_layout

    def _seed(self, resource: Resource) -> Iterable[Doc]:
        return () if self.other_layout() else super()._seed(resource)

    def read_state(self) -> dict[str, Any] | None:
        # Open, for a run: the state of rows in the other layout is not this run's to take up.
        # Not open (``akeneo-sync state``): what the destination holds, whatever its layout.
        if self._work is not None and self.other_layout():
            return self._checkpoint_state()
        return super().read_state()

    def commit(self, state: Mapping[str, Any] | None = None) -> None:
        super().commit(state)
        self._other_layout = None  # the file is in this sink's layout now


class WorkbookSink(OneFileSink):
    """``catalog.xlsx``: one workbook, a sheet per resource (products and product models as
    Akeneo's flat rows, the same columns as CSV; other resources as their documents, nested
    fields as JSON text), products first.

    The workbook is written whole at finalisation: the sheets of resources this run did not
    touch are carried over from the previous workbook."""

    def __init__(self, path: str | Path, *, raw_cells: bool = False) -> None:
        file_format = FORMATS["xlsx"]
        file_format.ensure()  # fail at once, not after an hour of downloading
        super().__init__(path, file_format, raw_cells=raw_cells)

    @property
    def _stem(self) -> str:
        # catalog.xlsx.state.json: a catalog.json beside it keeps its own catalog.state.json
        return self.path.name

    def output(self, resource: Resource) -> Path | None:
        return self.path

    def _read_output(self, resource: Resource, path: Path) -> Iterator[Doc]:
        return _xlsx.read_book(path, resource.name)

    def _outputs(self) -> dict[Path, list[Index]]:
        if self.path.exists():
            for name in _xlsx.sheet_resources(self.path):
                if name in res.BY_NAME:
                    self._index(res.BY_NAME[name])  # carried over as it was
        indexes = sorted(self._indexes.values(), key=lambda i: _SHEET_ORDER[i.resource.name])
        return {self.path: indexes} if indexes else {}

    def _write_output(self, target: Path, rows: list[StoredRows]) -> None:
        _xlsx.write_book(target, rows)
