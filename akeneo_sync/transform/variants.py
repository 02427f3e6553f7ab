"""Merge a variant product (or a sub model) with its parent models: root -> sub model -> child.

Akeneo already merges inherited values and categories into what ``/products-uuid`` returns, but
not every server does (older versions, partial ``attributes`` queries, the emulator's fault modes)
and we cannot tell from one document. Merging again is harmless: a child that already carries its
parents' values gets the same entries back, so the result is the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from akeneo_sync.transform._types import identifier_code

Doc = dict[str, Any]
Values = dict[str, list[dict[str, Any]]]


def _slot(value: Mapping[str, Any]) -> tuple[Any, Any]:
    # Records and assets say ``channel``; products and models say ``scope``.
    return value.get("locale"), value.get("scope", value.get("channel"))


def merge_parent_values(*chain_values: Mapping[str, Any] | None) -> Values:
    """Values of a chain, root first: a later (child) entry wins per (attribute, locale, scope).

    Entries keep the position of the first one in their slot, so the result does not depend on
    whether the child repeated its parents' values.
    """
    merged: dict[str, dict[tuple[Any, Any], dict[str, Any]]] = {}
    for values in chain_values:
        for code, entries in (values or {}).items():
            slots = merged.setdefault(code, {})
            for value in entries or ():
                slots[_slot(value)] = value
    return {code: list(slots.values()) for code, slots in merged.items()}


def merge_categories(*chain_categories: Iterable[str] | None) -> list[str]:
    """Union of the chain's categories, in chain order, without duplicates."""
    return list(dict.fromkeys(c for cats in chain_categories for c in (cats or ())))


def parent_chain(
    doc: Mapping[str, Any], models: Mapping[str, Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The parent models of ``doc``, root first, as far as ``models`` knows them.

    Akeneo has at most two levels, but we walk without a depth limit and stop on a cycle, so a
    corrupted catalog ends the chain instead of the run.
    """
    chain: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    code = doc.get("parent")
    while code and code not in seen:
        seen.add(code)
        model = models.get(code)
        if model is None:
            break
        chain.append(model)  # read, never changed: no copy
        code = model.get("parent")
    chain.reverse()
    return chain


def _root_code(doc: Mapping[str, Any], chain: list[Mapping[str, Any]]) -> str | None:
    if not doc.get("parent"):
        return None
    if chain and not chain[0].get("parent"):
        return str(chain[0]["code"])
    # The chain is incomplete (a model we were not given): trust the server's root_parent if
    # it sent one, else the highest parent we know.
    if doc.get("root_parent"):
        return str(doc["root_parent"])
    return str(chain[0]["code"]) if chain else str(doc["parent"])


class Chain:
    """A parent model's chain merged once (root first): what every child of that parent shares.

    A catalog has far fewer parents than variants, and variants of one parent come close
    together, so a model store keeps these by parent code (``chain(code)``) and a variant only
    merges its own values onto a ready one instead of re-merging its whole chain."""

    __slots__ = ("categories", "category_set", "models", "slots")

    def __init__(self, models: list[Mapping[str, Any]]) -> None:
        self.models = models
        slots: dict[str, dict[tuple[Any, Any], dict[str, Any]]] = {}
        for model in models:
            for code, entries in (model.get("values") or {}).items():
                found = slots.setdefault(code, {})
                for value in entries or ():
                    found[_slot(value)] = value
        self.slots = slots
        self.categories = merge_categories(*(m.get("categories") for m in models))
        self.category_set = frozenset(self.categories)


_NO_CHAIN = Chain([])


def chain_of(code: str | None, models: Mapping[str, Mapping[str, Any]]) -> Chain:
    """The merged chain of parent ``code``: from the store's cache when it keeps one."""
    if not code:
        return _NO_CHAIN
    cached = getattr(models, "chain", None)
    if cached is not None:
        return cached(code)
    return Chain(parent_chain({"parent": code}, models))


def _own(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """One document's entries of an attribute, one per slot (the last wins, in the first's
    place): nearly always the list as it is, which is then shared rather than copied."""
    if not entries:
        return []
    slots = [_slot(value) for value in entries]
    if len(set(slots)) == len(slots):
        return entries
    merged = dict(zip(slots, entries, strict=True))
    return list(merged.values())


_ABSENT = object()


def merge_onto(chain: Chain, values: Mapping[str, Any] | None) -> Values:
    """``merge_parent_values(*chain's values, values)``, with the chain merged already.

    The hot path of a run (every product and model): the checks are spelled out inline."""
    own = values or {}
    out: Values = {}
    base = chain.slots
    for code, slots in base.items():
        entries = own.get(code)
        if not entries:
            out[code] = list(slots.values())
            continue
        if len(entries) == len(slots):
            # A server that merged already sends the parents' slots in their order: the child
            # wins each of them, so its list is the result.
            for value, (locale, scope) in zip(entries, slots, strict=True):
                found = value.get("scope", _ABSENT)
                if found is _ABSENT:
                    found = value.get("channel")
                if found != scope or value.get("locale") != locale:
                    break
            else:
                out[code] = entries
                continue
        merged = dict(slots)
        for value in entries:
            merged[_slot(value)] = value
        out[code] = list(merged.values())
    for code, entries in own.items():
        if code not in base:
            out[code] = entries if entries and len(entries) == 1 else _own(entries)
    return out


def merge_chain(
    doc: Mapping[str, Any],
    models: Mapping[str, Mapping[str, Any]],
    attributes: Mapping[str, Any] | None = None,
) -> Doc:
    """A product or product model with its chain's values and categories, per the contract.

    Adds ``root_parent`` and ``family_variant`` (from the parent models; a model keeps its own),
    and for products (documents with a ``uuid``) ``identifier``. ``models`` maps model code to
    model document (a model store also gives merged chains by parent code: ``chain(code)``);
    ``attributes`` maps attribute code to attribute document and is only needed to find the
    identifier attribute. The result shares the value lists it does not change with ``doc``.
    """
    parent = doc.get("parent")
    chain = chain_of(parent, models)
    out: Doc = dict(doc)
    out["values"] = values = merge_onto(chain, doc.get("values"))
    own_categories = doc.get("categories")
    if chain.categories:
        seen = chain.category_set
        extra = [c for c in dict.fromkeys(own_categories or ()) if c not in seen]
        out["categories"] = chain.categories + extra
    else:
        out["categories"] = list(dict.fromkeys(own_categories or ()))
    out["root_parent"] = _root_code(doc, chain.models)
    if "uuid" in doc:
        nearest = chain.models[-1] if chain.models else {}
        out["family_variant"] = (
            nearest.get("family_variant") or doc.get("family_variant") if parent else None
        )
        out["identifier"] = product_identifier(values, attributes or {}, doc)
    return out


def product_identifier(
    values: Mapping[str, Any], attributes: Mapping[str, Any], doc: Mapping[str, Any] | None = None
) -> str | None:
    """The data of the identifier attribute, or what the server sent as ``identifier``."""
    code = identifier_code(values, attributes)
    for value in values.get(code, ()) if code else ():
        if value.get("data") is not None:
            return str(value["data"])
    found = (doc or {}).get("identifier")
    return None if found is None else str(found)


def restrict_values(
    doc: Mapping[str, Any], locales: Iterable[str] | None, channel: str | None
) -> Doc:
    """Only the values Akeneo returns for ``locales=`` and ``scope=``: a value stays when it is
    not localizable or in one of ``locales``, and not scopable or of ``channel``. Merged parent
    values must obey the same filter as the product's own."""
    wanted = None if locales is None else frozenset(locales)
    if wanted is None and channel is None:
        return dict(doc)
    values = {}
    for code, entries in (doc.get("values") or {}).items():
        kept = [
            v
            for v in entries
            if (wanted is None or v.get("locale") is None or v.get("locale") in wanted)
            and (channel is None or v.get("scope") is None or v.get("scope") == channel)
        ]
        if kept:
            values[code] = kept
    return {**doc, "values": values}
