"""What only MongoSink promises: ``_id`` per key, indexes, deletions, state after data, lock."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import catalog_docs
import pytest

from akeneo_sync import resources as R
from akeneo_sync.errors import LockedError
from akeneo_sync.sinks import open_sink
from akeneo_sync.sinks.mongo import MongoSink

ODD = "0b9b6e2c-3b5e-4b8a-9c1f-000000000001"


@pytest.fixture
def db(mongo_url: str) -> Iterator[Any]:
    import pymongo

    client: Any = pymongo.MongoClient(mongo_url)
    yield client.get_default_database()
    client.close()


_context = catalog_docs.context


def _export(url: str, prefix: str = "") -> MongoSink:
    sink = catalog_docs.export(url, table_prefix=prefix)
    assert isinstance(sink, MongoSink)
    return sink


def test_ids_and_indexes(mongo_url: str, db: Any) -> None:
    _export(mongo_url)
    assert db.products.find_one({"_id": ODD})["identifier"] == "simple-1"
    assert db.attribute_options.find_one({"_id": "color|red"})["code"] == "red"
    assert db.reference_entity_records.find_one({"_id": "brands|acme"}) is not None
    keys = {tuple(k for k, _ in spec["key"].items()) for spec in db.products.list_indexes()}
    assert {("family",), ("parent",), ("updated",), ("identifier",)} <= keys
    assert db["_akeneo_sync_state"].find_one({"_id": "state"})["state"] == {"cursor": "c1"}
    assert db["_akeneo_sync_lock"].count_documents({}) == 0


def test_table_prefix(mongo_url: str, db: Any) -> None:
    _export(mongo_url, prefix="pim_")
    assert db.pim_products.count_documents({}) == 5
    assert "products" not in db.list_collection_names()
    assert open_sink(mongo_url, table_prefix="pim_").read_state() == {"cursor": "c1"}


def test_soft_and_hard_delete(mongo_url: str, db: Any) -> None:
    sink = _export(mongo_url)
    sink = open_sink(mongo_url)
    sink.open(_context())
    sink.delete(R.PRODUCTS, [(ODD,)], soft=True)
    sink.delete(R.ATTRIBUTE_OPTIONS, [("color", "blue")], soft=False)
    sink.commit({"cursor": "c2"})
    sink.close(True)
    assert "deleted_at" in db.products.find_one({"_id": ODD})
    assert db.attribute_options.find_one({"_id": "color|blue"}) is None
    sink = open_sink(mongo_url)
    sink.open(_context())
    catalog_docs.write(
        sink, R.PRODUCTS, [p for p in catalog_docs.catalog()["products"] if p["uuid"] == ODD]
    )
    sink.commit({"cursor": "c3"})
    sink.close(True)
    assert "deleted_at" not in db.products.find_one({"_id": ODD})


def test_nothing_reaches_the_server_before_commit(mongo_url: str, db: Any) -> None:
    sink = open_sink(mongo_url)
    sink.open(_context())
    catalog_docs.write(sink, R.LOCALES, [{"code": "en_US", "enabled": True}])
    assert db.locales.count_documents({}) == 0
    sink.commit({"cursor": "c1"})
    assert db.locales.count_documents({}) == 1
    catalog_docs.write(sink, R.LOCALES, [{"code": "fr_FR", "enabled": True}])
    sink.close(False)
    assert [d["code"] for d in sink.read(R.LOCALES)] == ["en_US"]
    assert sink.read_state() == {"cursor": "c1"}


def test_lock(mongo_url: str, db: Any) -> None:
    first = open_sink(mongo_url)
    first.open(_context())
    with pytest.raises(LockedError) as info:
        open_sink(mongo_url).open(_context())
    assert f"pid {os.getpid()} on {socket.gethostname()}" in str(info.value)
    assert "deleteOne" in str(info.value)
    first.close(True)
    # A lock left by a dead process of this host is taken over; another host's is not.
    db["_akeneo_sync_lock"].insert_one(
        {"_id": "lock", "pid": 2**22 + 12345, "host": socket.gethostname(), "since": "then"}
    )
    second = open_sink(mongo_url)
    second.open(_context())
    second.close(True)
    db["_akeneo_sync_lock"].insert_one({"_id": "lock", "pid": 1, "host": "elsewhere", "since": "x"})
    with pytest.raises(LockedError, match="elsewhere"):
        open_sink(mongo_url).open(_context())
