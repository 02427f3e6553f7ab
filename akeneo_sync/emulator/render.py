"""Render products and product models in Akeneo's wire shape for one request's view
(``attributes``, ``locales``, ``scope``, ``with_*`` flags, absolute links)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from akeneo_sync.emulator import scores
from akeneo_sync.emulator.catalog_data import CHANNELS
from akeneo_sync.emulator.config import EmulatorConfig, iso

if TYPE_CHECKING:
    from akeneo_sync.emulator.catalog import Catalog

MEDIA_TYPES = ("pim_catalog_image", "pim_catalog_file")
SELECT_TYPES = ("pim_catalog_simpleselect", "pim_catalog_multiselect")


@dataclass
class View:
    base: str  # absolute API root, e.g. http://127.0.0.1:8081/api/rest/v1
    attributes: set[str] | None = None
    locales: set[str] | None = None
    scope: str | None = None
    with_options: bool = False
    with_completenesses: bool = False
    with_quality_scores: bool = False
    legacy: bool = False
    links: bool = True


class Renderer:
    def __init__(self, cat: Catalog, config: EmulatorConfig) -> None:
        self.cat = cat
        self.config = config

    @property
    def merged(self) -> bool:
        return self.config.variant_values == "merged"

    # -- values ----------------------------------------------------------------------------
    def model_values(self, m: int, merged: bool | None = None) -> dict[str, list[dict[str, Any]]]:
        own = self.cat.model_own(m)["values"]
        parent = self.cat.m_parent[m]
        if parent < 0 or not (self.merged if merged is None else merged):
            return own
        return {**self.cat.model_own(parent)["values"], **own}

    def product_values(self, i: int, merged: bool | None = None) -> dict[str, list[dict[str, Any]]]:
        own = self.cat.product_own(i)["values"]
        parent = self.cat.p_parent[i]
        if parent < 0 or not (self.merged if merged is None else merged):
            return own
        return {**self.model_values(parent, True), **own}

    def shape_values(
        self, values: dict[str, list[dict[str, Any]]], view: View, skip: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        locales = view.locales
        if locales is None and view.scope:
            locales = set(CHANNELS[view.scope][1])
        attrs = self.cat.s.attr_by_code
        out: dict[str, list[dict[str, Any]]] = {}
        for code, entries in values.items():
            if code == skip or (view.attributes is not None and code not in view.attributes):
                continue
            typ = attrs[code]["type"] if code in attrs else ""
            shaped = []
            for e in entries:
                if locales is not None and e["locale"] is not None and e["locale"] not in locales:
                    continue
                if view.scope and e["scope"] is not None and e["scope"] != view.scope:
                    continue
                item = {"locale": e["locale"], "scope": e["scope"], "data": e["data"]}
                if typ in MEDIA_TYPES and isinstance(e["data"], str):
                    item["_links"] = {
                        "download": {"href": f"{view.base}/media-files/{e['data']}/download"}
                    }
                elif view.with_options and typ in SELECT_TYPES and e["data"] is not None:
                    item["linked_data"] = self._linked(code, e["data"])
                shaped.append(item)
            if shaped:
                out[code] = shaped
        return out

    def _linked(self, attr: str, data: Any) -> Any:
        options = self.cat.s.option_by_code.get(attr, {})

        def one(code: str) -> dict[str, Any]:
            opt = options.get(code)
            return {"attribute": attr, "code": code, "labels": opt["labels"] if opt else {}}

        if isinstance(data, list):
            return {c: one(c) for c in data}
        return one(data)

    # -- documents -------------------------------------------------------------------------
    def _associations(self, chain: list[dict[str, Any]], view: View) -> dict[str, Any]:
        cat = self.cat
        out: dict[str, Any] = {}
        for own in chain:
            for typ, links in own.get("associations", {}).items():
                slot = out.setdefault(typ, {"products": [], "product_models": [], "groups": []})
                for key in ("products", "product_models", "groups"):
                    for ref in links.get(key, []):
                        if key == "products":
                            idx = cat.index_of_uuid(ref)
                            if idx is None:
                                continue  # deleted products disappear from associations
                            if view.legacy:
                                ref = cat.identifier(idx)
                        if ref not in slot[key]:
                            slot[key].append(ref)
        return out

    def product(self, i: int, view: View) -> dict[str, Any]:
        cat = self.cat
        own = cat.product_own(i)
        parent = cat.p_parent[i]
        merged = self.merged and parent >= 0
        chain = [own]
        if merged:
            chain.insert(0, cat.model_own(parent))
            if cat.m_parent[parent] >= 0:
                chain.insert(0, cat.model_own(cat.m_parent[parent]))
        values = self.product_values(i)
        cats = cat.catsets[cat.p_cats_eff[i] if merged else cat.p_cats_own[i]]
        fam = cat.p_family[i]
        doc: dict[str, Any] = {}
        uuid = cat.uuid(i)
        if view.links:
            ref = f"products/{cat.identifier(i)}" if view.legacy else f"products-uuid/{uuid}"
            doc["_links"] = {"self": {"href": f"{view.base}/{ref}"}}
        if view.legacy:
            doc["identifier"] = cat.identifier(i)
        else:
            doc["uuid"] = uuid
        doc["enabled"] = bool(cat.p_enabled[i])
        doc["family"] = cat.family_codes[fam] if fam >= 0 else None
        doc["categories"] = list(cats)
        doc["groups"] = list(own.get("groups", []))
        doc["parent"] = cat.m_code[parent] if parent >= 0 else None
        doc["values"] = self.shape_values(values, view, skip="sku" if view.legacy else None)
        doc["created"] = iso(cat.p_created[i])
        doc["updated"] = iso(cat.p_updated[i])  # own stamp, even when a parent moved later
        doc["associations"] = self._associations(chain, view)
        quantified = {}
        for link in chain:
            quantified.update(link.get("quantified_associations", {}))
        doc["quantified_associations"] = quantified
        if view.with_quality_scores:
            doc["quality_scores"] = scores.quality_scores(scores.product_grades(self, i))
        if view.with_completenesses:
            doc["completenesses"] = scores.completenesses(self, i)
        return doc

    def model(self, m: int, view: View) -> dict[str, Any]:
        cat = self.cat
        own = cat.model_own(m)
        parent = cat.m_parent[m]
        merged = self.merged and parent >= 0
        chain = [cat.model_own(parent), own] if merged else [own]
        doc: dict[str, Any] = {}
        if view.links:
            doc["_links"] = {"self": {"href": f"{view.base}/product-models/{cat.m_code[m]}"}}
        doc["code"] = cat.m_code[m]
        doc["family"] = cat.family_codes[cat.m_family[m]]
        doc["family_variant"] = cat.variants[cat.m_variant[m]]["code"]
        doc["parent"] = cat.m_code[parent] if parent >= 0 else None
        doc["categories"] = list(cat.catsets[cat.m_cats_eff[m] if merged else cat.m_cats_own[m]])
        doc["values"] = self.shape_values(self.model_values(m), view)
        doc["created"] = iso(cat.m_created[m])
        doc["updated"] = iso(cat.m_eff_updated[m])
        doc["associations"] = self._associations(chain, view)
        quantified: dict[str, Any] = {}
        for link in chain:
            quantified.update(link.get("quantified_associations", {}))
        doc["quantified_associations"] = quantified
        if view.with_quality_scores:
            doc["quality_scores"] = scores.quality_scores(scores.model_grades(self, m))
        return doc
