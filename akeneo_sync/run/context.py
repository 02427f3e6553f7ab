"""Everything one run shares, built once: the client, the sink behind its thread and writer, the
options, the reference data and its lookups, the model store and the stop signal.

Steps (``full``, ``incremental``, ``deletions``) take the context, read from it, write documents
through ``ctx.writer`` and return a ``Report`` of what they did; none of them writes the state.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import AkeneoClient
from akeneo_sync.extract import Doc
from akeneo_sync.run.media import MediaFetcher
from akeneo_sync.run.modelstore import ModelStore
from akeneo_sync.run.options import ExportOptions
from akeneo_sync.run.pipeline import Progress, SinkThread, Writer
from akeneo_sync.run.state import Marks
from akeneo_sync.sinks.base import Sink
from akeneo_sync.transform.lookups import Lookups, apply_labels, enrich_category
from akeneo_sync.transform.variants import merge_chain, restrict_values

PAGE = 100  # documents per queued piece, as Akeneo pages them


@dataclass
class Reference:
    """The reference data a run works with, and where it came from."""

    docs: dict[str, list[Doc]]
    light: bool = False
    """From the destination plus its ``updated`` changes, not re-read whole."""
    how: dict[str, str] = field(default_factory=dict)


@dataclass
class RunContext:
    client: AkeneoClient
    sink: Sink
    thread: SinkThread
    writer: Writer
    options: ExportOptions
    progress: Progress
    stop: asyncio.Event
    chosen: list[res.Resource]
    previous: Mapping[str, Any] = field(default_factory=dict)
    """The state the destination held when the run started (read-only)."""
    marks: Marks = field(default_factory=Marks)
    reference: Reference = field(default_factory=lambda: Reference({}))
    attributes: dict[str, Doc] = field(default_factory=dict)
    lookups: Lookups = field(default_factory=Lookups)
    models: ModelStore = field(default_factory=ModelStore)
    media: MediaFetcher | None = None
    _stored: dict[str, dict[Any, Doc]] = field(default_factory=dict)

    @property
    def wanted(self) -> set[str]:
        return {r.name for r in self.chosen}

    @property
    def families(self) -> list[str]:
        return [f["code"] for f in self.reference.docs["families"]]

    def use_reference(self, reference: Reference) -> None:
        """Take the run's reference data: attributes and lookups follow from it."""
        self.reference = reference
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

    def finish(self, doc: Doc) -> Doc:
        """A product or model merged with its chain (``self.models``) and labelled."""
        merged = merge_chain(doc, self.models, self.attributes)
        if self._value_locales is not None or self.options.filters.channel:
            merged = restrict_values(merged, self._value_locales, self.options.filters.channel)
        return apply_labels(merged, self.lookups) if self.options.labels else merged

    def prepare(self, resource: res.Resource, docs: list[Doc]) -> list[Doc]:
        """Reference documents as stored (categories get their paths)."""
        if resource is res.CATEGORIES:
            return [enrich_category(doc, self.lookups) for doc in docs]
        return docs

    async def write_products(self, docs: list[Doc]) -> None:
        if self.media:
            self.media.fetch(
                code for doc in docs for code in extract.media_codes(doc, self.attributes)
            )
        await self.writer.put(res.PRODUCTS, docs)

    async def done(self, name: str) -> None:
        await self.writer.then(functools.partial(self.progress.finish, name))

    def stored_documents(self) -> bool:
        """Whether the destination gives back the documents it stores (flat rows are no way
        back to documents)."""
        return not getattr(self.sink, "flat", False)

    def stored_models_usable(self) -> bool:
        """Whether the destination holds the product models as documents this run can merge
        with."""
        return "product_models" in self.wanted and self.stored_documents()

    async def stored(self, resource: res.Resource) -> dict[Any, Doc]:
        """The destination's documents of ``resource`` by key, read at most once a run: the
        read the light reference makes before anything is written serves the diff too."""
        found = self._stored.get(resource.name)
        if found is None:
            docs = await self.thread.call(lambda: list(self.sink.read(resource)))
            found = self._stored[resource.name] = {resource.key_of(d): d for d in docs}
        return found

    _value_locales: list[str] | None = None
