"""ModelStore: product models on local disk, looked up by code, read back in batches."""

from __future__ import annotations

import os

import pytest

from akeneo_sync.run.modelstore import ModelStore


def model(code: str, parent: str | None = None, **values: str) -> dict[str, object]:
    return {"code": code, "parent": parent, "values": values}


def test_models_by_code_and_in_code_order() -> None:
    store = ModelStore(cache_size=2)
    try:
        store.update_many([model("b"), model("a"), model("c", "a")])
        assert len(store) == 3
        assert "c" in store and "z" not in store
        assert store["c"]["parent"] == "a"
        assert list(store) == ["a", "b", "c"]
        assert [[m["code"] for m in batch] for batch in store.docs(2)] == [["a", "b"], ["c"]]
        with pytest.raises(KeyError):
            store["z"]
    finally:
        store.close()


def test_a_rewritten_model_is_not_served_stale_from_the_cache() -> None:
    store = ModelStore()
    try:
        store["a"] = model("a", name="old")
        assert store["a"]["values"] == {"name": "old"}  # now cached
        store.update({"a": model("a", name="new")})
        assert store["a"]["values"] == {"name": "new"}
        del store["a"]
        assert "a" not in store
    finally:
        store.close()


def test_close_removes_its_files() -> None:
    store = ModelStore()
    store.update_many([model("a")])
    directory = store._dir
    assert directory is not None and os.path.exists(directory)
    store.close()
    assert not os.path.exists(directory)


def test_a_store_never_used_makes_no_file() -> None:
    store = ModelStore()
    assert "a" not in store and len(store) == 0 and list(store) == []
    assert store._dir is None
    store.close()


def test_a_pages_parents_are_read_with_a_query_a_level_then_served_from_memory() -> None:
    store = ModelStore()
    try:
        store.update_many([model(f"root{i}") for i in range(10)])
        store.update_many([model(f"sub{i}", f"root{i % 10}") for i in range(30)])
        queries: list[str] = []
        store._db.set_trace_callback(queries.append)

        store.preload(["sub1", "sub2", "sub11", None, "root3", "unknown"])
        assert [q.split()[0] for q in queries] == ["SELECT", "SELECT"]  # subs, then roots

        queries.clear()
        chains = {code: store.chain(code) for code in ("sub1", "sub2", "sub11", "root3")}
        assert queries == []
        assert [m["code"] for m in chains["sub11"].models] == ["root1", "sub11"]
        assert [m["code"] for m in chains["root3"].models] == ["root3"]
        store.preload(["sub1", "sub11"])  # their chains are kept: nothing to read
        assert queries == []
    finally:
        store.close()
