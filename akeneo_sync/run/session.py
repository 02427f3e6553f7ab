"""The pull side: read the catalog resource by resource, keep the state yourself.

For engines that own their destination and its state (dlt, a Singer tap, an Airflow or Dagster
task)::

    async with Session(client, options, stored=my_view) as session:
        state = saved.get("products")
        async for batch in session.read("products", state):
            store(batch.resource, batch.docs, batch.deleted)
            if batch.position is not None:
                saved["products"] = batch.position      # resume here after a crash
        saved["products"] = session.next_state("products")

Each resource's state is its own (``{"cursor": ...}`` once read whole; ``{"positions": ...}``
during a products read), so one can be reset alone. Without a cursor a resource is read whole;
with one, only what changed since (and, given ``stored``, a read-only view of what the caller
stored, the keys deleted upstream). Reference data, lookups and the model store are read lazily,
once a session. The push side (``runner.py``, ``akeneo_sync.export`` / ``sync``) reads through a
Session too: there is one extraction path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient
from akeneo_sync.client.search import akeneo_datetime, updated_after
from akeneo_sync.extract import Doc
from akeneo_sync.run import deletions, full, incremental, reference
from akeneo_sync.run.context import Batch, ReadContext, StoredView
from akeneo_sync.run.options import ExportOptions
from akeneo_sync.settings import Connection

__all__ = ["Batch", "Session", "StoredView"]


class Session:
    def __init__(
        self,
        client: AkeneoClient,
        options: ExportOptions | None = None,
        *,
        stored: StoredView | None = None,
        documents: bool = True,
        stop: asyncio.Event | None = None,
    ) -> None:
        """``stored``: what the caller already stored (any sink is one); ``documents``: whether
        it gives documents back (False for flat rows); ``stop``: set it to end reads early."""
        self.ctx = ReadContext(
            client,
            options or ExportOptions(),
            stop or asyncio.Event(),
            stored=stored,
            documents=documents,
        )

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, connection: Connection, options: ExportOptions | None = None, **kwargs: Any
    ) -> AsyncIterator[Session]:
        """A session with its own client: ``async with Session.connect(connection) as s:``;
        ``kwargs`` as for ``Session`` (``stored``, ``documents``, ``stop``)."""
        async with connection.client() as client, cls(client, options, **kwargs) as session:
            yield session

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.ctx.close()

    async def reference(self) -> dict[str, list[Doc]]:
        """Every reference resource's documents as Akeneo sends them, read once."""
        return (await self.ctx.ref()).docs

    async def read(
        self,
        resource: str,
        state: Mapping[str, Any] | None = None,
        *,
        full_read: bool = False,
        deep: bool = False,
    ) -> AsyncIterator[Batch]:
        """Batches of ``resource``: everything without a cursor in ``state`` (or with
        ``full_read``), else only what changed since it; with a stored view, the keys gone
        upstream follow (for assets, which Akeneo cannot count, only when ``deep``: that lists
        them all). A batch may carry documents of another resource (products whose
        associations pointed at a deleted model)."""
        kind = res.BY_NAME[resource]
        state = state or {}
        cursor = None if full_read else state.get("cursor")
        check = (
            self.ctx.stored is not None
            and self.ctx.options.deletes != "ignore"
            and (cursor is not None or (full_read and bool(state)))
        )
        if resource in extract.REFERENCE:
            pieces = reference.read_reference(
                self.ctx, kind, diff=cursor is not None, deletions=check
            )
        elif kind is res.ASSETS:
            search = updated_after(cursor, "iso") if cursor else None
            pieces = full.read_assets(self.ctx, search)
        elif kind is res.PRODUCT_MODELS:
            pieces = (
                incremental.read_changed_models(self.ctx, cursor)
                if cursor
                else full.read_models(self.ctx)
            )
        else:
            if "started" in state:
                started = datetime.fromisoformat(state["started"])
                self.ctx.marks.queried.setdefault("products", started)
            pieces = (
                incremental.read_changed_products(self.ctx, cursor)
                if cursor
                else full.read_products(self.ctx, state.get("positions"))
            )
        async for batch in pieces:
            yield batch
        if not check or self.ctx.stop.is_set():
            return
        if kind in (res.PRODUCTS, res.PRODUCT_MODELS):
            async for batch in deletions.read_deleted(self.ctx, kind):
                yield batch
        elif kind is res.ASSETS and deep:
            async for batch in deletions.read_deleted_assets(self.ctx):
                yield batch

    def next_state(self, resource: str) -> dict[str, Any]:
        """``resource``'s state after a complete read: the time its query started, minus the
        overlap (Akeneo's search index lags writes; the overlap is read twice, harmlessly)."""
        marks = self.ctx.marks
        start = marks.queried.get(resource, marks.started)
        return {"cursor": akeneo_datetime(start - self.ctx.options.overlap)}

    async def total(self, resource: str, state: Mapping[str, Any] | None = None) -> int | None:
        """How many documents a read of ``resource`` hands out, when that is cheap to know."""
        if resource in extract.REFERENCE and not (state or {}).get("cursor"):
            return len((await self.ctx.ref()).docs[resource])
        if resource in ("products", "product_models") and not (state or {}).get("cursor"):
            positions = (state or {}).get("positions")
            full = self.ctx.full_read(positions, products=resource == "products")
            return await full.total(resource)
        return None
