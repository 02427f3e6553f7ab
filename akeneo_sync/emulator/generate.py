"""Fill the catalog columns for N products: about 60% variants under one- and two-level
product models, the rest simple products; some uncategorised, some disabled, a few familyless.

Everything is drawn from one seeded RNG in a fixed order, so a seed always gives the same catalog.
Families come either in the built-in mix (the default, unchanged so existing seeds keep their
catalogs) or spread by the Zipf-like law of ``families.py``.
"""

from __future__ import annotations

import random
from itertools import accumulate
from statistics import mean
from typing import Any

from akeneo_sync.emulator.builder import build_structure
from akeneo_sync.emulator.catalog import Catalog
from akeneo_sync.emulator.families import BUILTIN_FAMILIES, family_shares
from akeneo_sync.emulator.structure import Structure

CATALOG_END = 1_748_736_000  # 2025-06-01T00:00:00Z: generated stamps are all before this
SPAN = 2 * 365 * 86400


def generate_catalog(
    seed: int,
    products: int,
    structure: Structure | None = None,
    families: int = BUILTIN_FAMILIES,
    family_skew: float | None = None,
    created_days: float | None = None,
) -> Catalog:
    """A catalog of ``products`` for ``seed``. ``families``/``family_skew``: see
    ``families.py``; left at their defaults the catalog is the built-in six families in their
    built-in mix, identical for a seed across versions. ``created_days``: every product and
    model created within that many days before ``CATALOG_END`` (default two years; a fraction
    of a day is a catalog imported in one go)."""
    if family_skew is not None and family_skew < 0:
        raise ValueError(f"family skew must be 0 or more, {family_skew} given")
    cat = Catalog(seed, structure or build_structure(seed, products, families))
    builtin_mix = family_skew is None and len(cat.family_codes) == BUILTIN_FAMILIES
    span = SPAN if created_days is None else max(1, round(created_days * 86400))
    generate_products(cat, products, None if builtin_mix else family_skew or 0.0, span)
    cat.n_generated = len(cat.p_family)
    return cat


GROUP_PROBABILITY = 0.2  # tuned so that ~60% of products are variants
FAMILYLESS = 0.01
SIMPLE_WEIGHTS = {
    "clothing": 2,
    "shoes": 1,
    "accessories": 2,
    "electronics": 3,
    "home": 3,
    "food": 2,
}
VARIANT_WEIGHTS = {"clothing": 4, "shoes": 3, "accessories": 1, "electronics": 1}


def append_model(
    cat: Catalog,
    code: str,
    family: int,
    variant: int,
    parent: int,
    axis: int,
    created: int,
    updated: int,
    cats: int,
) -> int:
    m = len(cat.m_code)
    cat.m_code.append(code)
    cat.m_by_code[code] = m
    cat.m_family.append(family)
    cat.m_variant.append(variant)
    cat.m_parent.append(parent)
    cat.m_axis.append(axis)
    cat.m_created.append(created)
    cat.m_updated.append(updated)
    cat.m_eff_updated.append(max(updated, cat.m_updated[parent]) if parent >= 0 else updated)
    cat.m_cats_own.append(cats)
    cat.m_cats_eff.append(
        cat.intern(cat.catsets[cats] + cat.catsets[cat.m_cats_eff[parent]]) if parent >= 0 else cats
    )
    cat.m_alive.append(1)
    cat._subs = None
    return m


def append_product(
    cat: Catalog,
    family: int,
    parent: int,
    axis: int,
    enabled: bool,
    created: int,
    updated: int,
    cats: int,
) -> int:
    i = len(cat.p_family)
    cat.p_family.append(family)
    cat.p_parent.append(parent)
    cat.p_axis.append(axis)
    cat.p_enabled.append(1 if enabled else 0)
    cat.p_alive.append(1)
    cat.p_created.append(created)
    cat.p_updated.append(updated)
    cat.p_cats_own.append(cats)
    cat.p_cats_eff.append(
        cat.intern(cat.catsets[cats] + cat.catsets[cat.m_cats_eff[parent]]) if parent >= 0 else cats
    )
    if parent >= 0 and cat._kids is not None:  # keep the lazy children index current
        cat._kids.setdefault(parent, []).append(i)
    return i


def _leaves(cat: Catalog) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for c in cat.s.categories:
        if c["code"] in cat.s.children:
            continue
        parts = c["code"].split("_")
        if parts[0] in ("master", "mobile") and len(parts) > 1:
            out.setdefault((parts[0], parts[1]), []).append(c["code"])
        elif c["parent"] == "suppliers":
            out.setdefault(("suppliers", ""), []).append(c["code"])
    return out


class _Filler:
    """One generation pass: the seeded RNG and the two things it appends, a product model group
    (root, sub models, variants) or a simple product. Both family mixes share them, and the
    draws happen in the order the built-in mix always made them."""

    def __init__(self, cat: Catalog, n: int, span: int = SPAN) -> None:
        self.cat = cat
        self.n = n
        self.span = span
        self.rng = random.Random(cat.seed * 7 + 1)
        leaves = _leaves(cat)
        # Family -> the leaf categories of its branch in the master and the mobile tree.
        self.branches = {
            code: (leaves[("master", branch)], leaves.get(("mobile", branch)))
            for code, branch in cat.s.family_branch.items()
        }
        self.suppliers = leaves[("suppliers", "")]
        self.by_family: dict[int, list[int]] = {}
        for v, f in enumerate(cat.variant_family):
            self.by_family.setdefault(f, []).append(v)
        self.start = CATALOG_END - span
        self.cache: dict[tuple[str, ...], int] = {}

    def cats_for(self, fam: str, p_master: float, p_mobile: float, p_sup: float) -> int:
        rng = self.rng
        master, mobile = self.branches[fam]
        codes: list[str] = []
        if rng.random() < p_master:
            codes.append(rng.choice(master))
        if mobile and rng.random() < p_mobile:
            codes.append(rng.choice(mobile))
        if rng.random() < p_sup:
            codes.append(rng.choice(self.suppliers))
        key = tuple(codes)
        got = self.cache.get(key)
        if got is None:
            got = self.cache[key] = self.cat.intern(key)
        return got

    def stamps(self, after: int, spread: int | None = None) -> tuple[int, int]:
        # Roots and simple products spread over the whole span; children follow their parent
        # within weeks. ``updated`` lands up to 200 days later. Never past CATALOG_END.
        rng = self.rng
        spread = self.span if spread is None else spread
        created = after + rng.randrange(max(1, min(spread, CATALOG_END - after)))
        updated = created + rng.randrange(max(1, min(200 * 86400, CATALOG_END - created)))
        return created, updated

    def group(self, fam: int) -> None:
        cat, rng = self.cat, self.rng
        fcode = cat.family_codes[fam]
        var = rng.choice(self.by_family[fam])
        levels = cat.variants[var]["variant_attribute_sets"]
        created, updated = self.stamps(self.start)
        root_cats = self.cats_for(fcode, 0.97, 0.7, 0.0)
        root = append_model(
            cat, f"{fcode}_{len(cat.m_code):06d}", fam, var, -1, -1, created, updated, root_cats
        )
        parents: list[tuple[int, int]] = []  # (model, depth of its children)
        if len(levels) == 2:
            first = cat._gen_attrs[levels[0]["axes"][0]]["_options"]
            for opt in rng.sample(range(len(first)), rng.randint(2, 3)):
                c2, u2 = self.stamps(created, 30 * 86400)
                sub = append_model(
                    cat,
                    f"{cat.m_code[root]}_{first[opt]}",
                    fam,
                    var,
                    root,
                    opt,
                    c2,
                    u2,
                    self.cats_for(fcode, 0.3, 0.0, 0.0),
                )
                parents.append((sub, 2))
        else:
            parents.append((root, 1))
        for model, depth in parents:
            axis = levels[depth - 1]["axes"][0]
            n_opts = len(cat._gen_attrs[axis]["_options"])
            count = rng.randint(2, 4) if depth == 2 else rng.randint(3, 5)
            mcreated = cat.m_created[model]
            for opt in sorted(rng.sample(range(n_opts), min(count, n_opts))):
                if len(cat.p_family) >= self.n:
                    break
                c3, u3 = self.stamps(mcreated, 30 * 86400)
                append_product(
                    cat,
                    fam,
                    model,
                    opt,
                    rng.random() > 0.05,
                    c3,
                    u3,
                    self.cats_for(fcode, 0.0, 0.0, 0.1),
                )

    def simple(self, fam: int) -> None:
        cat, rng = self.cat, self.rng
        if fam < 0:
            cats = cat.intern(())
        else:
            cats = (
                cat.intern(())
                if rng.random() < 0.05
                else self.cats_for(cat.family_codes[fam], 0.9, 0.6, 0.15)
            )
        created, updated = self.stamps(self.start)
        append_product(cat, fam, -1, -1, rng.random() > 0.08, created, updated, cats)

    def group_size(self, fam: int) -> float:
        """Expected variants in one of the family's groups (what ``group`` draws, on average)."""
        cat = self.cat

        def axis_options(levels: list[dict[str, Any]], depth: int) -> int:
            return len(cat._gen_attrs[levels[depth]["axes"][0]]["_options"])

        sizes = []
        for var in self.by_family[fam]:
            levels = cat.variants[var]["variant_attribute_sets"]
            last = axis_options(levels, len(levels) - 1)
            if len(levels) == 2:
                subs = mean(min(k, axis_options(levels, 0)) for k in (2, 3))
                sizes.append(subs * mean(min(k, last) for k in (2, 3, 4)))
            else:
                sizes.append(mean(min(k, last) for k in (3, 4, 5)))
        return mean(sizes)


def generate_products(cat: Catalog, n: int, skew: float | None = None, span: int = SPAN) -> None:
    """``skew`` None: the built-in mix of the six built-in families; otherwise every family of
    the structure, spread by ``family_shares``. ``span``: seconds over which they were created."""
    fill = _Filler(cat, n, span)
    if skew is None:
        _builtin_mix(cat, fill)
    else:
        _skewed_mix(cat, fill, skew)


def _builtin_mix(cat: Catalog, fill: _Filler) -> None:
    rng = fill.rng
    simple_fams = [cat.family_idx[f] for f in SIMPLE_WEIGHTS]
    simple_w = list(SIMPLE_WEIGHTS.values())
    var_fams = [cat.family_idx[f] for f in VARIANT_WEIGHTS]
    var_w = list(VARIANT_WEIGHTS.values())
    while len(cat.p_family) < fill.n:
        if rng.random() < GROUP_PROBABILITY:
            fill.group(rng.choices(var_fams, var_w)[0])
        elif rng.random() < FAMILYLESS:
            fill.simple(-1)
        else:
            fill.simple(rng.choices(simple_fams, simple_w)[0])


def _skewed_mix(cat: Catalog, fill: _Filler, skew: float) -> None:
    rng = fill.rng
    families = range(len(cat.family_codes))
    # A draw of a family with variants sometimes yields a whole group of variants, so each
    # family is drawn in proportion to its share of products over its expected products per
    # draw: products (and with them product models) then follow ``family_shares``.
    per_draw = [
        GROUP_PROBABILITY * fill.group_size(f) + 1 - GROUP_PROBABILITY
        if f in fill.by_family
        else 1.0
        for f in families
    ]
    shares = family_shares(len(families), skew)
    cum = list(accumulate(share / size for share, size in zip(shares, per_draw, strict=True)))
    while len(cat.p_family) < fill.n:
        if rng.random() < FAMILYLESS:
            fill.simple(-1)
            continue
        fam = rng.choices(families, cum_weights=cum)[0]
        if fam in fill.by_family and rng.random() < GROUP_PROBABILITY:
            fill.group(fam)
        else:
            fill.simple(fam)
