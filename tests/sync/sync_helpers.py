"""Shared pieces of the sync tests: an emulator changed through its HTTP API (as a real
integration would), runs of the library against it, and the oracle: a fresh full export into an
empty destination of the same kind, compared per resource by canonical hash."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sinks"))

from canonical import by_key, flat_canonical, resource_hash

from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient
from akeneo_sync.emulator import EmulatorServer
from akeneo_sync.run import ExportOptions, Report, export, sync
from akeneo_sync.sinks import open_sink

V1 = "/api/rest/v1"
P = V1 + "/products-uuid"
M = V1 + "/product-models"


class Api:
    """Plain httpx against the emulator: the catalog changes the way a PIM user's would."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=30)
        cfg = server.config
        r = self.http.post(
            "/api/oauth/v1/token",
            auth=(cfg.client_id, cfg.secret),
            json={"grant_type": "password", "username": cfg.username, "password": cfg.password},
        )
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def close(self) -> None:
        self.http.close()

    def _ok(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code < 300, (response.request.url, response.text)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self._ok(self.http.get(path, params=params)).json()

    def walk(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        url: str | None = path
        first: dict[str, Any] | None = {"limit": 100, **params}
        while url:
            body = self._ok(self.http.get(url, params=first)).json()
            first = None
            yield from body["_embedded"]["items"]
            url = body["_links"].get("next", {}).get("href")

    def products(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.walk(P, pagination_type="search_after", **params))

    def models(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.walk(M, pagination_type="search_after", **params))

    def patch_product(self, uuid: str, body: dict[str, Any]) -> None:
        self._ok(self.http.patch(f"{P}/{uuid}", json=body))

    def create_product(self, sku: str, family: str, **body: Any) -> str:
        values = {"sku": [{"locale": None, "scope": None, "data": sku}]}
        r = self._ok(self.http.post(P, json={"values": values, "family": family, **body}))
        return r.headers["Location"].rsplit("/", 1)[1]

    def delete_product(self, uuid: str) -> None:
        self._ok(self.http.delete(f"{P}/{uuid}"))

    def patch_model(self, code: str, body: dict[str, Any]) -> None:
        self._ok(self.http.patch(f"{M}/{code}", json=body))

    def delete_model(self, code: str) -> None:
        self._ok(self.http.delete(f"{M}/{code}"))

    def patch_option(self, attribute: str, code: str, labels: dict[str, str]) -> None:
        self._ok(
            self.http.patch(f"{V1}/attributes/{attribute}/options/{code}", json={"labels": labels})
        )

    def patch_category(self, code: str, body: dict[str, Any]) -> None:
        self._ok(self.http.patch(f"{V1}/categories/{code}", json=body))

    def stats(self) -> dict[str, Any]:
        return dict(self.http.get("/_emulator/stats").json())

    def faults(self, **changes: Any) -> None:
        self._ok(self.http.post("/_emulator/faults", json=changes))


def name_value(text: str) -> dict[str, Any]:
    return {"name": [{"locale": "en_US", "scope": None, "data": text}]}


def client_for(server: EmulatorServer) -> AkeneoClient:
    return AkeneoClient(**server.credentials())


def run_sync(
    server: EmulatorServer,
    dest: str,
    *,
    full: bool = False,
    fmt: str | None = None,
    **options: Any,
) -> Report:
    async def go() -> Report:
        async with client_for(server) as client:
            sink = open_sink(dest, format=fmt)
            return await sync(client, sink, ExportOptions(**options), full=full)

    # Every run re-reads the reference data unless a test says otherwise: the default (once an
    # hour) would make most of the runs of a test light ones.
    options.setdefault("reconcile_every", 1)

    return asyncio.run(go())


def run_export(server: EmulatorServer, dest: str, fmt: str | None = None, **options: Any) -> Report:
    async def go() -> Report:
        async with client_for(server) as client:
            return await export(client, open_sink(dest, format=fmt), ExportOptions(**options))

    return asyncio.run(go())


def live_docs(dest: str, resource: res.Resource, fmt: str | None = None) -> list[dict[str, Any]]:
    """Documents of ``resource`` that are not soft-deleted (flat rows as text, empty cells
    dropped, for CSV and Parquet: a column another row needed is no difference)."""
    docs = [d for d in open_sink(dest, format=fmt).read(resource) if not d.get("deleted_at")]
    if fmt in ("csv", "parquet"):
        return [flat_canonical(d) for d in docs]
    return docs


def hashes(dest: str, fmt: str | None = None) -> dict[str, str]:
    return {r.name: resource_hash(r, live_docs(dest, r, fmt)) for r in res.ALL}


def differences(dest: str, oracle: str, fmt: str | None = None) -> dict[str, Any]:
    """Per resource whose hash differs: keys missing, extra and changed (a few of each)."""
    out: dict[str, Any] = {}
    for r in res.ALL:
        got = by_key(r, live_docs(dest, r, fmt))
        want = by_key(r, live_docs(oracle, r, fmt))
        if got == want:
            continue
        changed = [k for k in got.keys() & want.keys() if got[k] != want[k]]
        out[r.name] = {
            "missing": sorted(want.keys() - got.keys())[:5],
            "extra": sorted(got.keys() - want.keys())[:5],
            "changed": sorted(changed)[:5],
            "counts": (len(got), len(want)),
        }
    return out


def assert_matches_fresh_export(
    server: EmulatorServer, dest: str, oracle: str, fmt: str | None = None, **options: Any
) -> None:
    """``dest`` holds what a full export into an empty ``oracle`` holds, resource by resource."""
    run_export(server, oracle, fmt, **options)
    diff = differences(dest, oracle, fmt)
    assert not diff, diff
    assert hashes(dest, fmt) == hashes(oracle, fmt)
