"""One suite every destination passes: same documents in, same content out, idempotent re-runs,
interrupted runs that leave the last committed content, and odd data that survives.

Documents are shaped as each sink stores them (``transform.shapes.shape_rows(sink.shape, ...)``,
as the runner does). Each destination declares what it gives back (``shape``): whole documents, or
Akeneo's flat rows of products and models (CSV, Parquet, the classic JSON export), which are
compared with the flat shape of the documents written. Adding a destination is one line in
``DESTINATIONS``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import catalog_docs
import pytest
from canonical import by_key, flat_canonical, resource_hash

from akeneo_sync import resources as R
from akeneo_sync.resources import Resource
from akeneo_sync.sinks import open_sink
from akeneo_sync.sinks.base import Doc, Sink, SinkContext
from akeneo_sync.transform.shapes import shape_rows

STATE_1 = {"version": 1, "resources": {"products": {"cursor": "2024-03-02T09:00:00+00:00"}}}
STATE_2 = {"version": 1, "resources": {"products": {"cursor": "2024-04-01T00:00:00+00:00"}}}


@dataclass(frozen=True)
class Destination:
    id: str
    url: Callable[[pytest.FixtureRequest, Path], str]
    format: str | None = None
    shape: str = "document"
    """``document``: reads back every document as written; ``flat``: flat rows."""
    resources: tuple[str, ...] | None = None
    """What it stores; None: every resource."""
    mid_run_commit: bool = True
    """A ``commit(state)`` before the end of a run is durable on its own (databases)."""
    state: bool = True
    """``read_state`` gives back what ``commit`` stored."""
    needs: str | None = None
    """A module that must be importable (a sink still being written, an optional driver)."""
    flat: bool = False
    """``open_sink(..., flat=True)``: the ``.json`` file of flat rows."""
    max_text: int | None = None
    """Text longer than this many UTF-16 code units is cut there (Excel's cell limit)."""

    def open(self, url: str) -> Sink:
        return open_sink(url, format=self.format, flat=self.flat)


def _fixture(name: str, suffix: str = "") -> Callable[[pytest.FixtureRequest, Path], str]:
    return lambda request, _tmp: str(request.getfixturevalue(name)) + suffix


_FILES = "akeneo_sync.sinks.files"
_FLAT = ("products", "product_models")
_EXCEL_CELL = 32_767
DESTINATIONS = [
    Destination(
        "json",
        lambda _r, tmp: str(tmp / "export.json"),
        resources=("products",),
        mid_run_commit=False,
        needs=_FILES,
    ),
    Destination(
        "json-flat",
        lambda _r, tmp: str(tmp / "export.json"),
        shape="flat",
        resources=("products",),
        mid_run_commit=False,
        needs=_FILES,
        flat=True,
    ),
    Destination(
        "jsonl", lambda _r, tmp: str(tmp / "out"), "jsonl", mid_run_commit=False, needs=_FILES
    ),
    Destination(
        "csv",
        lambda _r, tmp: str(tmp / "out"),
        "csv",
        shape="flat",
        resources=_FLAT,
        mid_run_commit=False,
        needs=_FILES,
    ),
    Destination(
        "parquet",
        lambda _r, tmp: str(tmp / "out"),
        "parquet",
        shape="flat",
        resources=_FLAT,
        mid_run_commit=False,
        needs=_FILES,
    ),
    Destination(
        "xlsx",
        lambda _r, tmp: str(tmp / "out"),
        "xlsx",
        shape="flat",
        resources=_FLAT,
        mid_run_commit=False,
        needs="openpyxl",
        max_text=_EXCEL_CELL,
    ),
    Destination(
        "workbook",
        lambda _r, tmp: str(tmp / "catalog.xlsx"),
        shape="flat",
        resources=_FLAT,
        mid_run_commit=False,
        needs="openpyxl",
        max_text=_EXCEL_CELL,
    ),
    Destination("sqlite", lambda _r, tmp: f"sqlite:///{tmp / 'catalog.db'}"),
    Destination("postgresql", _fixture("postgres_url")),
    Destination("postgresql-schema", _fixture("postgres_url", "?schema=pim")),
    Destination("mysql", _fixture("mysql_url")),
    Destination("mongodb", _fixture("mongo_url")),
]


@pytest.fixture(params=DESTINATIONS, ids=lambda d: d.id)
def dest(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Destination, str]:
    d: Destination = request.param
    if d.needs and importlib.util.find_spec(d.needs) is None:
        pytest.skip(f"{d.needs} is not there yet")
    return d, d.url(request, tmp_path)


def _resources(d: Destination) -> list[Resource]:
    return [r for r in R.ALL if d.resources is None or r.name in d.resources]


def _open(d: Destination, url: str) -> Sink:
    sink = d.open(url)
    assert (sink.shape == "flat") == (d.shape == "flat"), f"{d.id} stores {sink.shape} rows"
    sink.open(SinkContext(_resources(d)))
    return sink


def _run(d: Destination, url: str, docs: dict[str, list[Doc]], state: dict[str, Any]) -> None:
    """A whole successful run: every resource in two batches, one commit, close(ok=True)."""
    sink = _open(d, url)
    for resource in _resources(d):
        batch = docs[resource.name]
        half = len(batch) // 2
        catalog_docs.write(sink, resource, batch[:half])
        catalog_docs.write(sink, resource, batch[half:])
    sink.commit(state)
    sink.close(True)


def _expected(d: Destination, resource: Resource, docs: Sequence[Doc]) -> list[dict[str, Any]]:
    if d.shape == "document":
        return list(docs)
    rows = shape_rows("flat", resource, docs, catalog_docs.attributes_by_code()).rows
    return [_cut(d, flat_canonical(row)) for row in rows]


def _cut(d: Destination, row: dict[str, str]) -> dict[str, str]:
    if d.max_text is None:
        return row
    limit = 2 * d.max_text  # bytes of UTF-16; half an emoji at the end is dropped
    return {k: v.encode("utf-16-le")[:limit].decode("utf-16-le", "ignore") for k, v in row.items()}


def _read(d: Destination, url: str, resource: Resource) -> list[dict[str, Any]]:
    sink = d.open(url)
    got = list(sink.read(resource))
    return got if d.shape == "document" else [flat_canonical(row) for row in got]


def assert_same(d: Destination, url: str, docs: dict[str, list[Doc]]) -> None:
    for resource in _resources(d):
        expected = _expected(d, resource, docs[resource.name])
        got = _read(d, url, resource)
        if resource_hash(resource, got) != resource_hash(resource, expected):
            want, have = by_key(resource, expected), by_key(resource, got)
            diff = {k for k in want.keys() | have.keys() if want.get(k) != have.get(k)}
            first = sorted(diff)[0]
            pytest.fail(
                f"{d.id}: {resource.name} differs for keys {sorted(diff)}; first one:\n"
                f"want {want.get(first)!r}\nhave {have.get(first)!r}"
            )


def _state(d: Destination, url: str) -> dict[str, Any] | None:
    return d.open(url).read_state()


# -- the suite --------------------------------------------------------------------------------


def test_round_trip(dest: tuple[Destination, str]) -> None:
    d, url = dest
    docs = catalog_docs.catalog()
    _run(d, url, docs, STATE_1)
    assert_same(d, url, docs)
    if d.state:
        assert _state(d, url) == STATE_1


def test_second_run_changes_nothing(dest: tuple[Destination, str]) -> None:
    d, url = dest
    docs = catalog_docs.catalog()
    _run(d, url, docs, STATE_1)
    _run(d, url, catalog_docs.catalog(), STATE_1)
    assert_same(d, url, docs)
    for resource in _resources(d):  # no duplicates: one stored item per key
        assert len(_read(d, url, resource)) == len(docs[resource.name])


def test_get_looks_up_documents_by_key(dest: tuple[Destination, str]) -> None:
    d, url = dest
    docs = catalog_docs.catalog()
    _run(d, url, docs, STATE_1)
    sink = d.open(url)
    for resource in (R.PRODUCT_MODELS, R.ATTRIBUTE_OPTIONS):  # a one- and a two-field key
        if resource not in _resources(d):
            continue
        wanted = [resource.key_of(doc) for doc in docs[resource.name][::3]]
        got = list(sink.get(resource, [*wanted, ("no-such-key",) * len(resource.key)]))
        shaped = got if d.shape == "document" else [_cut(d, flat_canonical(r)) for r in got]
        expected = _expected(d, resource, docs[resource.name][::3])
        assert resource_hash(resource, shaped) == resource_hash(resource, expected)


def test_later_run_updates(dest: tuple[Destination, str]) -> None:
    d, url = dest
    _run(d, url, catalog_docs.catalog(), STATE_1)
    changed = catalog_docs.changed(catalog_docs.catalog())
    _run(d, url, changed, STATE_2)
    assert_same(d, url, changed)
    if d.state:
        assert _state(d, url) == STATE_2


def test_failed_run_leaves_last_committed_content(dest: tuple[Destination, str]) -> None:
    d, url = dest
    docs = catalog_docs.catalog()
    _run(d, url, docs, STATE_1)
    changed = catalog_docs.changed(docs)
    sink = _open(d, url)
    with pytest.raises(RuntimeError):
        try:
            catalog_docs.write(sink, R.PRODUCTS, changed["products"][:2])
            raise RuntimeError("extraction failed mid-run")
        except BaseException:
            sink.close(False)
            raise
    assert_same(d, url, docs)
    if d.state:
        assert _state(d, url) == STATE_1


def test_commit_then_interrupted_batch(dest: tuple[Destination, str]) -> None:
    """A commit mid-run is durable; the batch after it, never committed, is not half there."""
    d, url = dest
    if not d.mid_run_commit:
        pytest.skip(f"{d.id} makes a run durable as a whole, at close(ok=True)")
    docs = catalog_docs.catalog()
    _run(d, url, docs, STATE_1)
    changed = catalog_docs.changed(docs)
    sink = _open(d, url)
    catalog_docs.write(sink, R.PRODUCTS, changed["products"][:2])
    sink.commit(STATE_2)
    catalog_docs.write(sink, R.PRODUCTS, changed["products"][2:])
    sink.delete(R.CATEGORIES, [("men",)], soft=False)
    sink.close(False)  # stopped before its commit
    expected = dict(docs, products=changed["products"][:2] + docs["products"][2:])
    assert_same(d, url, expected)
    assert _state(d, url) == STATE_2


def test_odd_data_survives(dest: tuple[Destination, str]) -> None:
    d, url = dest
    if d.shape != "document":
        pytest.skip("flat rows are compared as text in test_round_trip")
    docs = catalog_docs.catalog()
    _run(d, url, docs, STATE_1)
    stored = {p["uuid"]: p for p in _read(d, url, R.PRODUCTS)}
    odd = stored["0b9b6e2c-3b5e-4b8a-9c1f-000000000001"]
    assert odd["values"]["name"][0]["data"] == catalog_docs.ODD_TEXT
    assert odd["values"]["description"][0]["data"] == catalog_docs.LONG_TEXT
    assert odd["values"]["select"][0]["data"] == "SELECT * FROM products; -- 'quoted'"
    assert odd["values"]["order"][0]["data"] == "3.14"  # a number sent as a string stays one
    assert odd["values"]["materials"][0]["data"] == []
    empty = stored["0b9b6e2c-3b5e-4b8a-9c1f-000000000002"]
    assert empty["values"] == {} and empty["categories"] == []
    assert empty["quantified_associations"] == {} and empty["groups"] == []
