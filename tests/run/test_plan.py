"""Balanced partitions: parts of similar size whose union is exactly the listing, against the
emulator over HTTP (a skewed catalog: one family holds about half of it)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from akeneo_sync import plan
from akeneo_sync.client import AkeneoClient
from akeneo_sync.client.search import equals
from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

PRODUCTS = 3000


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(port=0, products=PRODUCTS, seed=5, families=40, family_skew=1.2)
    with EmulatorServer(config) as srv:
        yield srv


async def _plan_and_read(
    server: EmulatorServer, resource: str, base: dict, *, between: object = None
) -> tuple[list[plan.Partition], list[list[str]]]:
    """The plan, then every part read whole (its keys)."""
    key = "uuid" if resource == "products" else "code"
    async with AkeneoClient(**server.credentials()) as client:
        parts = await plan.plan(client, resource, base)
        if callable(between):
            between()
        keys = []
        for part in parts:
            keys.append(
                [d[key] async for page in client.pages(resource, search=part.search) for d in page]
            )
        return parts, keys


def _all_keys(server: EmulatorServer, resource: str, search: dict | None = None) -> list[str]:
    key = "uuid" if resource == "products" else "code"

    async def go() -> list[str]:
        async with AkeneoClient(**server.credentials()) as client:
            return [d[key] async for page in client.pages(resource, search=search) for d in page]

    return asyncio.run(go())


@pytest.mark.parametrize("resource", ["products", "product_models"])
def test_parts_cover_the_listing_once_largest_first_small_ones_last(
    server: EmulatorServer, resource: str
) -> None:
    parts, keys = asyncio.run(_plan_and_read(server, resource, {}))
    everything = _all_keys(server, resource)
    seen = Counter(k for part in keys for k in part)
    assert set(seen) == set(everything) and max(seen.values()) == 1
    sizes = [len(k) for k in keys]
    assert sizes == [p.size for p in parts]  # the probes counted right
    assert sizes == sorted(sizes, reverse=True)
    # No part holds more than a page or half a slot's share; the last four hold an
    # eighth of that, and a few pages, at most.
    target = max(plan.PAGE, -(-len(everything) // 8))
    assert max(sizes) <= target
    small = max(plan.PAGE, min(target // 8, plan.TAIL_PAGES * plan.PAGE))
    assert all(0 < s <= small for s in sizes[-4:])
    assert len(parts) >= 8


@pytest.mark.parametrize("resource", ["products", "product_models"])
def test_a_catalog_imported_in_one_go_is_split_with_few_probes(resource: str) -> None:
    # Everything created within three hours: halving the time line from 2010 on would spend
    # a probe on each of some fifteen halves before reaching it, one after the other.
    config = EmulatorConfig(port=0, products=PRODUCTS, seed=6, created_days=0.125)
    with EmulatorServer(config) as srv:

        async def go() -> tuple[list[plan.Partition], int, list[list[str]]]:
            key = "uuid" if resource == "products" else "code"
            async with AkeneoClient(**srv.credentials()) as client:
                parts = await plan.plan(client, resource, {})
                probes = client.stats.requests  # the token is asked within the first
                keys = [
                    [d[key] async for page in client.pages(resource, search=p.search) for d in page]
                    for p in parts
                ]
                return parts, probes, keys

        parts, probes, keys = asyncio.run(go())
        seen = Counter(k for part in keys for k in part)
        assert len(seen) == len(_all_keys(srv, resource)) and max(seen.values()) == 1
        assert [len(k) for k in keys] == [p.size for p in parts]
        assert probes <= len(parts) + 2, (probes, len(parts))


def test_a_first_page_in_the_order_of_creation_is_no_sample() -> None:
    # A listing sorted by an auto-increment key starts with its oldest documents: their stamps
    # say nothing of where the others are, and the plan halves the time line instead.
    stamps = [f"2024-01-{day:02d}T10:00:00+02:00" for day in range(1, 29)]
    assert plan.sample_of([{"created": s} for s in stamps]) == ()
    shuffled = stamps[::3] + stamps[1::3][::-1] + stamps[2::3]  # in no order
    sample = plan.sample_of([{"created": s} for s in shuffled])
    assert len(sample) == 28 and sample[0] == datetime(2024, 1, 1, 10)  # the server's own time
    assert plan.sample_of([{"code": "no stamp"}, {"created": stamps[0]}]) == ()


def test_the_plan_keeps_the_callers_filters() -> None:
    config = EmulatorConfig(port=0, products=1500, seed=9)
    with EmulatorServer(config) as srv:
        base = equals("enabled", True)
        parts, keys = asyncio.run(_plan_and_read(srv, "products", base))
        assert all(p.search["enabled"] == base["enabled"] for p in parts)
        assert sorted(k for part in keys for k in part) == sorted(_all_keys(srv, "products", base))


def test_a_small_listing_is_one_part() -> None:
    with EmulatorServer(EmulatorConfig(port=0, products=150, seed=2)) as srv:
        parts, keys = asyncio.run(_plan_and_read(srv, "products", {}))
        assert [p.name for p in parts] == [plan.whole({}).name] and len(keys[0]) == 150


def test_a_product_created_during_the_read_is_in_exactly_one_part() -> None:
    config = EmulatorConfig(port=0, products=1200, seed=4)
    with EmulatorServer(config) as srv:

        def create() -> None:
            with httpx.Client(base_url=srv.url, timeout=30) as http:
                token = http.post(
                    "/api/oauth/v1/token",
                    auth=("demo", "demo-secret"),
                    json={"grant_type": "password", "username": "demo", "password": "demo"},
                ).json()["access_token"]
                r = http.post(
                    "/api/rest/v1/products-uuid",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"values": {"sku": [{"locale": None, "scope": None, "data": "NEW-1"}]}},
                )
                assert r.status_code == 201, r.text

        parts, keys = asyncio.run(_plan_and_read(srv, "products", {}, between=create))
        seen = Counter(k for part in keys for k in part)
        assert len(seen) == 1201 and max(seen.values()) == 1
        # It fell in the part open towards the future.
        last = next(i for i, p in enumerate(parts) if p.name.endswith(".."))
        assert len(keys[last]) == (parts[last].size or 0) + 1


def test_a_document_on_a_boundary_is_in_the_later_part(server: EmulatorServer) -> None:
    async def go() -> tuple[str, list[list[str]]]:
        async with AkeneoClient(**server.credentials()) as client:
            first = [d async for page in client.pages("products") for d in page][7]
            moment = first["created"][:19].replace("T", " ")  # the emulator's clock is UTC
            names = [f"{plan.PREFIX}..{moment}", f"{plan.PREFIX}{moment}.."]
            parts = plan.from_names({}, names)
            assert parts is not None
            found = []
            for part in parts:
                found.append(
                    [
                        d["uuid"]
                        async for page in client.pages("products", search=part.search)
                        for d in page
                    ]
                )
            return first["uuid"], found

    uuid, (before, after) = asyncio.run(go())
    assert uuid not in before and uuid in after
    assert len(before) + len(after) == PRODUCTS


def test_names_that_are_not_ranges_are_refused() -> None:
    assert plan.from_names({}, ["shoes", "(no family)"]) is None
    rebuilt = plan.from_names(
        {}, ["created ..2024-01-01 00:00:00", "created 2024-01-01 00:00:00.."]
    )
    assert rebuilt is not None
    assert rebuilt[0].search == {"created": [{"operator": "<", "value": "2024-01-01 00:00:00"}]}
    assert rebuilt[1].search == {"created": [{"operator": ">", "value": "2023-12-31 23:59:59"}]}
