"""What only the SQL destinations promise: plain-SQL queries on typed columns and product_values,
deletions, state committed with data, the lock, table prefixes and PostgreSQL schemas."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import catalog_docs
import pytest
import sqlalchemy as sa

from akeneo_sync import resources as R
from akeneo_sync.errors import LockedError, MissingDependencyError, SinkError
from akeneo_sync.sinks import mask_url, open_sink, sql
from akeneo_sync.sinks.base import SinkContext
from akeneo_sync.sinks.sql import SqlSink

ODD = "0b9b6e2c-3b5e-4b8a-9c1f-000000000001"
VARIANTS = {"0b9b6e2c-3b5e-4b8a-9c1f-100000000000", "0b9b6e2c-3b5e-4b8a-9c1f-100000000001"}


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))


_context = catalog_docs.context


def _export(url: str, **options: str) -> SqlSink:
    sink = catalog_docs.export(url, **options)
    assert isinstance(sink, SqlSink)
    return sink


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    sink = SqlSink(url)
    eng = sa.create_engine(sink._engine_url)
    yield eng
    eng.dispose()


def _rows(engine: sa.Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def test_product_values_answer_plain_sql(url: str, engine: sa.Engine) -> None:
    _export(url)
    red = _rows(
        engine, "SELECT uuid FROM product_values WHERE attribute='color' AND text_value='red'"
    )
    assert {r[0] for r in red} == VARIANTS
    # Attribute codes that are SQL keywords are plain data.
    order = _rows(
        engine, "SELECT number_value, text_value FROM product_values WHERE attribute='order'"
    )
    assert order == [(3.14, "3.14")]
    prices = _rows(
        engine,
        "SELECT unit, number_value FROM product_values WHERE attribute='price' ORDER BY unit",
    )
    assert prices == [("EUR", 19.99), ("USD", 21.5)]
    flags = _rows(engine, "SELECT bool_value FROM product_values WHERE attribute='group'")
    assert [bool(f[0]) for f in flags] == [True]
    linen = _rows(
        engine,
        "SELECT uuid FROM product_values WHERE attribute='materials' AND text_value='linen'",
    )
    assert len(linen) == 3  # two variants inherit it from their model, one simple product has it
    names = _rows(
        engine,
        "SELECT locale, text_value FROM product_values WHERE uuid = :u AND attribute = 'name' "
        "ORDER BY locale",
        u=ODD,
    )
    assert names == [("en_US", catalog_docs.ODD_TEXT), ("fr_FR", "")]  # tabs, \n, quotes, ''
    long_text = _rows(engine, "SELECT text_value FROM product_values WHERE attribute='description'")
    assert long_text == [(catalog_docs.LONG_TEXT,)]


def test_typed_columns(url: str, engine: sa.Engine) -> None:
    _export(url)
    enabled = _rows(engine, "SELECT uuid FROM products WHERE enabled = :t ORDER BY uuid", t=True)
    assert len(enabled) == 4
    family = _rows(engine, "SELECT count(*) FROM products WHERE family = 'shirts'")
    assert family == [(4,)]
    children = _rows(engine, "SELECT code FROM product_models WHERE parent = 'classic_shirt'")
    assert children == [("classic_shirt_red",)]
    opts = _rows(
        engine, "SELECT code FROM attribute_options WHERE attribute='color' AND sort_order=2"
    )
    assert opts == [("blue",)]
    # updated is a timestamp in PostgreSQL/MySQL and ISO text in SQLite: both compare in time.
    recent = _rows(engine, "SELECT count(*) FROM categories WHERE updated > '2024-03-02'")
    assert recent == [(1,)]


def _value_indexes(url: str) -> set[str]:
    """``product_values``' index names: MySQL has no partial index, so its number index holds
    every row; the others hold only the rows with a number."""
    numbers = "attribute_number_value" if url.startswith("mysql") else "numbers"
    return {f"product_values_{c}_idx" for c in ("uuid", numbers, "attribute_text_value")}


def _plan(engine: sa.Engine, query: str) -> str:
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # a tiny table: say an index is wanted
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        return " ".join(str(c) for r in conn.execute(sa.text(explain + query)) for c in r)


def test_indexes_exist(url: str, engine: sa.Engine) -> None:
    _export(url)
    inspector = sa.inspect(engine)
    product_cols = {tuple(i["column_names"]) for i in inspector.get_indexes("products")}
    assert {("family",), ("parent",), ("updated",), ("identifier",)} <= product_cols
    names = {i["name"] for i in inspector.get_indexes("product_values")}
    assert names == _value_indexes(url)
    # The documented queries on numbers and texts use them.
    numbers = _plan(
        engine,
        "SELECT uuid FROM product_values"
        " WHERE attribute = 'price' AND unit = 'EUR' AND number_value < 20",
    )
    assert next(n for n in names if "number" in n) in numbers, numbers
    texts = _plan(
        engine, "SELECT uuid FROM product_values WHERE attribute = 'color' AND text_value = 'red'"
    )
    assert "product_values_attribute_text_value_idx" in texts, texts
    assert _rows(engine, "SELECT value FROM _akeneo_sync_meta WHERE name='schema_version'") == [
        ("2",)
    ]


def test_soft_and_hard_delete(url: str, engine: sa.Engine) -> None:
    _export(url)
    sink = open_sink(url)
    sink.open(_context())
    sink.delete(R.PRODUCTS, [(ODD,)], soft=True)
    sink.delete(R.PRODUCTS, [(sorted(VARIANTS)[0],)], soft=False)
    sink.commit({"cursor": "c2"})
    sink.close(True)
    stored = {p["uuid"]: p for p in sink.read(R.PRODUCTS)}
    assert "deleted_at" in stored[ODD] and stored[ODD]["values"]  # marked, kept
    assert sorted(VARIANTS)[0] not in stored
    gone = _rows(
        engine, "SELECT count(*) FROM product_values WHERE uuid = :u", u=sorted(VARIANTS)[0]
    )
    assert gone == [(0,)]
    marked = _rows(engine, "SELECT count(*) FROM products WHERE deleted_at IS NOT NULL")
    assert marked == [(1,)]
    # Writing the product again brings it back.
    sink = open_sink(url)
    sink.open(_context())
    catalog_docs.write(
        sink, R.PRODUCTS, [p for p in catalog_docs.catalog()["products"] if p["uuid"] == ODD]
    )
    sink.commit({"cursor": "c3"})
    sink.close(True)
    again = {p["uuid"]: p for p in sink.read(R.PRODUCTS)}
    assert "deleted_at" not in again[ODD]


def test_rewrite_replaces_product_values(url: str, engine: sa.Engine) -> None:
    _export(url)
    product = next(p for p in catalog_docs.catalog()["products"] if p["uuid"] == ODD)
    product["values"] = {"color": [{"locale": None, "scope": None, "data": "blue"}]}
    sink = open_sink(url)
    sink.open(_context())
    catalog_docs.write(sink, R.PRODUCTS, [product, product])  # twice in one batch: stored once
    sink.commit(None)
    sink.close(True)
    rows = _rows(engine, "SELECT attribute, text_value FROM product_values WHERE uuid = :u", u=ODD)
    assert rows == [("color", "blue")]


def test_state_is_committed_with_data(url: str, engine: sa.Engine) -> None:
    sink = open_sink(url)
    sink.open(_context())
    assert sink.read_state() is None
    catalog_docs.write(sink, R.LOCALES, [{"code": "en_US", "enabled": True}])
    # Not committed: another connection sees neither the data nor a state.
    assert _rows(engine, "SELECT count(*) FROM locales") == [(0,)]
    sink.commit({"cursor": "c1"})
    assert _rows(engine, "SELECT count(*) FROM locales") == [(1,)]
    assert sink.read_state() == {"cursor": "c1"}
    catalog_docs.write(sink, R.LOCALES, [{"code": "fr_FR", "enabled": True}])
    sink.close(False)
    assert [d["code"] for d in sink.read(R.LOCALES)] == ["en_US"]
    assert sink.read_state() == {"cursor": "c1"}


def test_lock_refuses_a_second_run(url: str) -> None:
    first = open_sink(url)
    first.open(_context())
    second = open_sink(url)
    with pytest.raises(LockedError) as info:
        second.open(_context())
    message = str(info.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}" in message
    assert "if that run is dead" in message and "DELETE FROM" in message
    first.close(True)
    second.open(_context())  # released by close
    second.close(True)


def test_stale_lock_of_a_dead_process_is_taken_over(url: str, engine: sa.Engine) -> None:
    sink = open_sink(url)
    sink.open(_context())
    sink.close(True)
    host = socket.gethostname()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO _akeneo_sync_lock (id, pid, host, since, heartbeat) "
                "VALUES (1, :pid, :host, 'then', 'then')"
            ),
            {"pid": 2**22 + 12345, "host": host},  # above pid_max: never alive
        )
    sink.open(_context())  # taken over: same host, pid gone
    sink.close(True)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO _akeneo_sync_lock (id, pid, host, since, heartbeat) "
                "VALUES (1, 1, 'other-host', 'then', 'then')"
            )
        )
    with pytest.raises(LockedError, match="other-host"):
        sink.open(_context())


def test_table_prefix(url: str, engine: sa.Engine) -> None:
    _export(url, table_prefix="pim_")
    names = set(sa.inspect(engine).get_table_names())
    assert {"pim_products", "pim_product_values", "pim__akeneo_sync_state"} <= names
    assert "products" not in names
    red = _rows(engine, "SELECT count(*) FROM pim_product_values WHERE text_value='red'")
    assert red == [(2,)]


def test_postgres_schema(postgres_url: str) -> None:
    sink = _export(postgres_url + "?schema=pim")
    eng = sa.create_engine(sink._engine_url)
    try:
        inspector = sa.inspect(eng)
        assert "products" in inspector.get_table_names(schema="pim")
        assert "products" not in inspector.get_table_names(schema="public")
        with eng.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM pim.product_values")).scalar()
        assert count and count > 20
    finally:
        eng.dispose()
    assert open_sink(postgres_url + "?schema=pim").read_state() == {"cursor": "c1"}


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    _export(url)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text("UPDATE _akeneo_sync_meta SET value='99' WHERE name='schema_version'"))
    eng.dispose()
    with pytest.raises(SinkError, match="schema version 99"):
        open_sink(url).open(_context())
    sink = open_sink(url)
    with pytest.raises(SinkError, match="schema version"):
        sink.open(_context())


def test_registry_and_masking(tmp_path: Path) -> None:
    assert isinstance(open_sink(str(tmp_path / "a.db")), SqlSink)
    assert isinstance(open_sink(str(tmp_path / "a.sqlite")), SqlSink)
    sink = open_sink("postgresql://user:s3cret@db.example:5433/pim?schema=x")
    assert sink.url == "postgresql://user:***@db.example:5433/pim?schema=x"
    assert "s3cret" not in open_sink("mariadb://root:s3cret@h/db").url
    assert mask_url("mongodb://u:p@h:1/db") == "mongodb://u:***@h:1/db"


@pytest.mark.parametrize(
    ("url", "module", "extra"),
    [
        ("postgresql://u@h/db", "psycopg", "postgres"),
        ("postgres://u@h/db", "psycopg", "postgres"),
        ("mysql://u@h/db", "pymysql", "mysql"),
        ("mariadb://u@h/db", "pymysql", "mysql"),
        ("mongodb://h:27017/db", "pymongo", "mongo"),
    ],
)
def test_missing_driver_names_the_pip_line(
    url: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes ``import module`` fail
    with pytest.raises(MissingDependencyError) as info:
        open_sink(url)
    assert f"pip install 'akeneo-sync[{extra}]'" in str(info.value)


def test_a_failed_batch_is_reported_and_nothing_committed(url: str) -> None:
    sink = open_sink(url)
    sink.open(_context())
    catalog_docs.write(sink, R.LOCALES, [{"code": "en_US", "enabled": True}])
    catalog_docs.write(
        sink, R.PRODUCTS, [{"uuid": None, "values": {}}]
    )  # NOT NULL key: the database refuses
    with pytest.raises(SinkError, match="writing 1 products failed"):
        sink.commit({"cursor": "never"})
    sink.close(False)
    assert list(sink.read(R.LOCALES)) == []
    assert sink.read_state() is None


def test_indexes_of_a_run_that_died_are_built_by_the_next(url: str, engine: sa.Engine) -> None:
    sink = open_sink(url)
    assert isinstance(sink, SqlSink)
    sink.open(_context())  # empty product_values: its indexes wait for close
    catalog_docs.write(sink, R.PRODUCTS, catalog_docs.catalog()["products"])
    sink.commit({"cursor": "c1"})
    names = {i["name"] for i in sa.inspect(engine).get_indexes("product_values")}
    # MySQL keeps its uuid index: building it later would commit the open transaction.
    assert names == ({"product_values_uuid_idx"} if "mysql" in url else set())
    # The process dies here: no close. Its lock row is removed by hand (as the message says).
    assert sink._conn is not None and sink._writer is not None
    sink._writer.stop()
    sink._conn.close()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM _akeneo_sync_lock"))
    again = open_sink(url)
    again.open(_context())
    again.close(True)
    names = {i["name"] for i in sa.inspect(engine).get_indexes("product_values")}
    assert names == _value_indexes(url)


def _value_uuids(engine: sa.Engine) -> list[tuple[object, ...]]:
    return _rows(engine, "SELECT uuid, count(*) FROM product_values GROUP BY uuid ORDER BY uuid")


def _clean_value_uuids(tmp_path: Path, products: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    """``_value_uuids`` of ``products`` written once each into a fresh SQLite file."""
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = open_sink(clean_url)
    clean.open(_context())
    catalog_docs.write(clean, R.PRODUCTS, products)
    clean.commit({"cursor": "c1"})
    clean.close(True)
    clean_engine = sa.create_engine(clean_url)
    try:
        return _value_uuids(clean_engine)
    finally:
        clean_engine.dispose()


def test_a_product_written_twice_into_a_fresh_table_keeps_one_set_of_rows(
    url: str, engine: sa.Engine, tmp_path: Path
) -> None:
    """Without its uuid index, old rows cannot be found: the first product seen again has the
    index built there and then, and its old rows replaced as usual."""
    products = catalog_docs.catalog()["products"]
    renamed = catalog_docs.changed({"products": products[:1]})["products"]
    sink = open_sink(url)
    sink.open(_context())
    catalog_docs.write(sink, R.PRODUCTS, products[1:])
    catalog_docs.write(sink, R.PRODUCTS, products[:1])
    catalog_docs.write(sink, R.PRODUCTS, renamed)  # seen again: its old rows must go
    catalog_docs.write(sink, R.PRODUCTS, products[1:2])
    sink.commit({"cursor": "c1"})
    sink.close(True)
    assert _value_uuids(engine) == _clean_value_uuids(tmp_path, renamed + products[1:])
    names = _rows(
        engine,
        "SELECT text_value FROM product_values WHERE uuid = :u AND attribute = 'name'",
        u=products[0]["uuid"],
    )
    assert names == [(f"renamed {products[0]['uuid'][-2:]}",)]


def test_indexes_are_built_while_the_database_server_waits_for_rows(
    url: str, engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export into PostgreSQL that waits on Akeneo has its product_values indexes built
    early, in the open transaction, not after the last product; rows written after that replace
    old ones. SQLite (in the exporter's own process) and MySQL build them at close."""
    monkeypatch.setattr(sql, "EARLY_INDEX_WINDOW", 0.05)
    products = catalog_docs.catalog()["products"]
    renamed = catalog_docs.changed({"products": products[:1]})["products"]
    sink = open_sink(url)
    sink.open(_context())
    catalog_docs.write(sink, R.PRODUCTS, products[:2])
    time.sleep(0.2)  # the database has nothing to do
    catalog_docs.write(sink, R.PRODUCTS, products[2:])
    catalog_docs.write(sink, R.PRODUCTS, renamed)  # seen again: its old rows must go
    sink.commit({"cursor": "c1"})
    names = {i["name"] for i in sa.inspect(engine).get_indexes("product_values")}
    every = _value_indexes(url)
    # MySQL's CREATE INDEX would commit the open transaction: its indexes wait for close, as
    # SQLite's do (the uuid index only once a product is written twice).
    assert names == (every if url.startswith("postgresql") else {"product_values_uuid_idx"})
    sink.close(True)
    assert {i["name"] for i in sa.inspect(engine).get_indexes("product_values")} == every
    assert _value_uuids(engine) == _clean_value_uuids(tmp_path, renamed + products[1:])


def test_without_the_values_table(url: str, engine: sa.Engine) -> None:
    """``values_table=False`` stores documents only and drops a table left by earlier runs;
    later runs that do not say go on without it; asking for it again gives a full run (no
    state) that fills it."""
    _export(url)
    assert sa.inspect(engine).has_table("product_values")
    sink = open_sink(url)
    sink.open(SinkContext(R.ALL, values_table=False))
    assert sink.shape == "document"
    catalog_docs.write(sink, R.PRODUCTS, catalog_docs.catalog()["products"])
    sink.commit({"cursor": "c2"})
    sink.close(True)
    assert not sa.inspect(engine).has_table("product_values")
    assert len(list(sink.read(R.PRODUCTS))) == len(catalog_docs.catalog()["products"])
    assert sink.read_state() == {"cursor": "c2"}
    later = open_sink(url)
    later.open(_context())  # values_table=None: as the destination has it
    assert later.shape == "document"
    catalog_docs.write(later, R.PRODUCTS, catalog_docs.catalog()["products"][:3])
    later.commit({"cursor": "c2b"})
    later.close(True)
    assert not sa.inspect(engine).has_table("product_values")
    assert later.read_state() == {"cursor": "c2b"}
    again = open_sink(url)
    again.open(SinkContext(R.ALL, values_table=True))
    assert again.shape == "values"
    assert again.read_state() is None  # its products have no rows yet: a full run
    catalog_docs.write(again, R.PRODUCTS, catalog_docs.catalog()["products"])
    again.commit({"cursor": "c3"})
    again.close(True)
    assert open_sink(url).read_state() == {"cursor": "c3"}
    assert _rows(engine, "SELECT count(*) FROM product_values")[0][0] > 0


def test_schema_version_1_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    _export(url)
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text("UPDATE _akeneo_sync_meta SET value='1' WHERE name='schema_version'"))
    sink = open_sink(url)
    sink.open(_context())
    sink.close(True)
    assert _rows(eng, "SELECT value FROM _akeneo_sync_meta WHERE name='schema_version'") == [("2",)]
    assert sink.read_state() == {"cursor": "c1"}
    eng.dispose()


@pytest.mark.parametrize("url", ["sqlite", "postgres"], indirect=True)
def test_the_number_index_of_earlier_releases_is_replaced(url: str, engine: sa.Engine) -> None:
    """Earlier releases indexed every row's ``(attribute, number_value)``; the next run replaces
    that index with the partial one, on a table that has rows as on an empty one."""
    _export(url)
    old = "product_values_attribute_number_value_idx"

    def downgrade() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX product_values_numbers_idx"))
            conn.execute(sa.text(f"CREATE INDEX {old} ON product_values (attribute, number_value)"))

    downgrade()
    _export(url)  # rows there: indexes made sure of at open
    assert {i["name"] for i in sa.inspect(engine).get_indexes("product_values")} == (
        _value_indexes(url)
    )
    downgrade()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM product_values"))
    _export(url)  # an empty table: indexes built after the load
    assert {i["name"] for i in sa.inspect(engine).get_indexes("product_values")} == (
        _value_indexes(url)
    )


def test_sqlite_takes_many_rows_a_statement_and_the_last_of_a_key_wins(tmp_path: Path) -> None:
    """SQLite's INSERTs carry ROWS_A_STATEMENT rows each (its driver lets go of the GIL once a
    statement, not once a row); an upsert that meets its key twice keeps the later row."""
    from akeneo_sync.sinks._sqlbulk import Prepared, upsert
    from akeneo_sync.sinks._sqlrows import ROWS_A_STATEMENT

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    table = sa.Table(
        "t", sa.MetaData(), sa.Column("k", sa.String, primary_key=True), sa.Column("v", sa.String)
    )
    table.create(engine)
    rows = [(f"k{i:03d}", f"v{i}") for i in range(2 * ROWS_A_STATEMENT + 50)]
    rows.append(("k001", "again"))  # the same key, in the last statement
    statements: list[str] = []
    with engine.begin() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        dbapi.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        Prepared(upsert("sqlite", table, ["k"]), conn.dialect).executemany(conn, rows)
        dbapi.set_trace_callback(None)  # type: ignore[attr-defined]
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == 3
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT k, v FROM t")).all())
    assert len(stored) == len(rows) - 1
    assert stored["k001"] == "again" and stored["k249"] == "v249"
    engine.dispose()


_BINDS = """
import sqlite3, sys
if sys.argv[1] == "theirs":  # a program that embeds akeneo_sync and stores booleans as text
    sqlite3.register_adapter(bool, lambda b: "yes" if b else "no")
from akeneo_sync.sinks._sqlrows import ManyRows
db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE t (n, yes, no)")
ManyRows("INSERT INTO t (n, yes, no) VALUES (?, ?, ?)").run(db, [(None, True, False)] * 3)
print(db.execute("SELECT DISTINCT typeof(n), yes, typeof(yes), no FROM t").fetchall())
"""


@pytest.mark.parametrize(
    ("program", "stored"),
    [("ours", "[('null', 1, 'integer', 0)]"), ("theirs", "[('null', 'yes', 'text', 'no')]")],
)
def test_sqlite_binds_none_and_bool_as_its_driver_does(program: str, stored: str) -> None:
    """``_sqlrows`` gives None and bool adapters of their own (the driver's look-up missed twice
    for each): they store what the driver stores without them, NULL and 0/1; an adapter the
    embedding program registered first is left alone."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", _BINDS, program], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == stored
