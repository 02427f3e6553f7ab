"""Fill the catalog columns for N products: about 60% variants under one- and two-level
product models, the rest simple products; some uncategorised, some disabled, a few familyless.

Everything is drawn from one seeded RNG in a fixed order, so a seed always gives the same catalog.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from akeneo_sync.emulator.catalog import Catalog

from akeneo_sync.emulator.catalog import CATALOG_END, SPAN

GROUP_PROBABILITY = 0.2  # tuned so that ~60% of products are variants
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


def generate_products(cat: Catalog, n: int) -> None:
    rng = random.Random(cat.seed * 7 + 1)
    leaves = _leaves(cat)
    simple_fams = [cat.family_idx[f] for f in SIMPLE_WEIGHTS]
    simple_w = list(SIMPLE_WEIGHTS.values())
    var_fams = [cat.family_idx[f] for f in VARIANT_WEIGHTS]
    var_w = list(VARIANT_WEIGHTS.values())
    by_family: dict[int, list[int]] = {}
    for v, f in enumerate(cat.variant_family):
        by_family.setdefault(f, []).append(v)
    n_colors = len(cat._gen_attrs["color"]["_options"])
    start = CATALOG_END - SPAN
    suppliers = leaves[("suppliers", "")]
    cache: dict[tuple[str, ...], int] = {}

    def cats_for(fam: str, p_master: float, p_mobile: float, p_sup: float) -> int:
        codes: list[str] = []
        if rng.random() < p_master:
            codes.append(rng.choice(leaves[("master", fam)]))
        mobile = leaves.get(("mobile", fam))
        if mobile and rng.random() < p_mobile:
            codes.append(rng.choice(mobile))
        if rng.random() < p_sup:
            codes.append(rng.choice(suppliers))
        key = tuple(codes)
        got = cache.get(key)
        if got is None:
            got = cache[key] = cat.intern(key)
        return got

    def stamps(after: int, spread: int = SPAN) -> tuple[int, int]:
        # Roots and simple products spread over the whole span; children follow their parent
        # within weeks. ``updated`` lands up to 200 days later, never past CATALOG_END.
        created = after + rng.randrange(max(1, min(spread, CATALOG_END - after)))
        updated = created + rng.randrange(max(1, min(200 * 86400, CATALOG_END - created)))
        return created, updated

    while len(cat.p_family) < n:
        if rng.random() < GROUP_PROBABILITY:
            fam = rng.choices(var_fams, var_w)[0]
            fcode = cat.family_codes[fam]
            var = rng.choice(by_family[fam])
            levels = cat.variants[var]["variant_attribute_sets"]
            created, updated = stamps(start)
            root_cats = cats_for(fcode, 0.97, 0.7, 0.0)
            root = append_model(
                cat, f"{fcode}_{len(cat.m_code):06d}", fam, var, -1, -1, created, updated, root_cats
            )
            parents: list[tuple[int, int]] = []  # (model, depth of its children)
            if len(levels) == 2:
                for color in rng.sample(range(n_colors), rng.randint(2, 3)):
                    c2, u2 = stamps(created, 30 * 86400)
                    color_code = cat._gen_attrs["color"]["_options"][color]
                    sub = append_model(
                        cat,
                        f"{cat.m_code[root]}_{color_code}",
                        fam,
                        var,
                        root,
                        color,
                        c2,
                        u2,
                        cats_for(fcode, 0.3, 0.0, 0.0),
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
                    if len(cat.p_family) >= n:
                        break
                    c3, u3 = stamps(mcreated, 30 * 86400)
                    append_product(
                        cat,
                        fam,
                        model,
                        opt,
                        rng.random() > 0.05,
                        c3,
                        u3,
                        cats_for(fcode, 0.0, 0.0, 0.1),
                    )
        else:
            if rng.random() < 0.01:
                fam, cats = -1, cat.intern(())
            else:
                fam = rng.choices(simple_fams, simple_w)[0]
                cats = (
                    cat.intern(())
                    if rng.random() < 0.05
                    else cats_for(cat.family_codes[fam], 0.9, 0.6, 0.15)
                )
            created, updated = stamps(start)
            append_product(cat, fam, -1, -1, rng.random() > 0.08, created, updated, cats)
