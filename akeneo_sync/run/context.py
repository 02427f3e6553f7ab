"""What every read of one session shares, built once: the client, the options, the reference
data and its lookups, the model store, the stop signal, and the caller's stored data.

The readers (``reference``, ``full``, ``incremental``, ``deletions``) take a ``ReadContext`` and
yield ``Batch``es; they never write anywhere. ``Session`` (the pull side) hands the batches to its
caller; the runner (the push side) hands them to a sink.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient
from akeneo_sync.client.search import Search
from akeneo_sync.extract import Doc
from akeneo_sync.run.fullread import FullRead
from akeneo_sync.run.modelstore import ModelStore
from akeneo_sync.run.options import ExportOptions
from akeneo_sync.run.state import Marks
from akeneo_sync.transform.lookups import Lookups, apply_labels, enrich_category
from akeneo_sync.transform.variants import merge_chain, restrict_values

Key = tuple[Any, ...]
PAGE = 100  # documents per batch, as Akeneo pages them


class StoredView(Protocol):
    """What the caller already stored, read-only: every sink is one. The incremental reads use
    it to diff reference data, find deletions and look parents up."""

    def read(self, resource: res.Resource) -> Iterator[Doc]: ...
    def keys(self, resource: res.Resource) -> Iterator[Key]: ...
    def get(self, resource: res.Resource, keys: Collection[Key]) -> Iterator[Doc]: ...


@dataclass
class Batch:
    """A piece of one resource's read: documents to upsert, keys deleted upstream, and the
    resource's state to resume from once this batch is stored."""

    resource: res.Resource
    docs: list[Doc] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)
    position: Mapping[str, Any] | None = None


@dataclass
class Reference:
    """The reference data a session works with, and where it came from."""

    docs: dict[str, list[Doc]]
    light: bool = False
    """From the stored data plus its ``updated`` changes, not re-read whole."""
    how: dict[str, str] = field(default_factory=dict)


@dataclass
class ReadContext:
    client: AkeneoClient
    options: ExportOptions
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    stored: StoredView | None = None
    """The caller's stored data, if any: what incremental reads compare with."""
    documents: bool = True
    """Whether ``stored`` gives documents back (flat rows do not)."""
    marks: Marks = field(default_factory=Marks)
    reference: Reference | None = None
    attributes: dict[str, Doc] = field(default_factory=dict)
    lookups: Lookups = field(default_factory=Lookups)
    models: ModelStore = field(default_factory=ModelStore)
    changed_models: dict[str, set[str]] = field(default_factory=dict)
    """Per cursor: the models an incremental read found changed since it."""
    relabel: list[Search] = field(default_factory=list)
    """Product and model searches that find every document showing a label that moved."""
    written: dict[str, set[Key]] = field(default_factory=dict)
    """Keys an incremental read handed out, per resource (for the deletion count check)."""
    _stored_docs: dict[str, dict[Any, Doc]] = field(default_factory=dict)
    _value_locales: list[str] | None = None
    off_loop: Any = None
    """Runs a stored-view call off the event loop (the sink's thread); None: inline."""
    how: dict[str, str] = field(default_factory=dict)
    """Per resource, how it was read (for the report)."""
    full: FullRead | None = None
    """The full read of models and products, once started (``run/fullread.py``)."""
    known: dict[str, list[Doc]] = field(default_factory=dict)
    """Reference listings read already in this run (``api.check_options``): not asked again."""
    reference_names: frozenset[str] = frozenset(extract.REFERENCE)
    """The reference listings read (``extract.reference_needed``; the others stay empty)."""
    _answered: asyncio.Event = field(default_factory=asyncio.Event)
    _reading: asyncio.Future[dict[str, list[Doc]]] | None = None

    async def ref(self) -> Reference:
        """The reference data, read whole on first use."""
        if self.reference is None:
            docs = await asyncio.shield(self._read_reference())
            if self.reference is None:
                self.use_reference(Reference(docs))
        assert self.reference is not None
        return self.reference

    def _read_reference(self) -> asyncio.Future[dict[str, list[Doc]]]:
        if self._reading is None:
            reading = extract.read_reference(
                self.client, self._answered, self.known, self.reference_names
            )
            self._reading = asyncio.ensure_future(reading)
        return self._reading

    async def reached(self) -> None:
        """Akeneo has answered this session (the reference's first request, which others wait
        for, so that a wrong URL or password fails once): other readers may start."""
        if self._answered.is_set():
            return
        reading = self._read_reference()
        answered = asyncio.ensure_future(self._answered.wait())
        waiters: set[asyncio.Future[Any]] = {answered, reading}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if not answered.done():
            answered.cancel()
            reading.result()  # raises why the reference could not be read

    def full_read(
        self, positions: Mapping[str, str | None] | None = None, *, products: bool = False
    ) -> FullRead:
        """The full read of models, started on first use, and of ``products`` too
        (``positions``: a checkpoint's product cursors to go on from)."""
        if self.full is None:
            self.full = FullRead(self)
        if products:
            self.full.want_products(positions)
        return self.full

    def close(self) -> None:
        """Background reads stopped, the model store removed."""
        if self.full is not None:
            self.full.close()
        if self._reading is not None:
            self._reading.cancel()
            if self._reading.done() and not self._reading.cancelled():
                self._reading.exception()  # retrieved: whoever awaited it raised it
        self.models.close()

    def use_reference(self, reference: Reference) -> None:
        self.reference = reference
        self._answered.set()
        docs = reference.docs
        self.attributes.update((a["code"], a) for a in docs["attributes"])
        self.lookups = Lookups.build(
            self.options.labels,
            attributes=self.attributes,
            attribute_options=docs["attribute_options"],
            categories=docs["categories"],
            families=docs["families"],
            reference_entity_records=docs["reference_entity_records"],
        )
        filters = self.options.filters
        # With a channel and no locales, Akeneo limits values to the channel's locales.
        channel = next((c for c in docs["channels"] if c["code"] == filters.channel), {})
        self._value_locales = filters.locales or channel.get("locales")

    @property
    def families(self) -> list[str]:
        assert self.reference is not None
        return [f["code"] for f in self.reference.docs["families"]]

    def finish(self, docs: Iterable[Doc]) -> list[Doc]:
        """Products or models, each merged with its chain (``self.models``) and labelled."""
        docs = list(docs)
        self.models.preload(doc.get("parent") for doc in docs)
        return [self._finish(doc) for doc in docs]

    def _finish(self, doc: Doc) -> Doc:
        merged = merge_chain(doc, self.models, self.attributes)
        if self._value_locales is not None or self.options.filters.channel:
            merged = restrict_values(merged, self._value_locales, self.options.filters.channel)
        return apply_labels(merged, self.lookups) if self.options.labels else merged

    def prepare(self, resource: res.Resource, docs: list[Doc]) -> list[Doc]:
        """Reference documents as stored (categories get their paths)."""
        if resource is res.CATEGORIES:
            return [enrich_category(doc, self.lookups) for doc in docs]
        return docs

    async def call(self, fn: Any, *args: Any) -> Any:
        if self.off_loop is not None:
            return await self.off_loop(fn, *args)
        return fn(*args)

    async def stored_docs(self, resource: res.Resource) -> dict[Any, Doc]:
        """The stored documents of ``resource`` by key (none without a stored view), read at
        most once a session: the light reference's read serves the diff too."""
        found = self._stored_docs.get(resource.name)
        if found is None:
            docs: list[Doc] = []
            if self.stored is not None:
                stored = self.stored
                docs = await self.call(lambda: list(stored.read(resource)))
            found = self._stored_docs[resource.name] = {resource.key_of(d): d for d in docs}
        return found

    def stored_models(self) -> bool:
        """Whether the stored data holds product models as documents to merge with."""
        return (
            self.stored is not None
            and self.documents
            and "product_models" in self.options.resources
        )

    def remember(self, resource: res.Resource, docs: list[Doc]) -> None:
        """Keys handed out by an incremental read (its few changes)."""
        self.written.setdefault(resource.name, set()).update(resource.key_of(d) for d in docs)
