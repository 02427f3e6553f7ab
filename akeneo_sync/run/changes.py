"""The event strategy's reader: what a batch of events names, read again from Akeneo.

An Event Platform event only says "this entity may have changed" (ids only, at least once, in
any order), so nothing here applies an event as a transition. Every entity an event names is
fetched *now*, and what is written is Akeneo's current state:

- attribute options and categories: the option list of the attribute / the categories by code,
  put in place of the reference documents the session holds, then diffed with the stored ones
  like a reconciling run does (a moved category changes the paths below it); with ``--labels``
  the products and models showing a moved label are read again (``ctx.relabel``);
- product models: by code, with the sub models of a root, their chains, and every variant
  product below them (a model's values reach its variants without an event of their own);
- products: ``uuid IN`` (100 a request) with the run's filters, merged with a model chain.
  Without ``stored_parents`` the chain is read from Akeneo in the same batch; with it (the
  applier, which keeps a ``ModelCache``), from what an earlier batch read (``known``), else the
  destination, else Akeneo. A stored or kept parent may be one whose event is still on its
  way: that event's batch reads the model and all its variants again, so they converge.

An entity the fetch does not find (deleted, or outside the run's filters) is deleted from the
destination when it holds it, as a sync would; a model's stored sub models and variants go with
it once confirmed gone too (Akeneo sends no event for what a model's deletion cascades to). An
old ``updated`` event arriving after the deletion finds nothing and writes nothing. A created
product found nowhere may not be in Akeneo's search index yet: it is reported in ``unseen`` for
the caller to ask again later.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from akeneo_sync import extract
from akeneo_sync import resources as res
from akeneo_sync.client import Page
from akeneo_sync.client.search import Search, chunks, in_, replaced
from akeneo_sync.errors import NotFoundError
from akeneo_sync.extract import Doc
from akeneo_sync.run import incremental, reference
from akeneo_sync.run.context import Batch, Key, ReadContext
from akeneo_sync.run.full import model_filters


@dataclass
class Changes:
    """What a batch of events names, by kind (the verb matters only for ``created``)."""

    products: set[str] = field(default_factory=set)
    created: set[str] = field(default_factory=set)
    """Products named by a ``created`` event: not found may mean not indexed yet."""
    models: set[str] = field(default_factory=set)
    options: set[tuple[str, str]] = field(default_factory=set)
    """(attribute code, option code)."""
    categories: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.products or self.models or self.options or self.categories)


class ChangeReader:
    """One batch's read: ``async for batch in ChangeReader(ctx).read(changes)``."""

    def __init__(
        self, ctx: ReadContext, known: Iterable[str] = (), *, stored_parents: bool = False
    ) -> None:
        """``known``: models already in ``ctx.models`` as Akeneo has them (read by an earlier
        batch, and no event named them since): not asked for again. ``stored_parents``: the
        parents of products come from the destination when it holds them (see
        ``_stored_parents``), else from Akeneo."""
        self.ctx = ctx
        self.stored_parents = stored_parents
        self.seen: set[str] = set()
        """Products handed out already (a variant of a changed model named by an event too)."""
        self.fetched: set[str] = set(known)
        """Models asked from Akeneo in this batch, or known: fresh in ``ctx.models``."""
        self.models_read: dict[str, str | None] = {}
        """Models this batch read from Akeneo (code -> parent), for the caller to keep."""
        self.unseen: set[str] = set()

    def wanted(self, resource: res.Resource) -> bool:
        return resource.name in self.ctx.options.resources

    async def read(self, changes: Changes) -> AsyncIterator[Batch]:
        # Reference first: the lookups that label the products below must be the new ones.
        if changes.options:
            async for batch in self._options(changes.options):
                yield batch
        if changes.categories:
            async for batch in self._categories(changes.categories):
                yield batch
        check = set(changes.products)
        if changes.models and (self.wanted(res.PRODUCT_MODELS) or self.wanted(res.PRODUCTS)):
            async for batch in self._models(changes.models, check):
                yield batch
        if check and self.wanted(res.PRODUCTS):
            async for batch in self._products_by_uuid(check, changes.created):
                yield batch
        if self.ctx.relabel:
            async for batch in self._relabelled():
                yield batch

    # -- reference documents ---------------------------------------------------------------
    async def _options(self, keys: set[tuple[str, str]]) -> AsyncIterator[Batch]:
        ref = await self.ctx.ref()
        docs = ref.docs["attribute_options"]
        fresh: set[Key] = set()
        for attribute in sorted({a for a, _ in keys}):
            try:
                options = [o async for page in self._option_pages(attribute) for o in page]
            except NotFoundError:  # the attribute itself is gone: so are its options
                options = []
            docs[:] = [d for d in docs if d["attribute"] != attribute] + options
            fresh.update((o["attribute"], o["code"]) for o in options)
        async for batch in self._reference(res.ATTRIBUTE_OPTIONS, set(keys) - fresh):
            yield batch

    def _option_pages(self, attribute: str) -> AsyncIterator[list[Doc]]:
        return self.ctx.client.pages("attribute_options", parent=attribute)

    async def _categories(self, codes: set[str]) -> AsyncIterator[Batch]:
        ref = await self.ctx.ref()
        found: dict[str, Doc] = {}
        for chunk in chunks(sorted(codes)):
            async for page in self.ctx.client.pages("categories", search=in_("code", chunk)):
                found.update((c["code"], c) for c in page)
        docs = ref.docs["categories"]
        docs[:] = [d for d in docs if d["code"] not in codes] + list(found.values())
        async for batch in self._reference(res.CATEGORIES, {(c,) for c in codes - set(found)}):
            yield batch

    async def _reference(self, resource: res.Resource, gone: set[Key]) -> AsyncIterator[Batch]:
        """The reference documents that now differ from the stored ones (and, with labels, the
        searches for what shows them), then the stored ones gone upstream."""
        ctx = self.ctx
        assert ctx.reference is not None
        ctx.use_reference(ctx.reference)  # new lookups from the documents changed in place
        async for batch in reference.read_reference(ctx, resource, diff=True, deletions=False):
            if self.wanted(resource):
                yield batch
        stored = await ctx.stored_docs(resource)
        live = sorted(k for k in gone if k in stored and not stored[k].get("deleted_at"))
        if live and self.wanted(resource) and ctx.options.deletes != "ignore":
            yield Batch(resource, deleted=live)

    # -- product models ----------------------------------------------------------------------
    async def _models(self, codes: set[str], products: set[str]) -> AsyncIterator[Batch]:
        """The models, the sub models of those that are roots, every variant below them; the
        stored ones gone upstream with their stored descendants (checked in ``products``)."""
        ctx = self.ctx
        filters = model_filters(ctx)
        base = filters.search(products=False)
        named = [replaced(base, in_("identifier", c)) for c in chunks(sorted(codes))]
        found = await self._search_models(named)
        roots = sorted(code for code, m in found.items() if not m.get("parent"))
        subs = [replaced(base, in_("parent", c)) for c in chunks(roots)]
        found.update(await self._search_models(subs))
        await self._fresh_parents(found.values())
        if self.wanted(res.PRODUCT_MODELS):
            yield Batch(res.PRODUCT_MODELS, ctx.finish(found.values()))
        if self.wanted(res.PRODUCTS) and found:
            products_base = ctx.options.filters.search(products=True)
            variants = [replaced(products_base, in_("parent", c)) for c in chunks(sorted(found))]
            async for batch in self._products(variants):
                yield batch
        gone = codes - set(found)
        if gone:
            async for batch in self._models_gone(gone, products):
                yield batch

    async def _search_models(self, searches: Iterable[Search]) -> dict[str, Doc]:
        found: dict[str, Doc] = {}
        client, filters = self.ctx.client, model_filters(self.ctx)
        async for page in extract.search_pages(client, "product_models", searches, filters):
            found.update((m["code"], m) for m in page)
        self.ctx.models.update(found)
        self.fetched.update(found)
        self.models_read.update((code, m.get("parent")) for code, m in found.items())
        return found

    async def _models_gone(self, gone: set[str], products: set[str]) -> AsyncIterator[Batch]:
        """Deleting a model deletes its sub models and variants, with no event for them: the
        stored ones are confirmed gone (the models here, the products by the caller)."""
        ctx, stored = self.ctx, self.ctx.stored
        if stored is None:
            return

        def below(kind: res.Resource, parents: set[str]) -> list[Doc]:
            return [d for d in stored.read(kind) if d.get("parent") in parents]

        subs: set[str] = set()
        if self.wanted(res.PRODUCT_MODELS):
            subs = {d["code"] for d in await ctx.call(below, res.PRODUCT_MODELS, gone)}
        if subs:
            base = model_filters(ctx).search(products=False)
            searches = [replaced(base, in_("identifier", c)) for c in chunks(sorted(subs))]
            gone |= subs - set(await self._search_models(searches))
        if self.wanted(res.PRODUCTS):
            variants = await ctx.call(below, res.PRODUCTS, gone)
            products.update(d["uuid"] for d in variants if not d.get("deleted_at"))
        live = await self._live(res.PRODUCT_MODELS, gone)
        if live and self.wanted(res.PRODUCT_MODELS) and ctx.options.deletes != "ignore":
            yield Batch(res.PRODUCT_MODELS, deleted=live)

    async def _fresh_parents(self, docs: Iterable[Doc]) -> None:
        """The models ``docs`` hang from, from Akeneo (two levels at most), unless this batch
        read them already."""
        missing = {d["parent"] for d in docs if d.get("parent")} - self.fetched
        if missing and self.stored_parents and self.ctx.stored_models():
            missing = await self._stored_parents(missing)
        for _ in range(2):
            if not missing:
                return
            found = await incremental.models_by_code(self.ctx, missing)
            self.fetched |= missing
            self.models_read.update((m["code"], m.get("parent")) for m in found)
            missing = {m["parent"] for m in found if m.get("parent")} - self.fetched

    async def _stored_parents(self, codes: set[str]) -> set[str]:
        """The models ``codes`` (and their roots) as the destination holds them; returns those
        it does not hold, for Akeneo. A stored model is the one Akeneo had when it was last
        written: by a model event's batch (which also rewrites every variant below it) or by a
        sync. So it is as current as the events say, like a model an earlier batch read: one
        whose event is still on its way is read again, with its variants, when it arrives; one
        whose event was lost, by the next reconciling sync (which also empties the caller's
        cache). Akeneo is asked for none of them."""
        ctx, stored = self.ctx, self.ctx.stored
        assert stored is not None
        wanted, ask = set(codes), set()
        for _ in range(2):
            keys = [(code,) for code in sorted(wanted)]
            docs = await ctx.call(lambda k=keys: list(stored.get(res.PRODUCT_MODELS, k)))
            found = {d["code"]: d for d in docs if not d.get("deleted_at")}
            ctx.models.update_many(found.values())
            self.fetched |= found.keys()
            self.models_read.update((code, m.get("parent")) for code, m in found.items())
            ask |= wanted - found.keys()
            wanted = {m["parent"] for m in found.values() if m.get("parent")} - self.fetched
            if not wanted:
                break
        return ask | wanted

    # -- products ------------------------------------------------------------------------------
    async def _products_by_uuid(self, uuids: set[str], created: set[str]) -> AsyncIterator[Batch]:
        base = self.ctx.options.filters.search(products=True)
        found: set[str] = set()
        for chunk in chunks(sorted(uuids)):
            search = replaced(base, in_("uuid", chunk))
            async for batch in self._products([search], found, expected=len(chunk)):
                yield batch
        missing = uuids - found - self.seen
        held = await self._held(res.PRODUCTS, missing)
        live = [k for k, doc in held.items() if not doc.get("deleted_at")]
        self.unseen = (missing & created) - {k[0] for k in held}
        if live and self.ctx.options.deletes != "ignore":
            yield Batch(res.PRODUCTS, deleted=sorted(live))

    async def _products(
        self,
        searches: Iterable[Search],
        found: set[str] | None = None,
        *,
        expected: int | None = None,
    ) -> AsyncIterator[Batch]:
        """``expected``: the searches can find that many products at most (a ``uuid IN``
        list): once they are all there the listing is not followed further, since a full page
        of 100 has a next link whose page would only be empty (a request per 100 products)."""
        ctx = self.ctx
        filters = ctx.options.filters
        count = 0
        pages = cast(
            AsyncGenerator[Page, None],
            extract.search_pages(ctx.client, "products", searches, filters),
        )
        async with contextlib.aclosing(pages):
            async for page in pages:
                count += len(page)
                if found is not None:
                    found.update(p["uuid"] for p in page)
                fresh = [p for p in page if p["uuid"] not in self.seen]
                self.seen.update(p["uuid"] for p in fresh)
                await self._fresh_parents(fresh)
                if fresh:
                    yield Batch(res.PRODUCTS, ctx.finish(fresh))
                if expected is not None and count >= expected:
                    return

    async def _relabelled(self) -> AsyncIterator[Batch]:
        """Products and models showing a label that moved (they keep their ``updated``)."""
        ctx = self.ctx
        if self.wanted(res.PRODUCT_MODELS):
            base = model_filters(ctx).search(products=False)
            models = await self._search_models(replaced(base, s) for s in ctx.relabel)
            await self._fresh_parents(models.values())
            if models:
                yield Batch(res.PRODUCT_MODELS, ctx.finish(models.values()))
        if self.wanted(res.PRODUCTS):
            base = ctx.options.filters.search(products=True)
            async for batch in self._products(replaced(base, s) for s in ctx.relabel):
                yield batch

    # -- the destination -----------------------------------------------------------------------
    async def _held(self, resource: res.Resource, keys: Iterable[Any]) -> dict[Key, Doc]:
        """The stored documents with these keys (soft-deleted ones included)."""
        stored = self.ctx.stored
        wanted = [(k,) for k in sorted(keys)]
        if stored is None or not wanted:
            return {}
        docs = await self.ctx.call(lambda: list(stored.get(resource, wanted)))
        return {resource.key_of(d): d for d in docs}

    async def _live(self, resource: res.Resource, keys: Iterable[Any]) -> list[Key]:
        held = await self._held(resource, keys)
        return sorted(k for k, doc in held.items() if not doc.get("deleted_at"))
