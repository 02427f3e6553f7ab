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


def merge_chain(
    doc: Mapping[str, Any],
    models: Mapping[str, Mapping[str, Any]],
    attributes: Mapping[str, Any] | None = None,
) -> Doc:
    """A product or product model with its chain's values and categories, per the contract.

    Adds ``root_parent`` and ``family_variant`` (from the parent models; a model keeps its own),
    and for products (documents with a ``uuid``) ``identifier``. ``models`` maps model code to
    model document; ``attributes`` maps attribute code to attribute document and is only needed
    to find the identifier attribute.
    """
    chain = parent_chain(doc, models)
    out: Doc = dict(doc)
    out["values"] = merge_parent_values(*(m.get("values") for m in chain), doc.get("values"))
    out["categories"] = merge_categories(
        *(m.get("categories") for m in chain), doc.get("categories")
    )
    out["root_parent"] = _root_code(doc, chain)
    if "uuid" in doc:
        nearest = chain[-1] if chain else {}
        out["family_variant"] = (
            nearest.get("family_variant") or doc.get("family_variant")
            if doc.get("parent")
            else None
        )
        out["identifier"] = product_identifier(out["values"], attributes or {}, doc)
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
