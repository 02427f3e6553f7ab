"""open_sink: a URL scheme or a file name ending picks the sink, else a directory in a format."""

from __future__ import annotations

from pathlib import Path

import pytest

from akeneo_sync.errors import ConfigError
from akeneo_sync.resources import FAMILIES
from akeneo_sync.sinks import EXTENSIONS, FORMATS, SCHEMES, open_sink
from akeneo_sync.sinks.files import DirectorySink
from akeneo_sync.sinks.mongo import MongoSink
from akeneo_sync.sinks.onefile import JsonSink, WorkbookSink
from akeneo_sync.sinks.sql import SqlSink


def test_the_registries() -> None:
    assert list(FORMATS) == ["jsonl", "csv", "parquet", "xlsx"]  # the CLI's --format choices
    assert [f.extension for f in FORMATS.values()] == [".jsonl", ".csv", ".parquet", ".xlsx"]
    assert [f.flat for f in FORMATS.values()] == [False, True, True, True]
    assert [f.spreadsheet for f in FORMATS.values()] == [False, True, False, True]
    assert set(SCHEMES) >= {"sqlite", "postgresql", "mysql", "mariadb", "mongodb"}
    assert set(EXTENSIONS) == {".db", ".sqlite", ".sqlite3", ".json", ".xlsx"}


@pytest.mark.parametrize(
    ("dest", "kind", "shape"),
    [
        ("sqlite:///x.db", SqlSink, "values"),
        ("{tmp}/x.db", SqlSink, "values"),
        ("{tmp}/X.SQLITE3", SqlSink, "values"),
        ("postgresql://u:p@h/db", SqlSink, "values"),
        ("mariadb://u@h/db", SqlSink, "values"),
        ("mongodb://h:27017/db", MongoSink, "document"),
        ("{tmp}/catalog.json", JsonSink, "document"),
        ("{tmp}/Catalog.XLSX", WorkbookSink, "flat"),
        ("{tmp}/out", DirectorySink, "document"),
    ],
)
def test_destinations(tmp_path: Path, dest: str, kind: type, shape: str) -> None:
    sink = open_sink(dest.format(tmp=tmp_path))
    assert isinstance(sink, kind) and sink.shape == shape


def test_options(tmp_path: Path) -> None:
    flat = open_sink(str(tmp_path / "catalog.json"), flat=True)
    assert isinstance(flat, JsonSink) and flat.shape == "flat"
    with pytest.raises(ConfigError, match=r"--flat is for a \.json file"):
        open_sink(str(tmp_path / "out"), flat=True)
    assert open_sink(str(tmp_path / "out"), format="csv").guarded  # type: ignore[attr-defined]
    raw = open_sink(str(tmp_path / "out"), format="csv", raw_cells=True)
    assert not raw.guarded  # type: ignore[attr-defined]
    assert not open_sink(str(tmp_path / "c.xlsx"), raw_cells=True).guarded  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fmt", "shape"), [("jsonl", "document"), ("csv", "flat"), ("xlsx", "flat")]
)
def test_directory_formats(tmp_path: Path, fmt: str, shape: str) -> None:
    sink = open_sink(str(tmp_path / "out"), format=fmt)
    assert isinstance(sink, DirectorySink) and sink.shape == shape
    assert sink.output(FAMILIES) == tmp_path / "out" / f"families.{fmt}"


def test_a_directory_named_like_a_file(tmp_path: Path) -> None:
    (tmp_path / "x.json.d").mkdir()
    assert isinstance(open_sink(str(tmp_path / "x.json.d")), DirectorySink)
    (tmp_path / "v1.json").mkdir()
    assert isinstance(open_sink(f"{tmp_path / 'v1.json'}/"), DirectorySink)


def test_errors_say_what_to_use(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown destination scheme 'ftp' in ftp://u:\*\*\*@h"):
        open_sink("ftp://u:secret@h/x")
    with pytest.raises(ConfigError, match="cannot tell which destination"):
        open_sink(str(tmp_path / "catalog.ods"))
    with pytest.raises(ConfigError, match="unknown file format 'xml'; choose one of jsonl, csv"):
        open_sink(str(tmp_path / "out"), format="xml")
