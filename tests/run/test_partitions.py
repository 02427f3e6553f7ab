"""Partitions: side-by-side cursors whose union is exactly the listing."""

from __future__ import annotations

from akeneo_sync.extract import Filters, partitions


def test_one_partition_per_family_plus_products_without_one() -> None:
    parts = partitions(Filters(enabled_only=True), ["shoes", "bags"], products=True)
    assert [p.name for p in parts] == ["bags", "shoes", "(no family)"]
    for part in parts:
        assert part.search["enabled"] == [{"operator": "=", "value": True}]
    assert parts[0].search["family"] == [{"operator": "IN", "value": ["bags"]}]
    assert parts[-1].search["family"] == [{"operator": "EMPTY"}]


def test_product_models_always_have_a_family() -> None:
    parts = partitions(Filters(), ["shoes"], products=False)
    assert [p.name for p in parts] == ["shoes"]
    assert "enabled" not in parts[0].search  # models have no `enabled`


def test_a_family_filter_reads_only_those_families() -> None:
    parts = partitions(Filters(families=["bags"]), ["shoes", "bags"], products=True)
    assert [(p.name, p.search["family"]) for p in parts] == [
        ("bags", [{"operator": "IN", "value": ["bags"]}])
    ]
