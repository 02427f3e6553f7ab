"""The one lifecycle every destination follows, and the context it is given.

    sink = open_sink("sqlite:///catalog.db")      # registry: URL scheme or file extension
    sink.open(context)                           # create schema / temp files, take the lock
    sink.write(resource, rows, values)           # batched idempotent upserts, any order
    sink.delete(resource, keys, soft=True)       # for sync: mark or remove by key
    sink.commit(state)                           # make everything written so far durable,
                                                 # together with the sync state that covers it
    sink.close(ok)                               # ok=False: leave nothing that looks complete

Sinks know nothing of Akeneo's API, nor of transforms. Each declares what it stores
(``shape``: documents, documents plus ``product_values`` rows, or Akeneo's flat rows) and is
given ready rows: the runner shapes every batch with ``transform.shapes.shape_rows(sink.shape,
...)`` (docs/architecture.md, "Document contract" and "Derived shapes").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from akeneo_sync.resources import Resource, Shape

KEEP_RUNS = 1000
"""Run history entries a destination keeps; older ones are dropped as new ones come."""
Doc = dict[str, Any]
Key = tuple[Any, ...]
ValueRow = tuple[Any, ...]
"""A ``product_values`` row, one field per ``resources.VALUE_ROW_COLUMNS``, in that order."""


@dataclass
class SinkContext:
    resources: Sequence[Resource]
    """The resources this run writes; schema for them is created in ``open``."""
    values_table: bool | None = None
    """Whether a sink of the ``values`` shape keeps the long ``product_values`` table; without
    it, it stores documents only (shape ``document``). None: as the destination has it (a new
    one keeps it; one whose last run left it out goes on without)."""


class Sink(ABC):
    """Base class of all destinations; ``url`` is printed with secrets masked."""

    url: str
    shape: Shape = "document"
    """What it stores, so what ``write`` is given: ``document``, ``values`` (documents, and
    the products' ``product_values`` rows) or ``flat`` (Akeneo's flat rows of products and
    product models, documents of the rest); see ``transform.shapes``."""

    @abstractmethod
    def open(self, context: SinkContext) -> None: ...

    @abstractmethod
    def write(
        self, resource: Resource, rows: Sequence[Doc], values: Sequence[ValueRow] | None = None
    ) -> None:
        """Upsert ``rows`` (shaped for ``shape``) on ``resource.key``; a row written twice is
        stored once. ``values``: the products' ``product_values`` rows, for the ``values``
        shape."""

    def delete(self, resource: Resource, keys: Sequence[Key], *, soft: bool = True) -> None:
        """Mark (soft: set ``deleted_at``) or remove the documents with these keys."""
        raise NotImplementedError(f"{type(self).__name__} does not support deletions yet")

    @abstractmethod
    def commit(self, state: Mapping[str, Any] | None = None) -> None:
        """Durably store everything written so far, with ``state`` if given, atomically."""

    def checkpoint(self, state: Mapping[str, Any]) -> None:
        """Mid-run: make what was written so far and ``state`` survive a crash, together, so
        that ``read_state`` of the next run gives ``state``. A database commits; file sinks
        commit their work index and rewrite no output (``commit`` does that, once)."""
        self.commit(state)

    @abstractmethod
    def close(self, ok: bool) -> None:
        """Release resources; on ``ok=False`` roll back what is not committed."""

    def read_state(self) -> dict[str, Any] | None:
        """The last committed state, or None for a destination never synced."""
        return None

    def keys(self, resource: Resource) -> Iterator[Key]:
        """Keys of the stored documents that are not soft-deleted (for deletion checks)."""
        for doc in self.read(resource):
            if not doc.get("deleted_at"):
                yield resource.key_of(doc)

    def get(self, resource: Resource, keys: Collection[Key]) -> Iterator[Doc]:
        """The stored documents with these keys, as ``read`` gives them (databases look them up
        by key; the default scans ``read``)."""
        wanted = set(keys)
        for doc in self.read(resource):
            if resource.key_of(doc) in wanted:
                yield doc

    @abstractmethod
    def read(self, resource: Resource) -> Iterator[Doc]:
        """Every stored document of ``resource`` (after ``close``/``commit``), for tests,
        reconciliation and ``akeneo-sync state``; soft-deleted ones carry ``deleted_at``.
        A flat sink gives its products and models back as flat rows (there is no way back to
        documents) and every other resource as documents."""

    # -- run history (``run/history.py``) and read-only access --------------------------------

    def record_run(self, entry: Mapping[str, Any]) -> None:
        """Keep one run's history entry in the state's own storage, with the last
        ``KEEP_RUNS`` before it. The runner calls it once a run's outcome is known: after the
        commit of a run that succeeded, after the rollback of one that failed; so it writes on
        its own, outside the data's transaction, and works on a closed sink too. The default
        keeps nothing: a destination without a history."""
        return

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last ``limit`` history entries, newest first (read-only, no lock)."""
        return []

    def exists(self) -> bool:
        """Whether the destination is there, found without creating anything: read-only
        commands (``state``, ``status``) say "no such destination" rather than create one."""
        return True
