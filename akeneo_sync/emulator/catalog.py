"""The in-memory catalog: compact per-product columns plus on-demand rendering.

A million full product dicts would not fit the memory and start-up budget, so each product is a
row of small integers (family, parent model, enabled, created/updated epochs, interned category
set, variant-axis option); its values are regenerated from (seed, index) when rendered. Writes made
through the API are kept as overrides of the entity's *own* data and in the columns.
"""

from __future__ import annotations

import hashlib
from array import array
from typing import Any

from akeneo_sync.emulator.structure import Structure
from akeneo_sync.emulator.values import ValueContext, generate_values

TREE_BITS = {"master": 1, "mobile": 2, "suppliers": 4}
MASK48 = (1 << 48) - 1


class Catalog:
    """The columns of a catalog over ``structure``, empty until ``generate.generate_catalog``
    (or the API) fills them."""

    def __init__(self, seed: int, structure: Structure) -> None:
        self.seed = seed
        self.s = s = structure
        self.family_codes = [f["code"] for f in s.families]
        self.family_idx = {c: i for i, c in enumerate(self.family_codes)}
        self.variants: list[dict[str, Any]] = [v for vs in s.family_variants.values() for v in vs]
        self.variant_idx = {v["code"]: i for i, v in enumerate(self.variants)}
        self.variant_family = [
            self.family_idx[f] for f, vs in s.family_variants.items() for _ in vs
        ]
        self._mask = int.from_bytes(hashlib.sha1(f"mask{seed}".encode()).digest()[:6], "little")
        self._gen_attrs = {
            a["code"]: dict(a, _options=[o["code"] for o in s.options.get(a["code"], [])])
            for a in s.attributes
        }
        self._plans: dict[tuple[int, int, int], list[dict[str, Any]]] = {}
        # interned category sets
        self.catsets: list[tuple[str, ...]] = []
        self.catset_trees: list[int] = []
        self._catset_ids: dict[tuple[str, ...], int] = {}
        # product columns
        # int16: a catalog may have hundreds of families and twice as many family variants.
        self.p_family = array("h")
        self.p_parent = array("i")
        self.p_axis = array("h")
        self.p_created = array("q")
        self.p_updated = array("q")
        self.p_cats_own = array("i")
        self.p_cats_eff = array("i")
        self.p_enabled = bytearray()
        self.p_alive = bytearray()
        # product-model columns
        self.m_code: list[str] = []
        self.m_by_code: dict[str, int] = {}
        self.m_family = array("h")
        self.m_variant = array("h")
        self.m_parent = array("i")
        self.m_axis = array("h")
        self.m_created = array("q")
        self.m_updated = array("q")
        self.m_eff_updated = array("q")
        self.m_cats_own = array("i")
        self.m_cats_eff = array("i")
        self.m_alive = bytearray()
        # overrides written through the API
        self.p_over: dict[int, dict[str, Any]] = {}
        self.m_over: dict[int, dict[str, Any]] = {}
        self._model_cache: dict[int, dict[str, Any]] = {}
        self._kids: dict[int, list[int]] | None = None
        self._subs: dict[int, list[int]] | None = None
        self.extra_uuid: dict[str, int] = {}
        self.uuid_over: dict[int, str] = {}
        self.ident_over: dict[str, int] = {}
        self.ident_of: dict[int, str | None] = {}
        self.intern(())
        self.n_generated = 0

    # -- interning and identity ------------------------------------------------------------
    def intern(self, codes: tuple[str, ...] | list[str] | set[str]) -> int:
        key = tuple(sorted(set(codes)))
        found = self._catset_ids.get(key)
        if found is not None:
            return found
        self._catset_ids[key] = len(self.catsets)
        self.catsets.append(key)
        self.catset_trees.append(sum({TREE_BITS.get(self.s.cat_root.get(c, ""), 0) for c in key}))
        return len(self.catsets) - 1

    def uuid(self, i: int) -> str:
        over = self.uuid_over.get(i)
        if over is not None:
            return over
        h = int.from_bytes(
            hashlib.blake2b(f"{self.seed}:{i}".encode(), digest_size=10).digest(), "big"
        )
        val = (h << 48) | ((i ^ self._mask) & MASK48)
        val = (val & ~(0xF << 76)) | (4 << 76)
        val = (val & ~(0x3 << 62)) | (0x2 << 62)
        x = f"{val:032x}"
        return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"

    def index_of_uuid(self, uuid: str) -> int | None:
        i = self.extra_uuid.get(uuid.lower())
        if i is None:
            try:
                i = (int(uuid[-12:], 16) ^ self._mask) & MASK48
            except ValueError:
                return None
            if i >= self.n_generated or i in self.uuid_over or self.uuid(i) != uuid.lower():
                return None
        return i if self.p_alive[i] else None

    def identifier(self, i: int) -> str | None:
        if i in self.ident_of:
            return self.ident_of[i]
        return f"10{i:08d}"

    def index_of_identifier(self, ident: str) -> int | None:
        i = self.ident_over.get(ident)
        if i is None:
            if len(ident) != 10 or not ident.startswith("10") or not ident.isdigit():
                return None
            i = int(ident[2:])
            if i >= self.n_generated or i in self.ident_of:
                return None
        return i if self.p_alive[i] else None

    def set_identifier(self, i: int, ident: str | None) -> None:
        old = self.identifier(i)
        if old is not None and self.ident_over.get(old) == i:
            del self.ident_over[old]
        self.ident_of[i] = ident
        if ident is not None:
            self.ident_over[ident] = i

    def model_index(self, code: str) -> int | None:
        m = self.m_by_code.get(code)
        return m if m is not None and self.m_alive[m] else None

    # -- structure helpers -----------------------------------------------------------------
    def plan(self, family: int, variant: int, depth: int) -> list[dict[str, Any]]:
        """Attributes an entity fills itself: all of its family's for simple products, the
        common ones for root models, one level's set below."""
        key = (family, variant, depth)
        plan = self._plans.get(key)
        if plan is None:
            if family < 0:
                codes = ["sku", "name"]
            elif variant < 0:
                codes = self.s.families[family]["attributes"]
            elif depth == 0:
                codes = self.variants[variant]["common_attributes"]
            else:
                codes = self.variants[variant]["variant_attribute_sets"][depth - 1]["attributes"]
            plan = self._plans[key] = [self._gen_attrs[c] for c in codes]
        return plan

    def axis_values(self, variant: int, depth: int, option: int) -> dict[str, str]:
        axes = self.variants[variant]["variant_attribute_sets"][depth - 1]["axes"]
        return {a: self._gen_attrs[a]["_options"][option] for a in axes}

    def model_depth(self, m: int) -> int:
        return 0 if self.m_parent[m] < 0 else 1

    def product_depth(self, i: int) -> int:
        parent = self.p_parent[i]
        return 0 if parent < 0 else self.model_depth(parent) + 1

    # -- own data (generated or overridden) ------------------------------------------------
    def product_own(self, i: int) -> dict[str, Any]:
        over = self.p_over.get(i)
        if over is not None:
            return over
        parent = self.p_parent[i]
        fam = self.p_family[i]
        if parent >= 0:
            var, depth = self.m_variant[parent], self.product_depth(i)
            axis = self.axis_values(var, depth, self.p_axis[i])
        else:
            var, depth, axis = -1, 0, None
        ctx = ValueContext(
            self.seed,
            "p",
            i,
            self.family_codes[fam] if fam >= 0 else None,
            self.s.scale,
            self.identifier(i),
        )
        return {
            "values": generate_values(ctx, self.plan(fam, var, depth), axis),
            "groups": [],
            "associations": self._gen_associations(i),
            "quantified_associations": (self._gen_quantified(i)),
        }

    def model_own(self, m: int) -> dict[str, Any]:
        over = self.m_over.get(m)
        if over is not None:
            return over
        cached = self._model_cache.get(m)
        if cached is not None:
            return cached
        var, depth = self.m_variant[m], self.model_depth(m)
        axis = self.axis_values(var, depth, self.m_axis[m]) if depth else None
        ctx = ValueContext(self.seed, "m", m, self.family_codes[self.m_family[m]], self.s.scale)
        assoc: dict[str, Any] = {
            t: {"products": [], "product_models": [], "groups": []} for t in self._assoc_types()
        }
        own = {
            "values": generate_values(ctx, self.plan(self.m_family[m], var, depth), axis),
            "associations": assoc,
            "quantified_associations": {},
        }
        # Variants of one model sit next to each other, so a small cache saves regenerating
        # the same root and sub model for every variant on a page.
        if len(self._model_cache) > 4096:
            self._model_cache.clear()
        self._model_cache[m] = own
        return own

    def _assoc_types(self) -> list[str]:
        return [a["code"] for a in self.s.association_types if not a["is_quantified"]]

    def _gen_associations(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            t: {"products": [], "product_models": [], "groups": []} for t in self._assoc_types()
        }
        n = self.n_generated if hasattr(self, "n_generated") else len(self.p_family)
        if i % 5 == 0 and n > 3:
            out["X_SELL"]["products"] = [self.uuid((i + k * 7919) % n) for k in (1, 2)]
        if i % 11 == 0 and self.m_code:
            out["UPSELL"]["product_models"] = [self.m_code[(i * 31) % len(self.m_code)]]
        return out

    def _gen_quantified(self, i: int) -> dict[str, Any]:
        n = len(self.p_family)
        if i % 17 or n < 3:
            return {}
        return {
            "PRODUCT_SET": {
                "products": [{"uuid": self.uuid((i + 1) % n), "quantity": 2}],
                "product_models": [],
            }
        }

    # -- effective (indexed) properties used by filters ------------------------------------
    def product_eff_updated(self, i: int) -> int:
        parent = self.p_parent[i]
        own = self.p_updated[i]
        return own if parent < 0 else max(own, self.m_eff_updated[parent])

    def children(self) -> dict[int, list[int]]:
        """Model -> its variant products, built on the first write that needs it (one pass over
        the parent column) and kept current by ``set_parent``; generation never pays for it."""
        if self._kids is None:
            kids: dict[int, list[int]] = {}
            for i, parent in enumerate(self.p_parent):
                if parent >= 0:
                    kids.setdefault(parent, []).append(i)
            self._kids = kids
        return self._kids

    def set_parent(self, i: int, parent: int) -> None:
        old = self.p_parent[i]
        if self._kids is not None and old != parent:
            if old >= 0 and i in self._kids.get(old, []):
                self._kids[old].remove(i)
            if parent >= 0:
                self._kids.setdefault(parent, []).append(i)
        self.p_parent[i] = parent

    def sub_models(self, m: int) -> list[int]:
        if self.m_parent[m] >= 0:
            return []
        if self._subs is None:
            subs: dict[int, list[int]] = {}
            for k, parent in enumerate(self.m_parent):
                if parent >= 0:
                    subs.setdefault(parent, []).append(k)
            self._subs = subs
        return self._subs.get(m, [])

    def refresh_model(self, m: int) -> None:
        """Recompute inherited columns after model ``m`` changed (its subs and variants)."""
        self._subs = None  # a model may just have been created
        models = [m, *self.sub_models(m)]
        for k in models:
            parent = self.m_parent[k]
            if parent >= 0:
                self.m_eff_updated[k] = max(self.m_updated[k], self.m_updated[parent])
                self.m_cats_eff[k] = self.intern(
                    self.catsets[self.m_cats_own[k]] + self.catsets[self.m_cats_own[parent]]
                )
            else:
                self.m_eff_updated[k] = self.m_updated[k]
                self.m_cats_eff[k] = self.m_cats_own[k]
        kids = self.children()
        for k in models:
            for i in kids.get(k, []):
                self.refresh_product(i)

    def refresh_product(self, i: int) -> None:
        parent = self.p_parent[i]
        own = self.p_cats_own[i]
        self.p_cats_eff[i] = (
            own
            if parent < 0
            else self.intern(self.catsets[own] + self.catsets[self.m_cats_eff[parent]])
        )

    def descendants_of_model(self, m: int) -> tuple[list[int], list[int]]:
        subs = [k for k in self.sub_models(m) if self.m_alive[k]]
        kids = self.children()
        products = [i for k in (m, *subs) for i in kids.get(k, []) if self.p_alive[i]]
        return subs, sorted(products)
