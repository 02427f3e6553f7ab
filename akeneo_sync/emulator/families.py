"""The families of a catalog with more (or fewer) than the six built-in ones (``--families N``),
and the Zipf-like law that spreads products over them (``--family-skew S``).

Real catalogs are lopsided: one family holds half the products and a long tail of families holds
a handful each, which is what makes partitioning by family a bad idea and what an exporter's
per-family work has to survive. Extra families are real ones: attributes, requirements, a one-level
and a two-level family variant; their products are classified in one of the built-in category
branches so that channel trees and category filters keep working unchanged.
"""

from __future__ import annotations

import random
from typing import Any

from akeneo_sync.emulator.catalog_data import ATTRIBUTES, COMMON, FAMILIES, TREE

EXTRA_NAMES = [
    "sports",
    "toys",
    "beauty",
    "garden",
    "books",
    "tools",
    "pets",
    "jewelry",
    "music",
    "office",
    "automotive",
    "baby",
    "health",
    "luggage",
    "outdoor",
    "bedding",
    "lighting",
    "watches",
    "eyewear",
    "stationery",
    "crafts",
    "gaming",
    "camping",
    "cycling",
    "fitness",
    "bathroom",
    "decor",
    "grocery",
    "beverages",
    "party",
    "hardware",
    "appliances",
    "audio_video",
    "swimwear",
]
# Attributes every extra family carries because its variants are built on them.
VARIANT_BASE = ["color", "material", "gallery_image", "weight", "stock_quantity"]
SIZE_AXES = ["size", "shoe_size"]
BUILTIN_FAMILIES = len(FAMILIES)
OPTIONAL = [
    a[0] for a in ATTRIBUTES if a[0] not in {*COMMON, *VARIANT_BASE, *SIZE_AXES, "sku", "ean"}
]


def family_specs(seed: int, count: int) -> dict[str, dict[str, Any]]:
    """``count`` family specs in rank order (the built-in six first), in ``FAMILIES``' shape plus
    the category ``branch`` their products are classified in."""
    if count < 1:
        raise ValueError(f"a catalog needs at least one family, {count} given")
    specs = {code: {**spec, "branch": code} for code, spec in FAMILIES.items()}
    out = dict(list(specs.items())[:count])
    # Own RNG: the built-in structure and every catalog generated before keep their draws.
    rng = random.Random(seed * 131 + 17)
    branches = list(TREE)
    for k in range(count - len(out)):
        name = EXTRA_NAMES[k % len(EXTRA_NAMES)]
        code = name if k < len(EXTRA_NAMES) else f"{name}_{k // len(EXTRA_NAMES) + 1}"
        axis = rng.choice(SIZE_AXES)
        extras = rng.sample(OPTIONAL, rng.randint(6, 12))
        out[code] = {
            "attrs": [*COMMON, *VARIANT_BASE, axis, *extras],
            "variants": {
                f"{code}_color_{axis}": [
                    (["color"], ["color", "gallery_image", "material"]),
                    ([axis], ["sku", "ean", axis, "stock_quantity", "weight", "erp_name"]),
                ],
                f"{code}_{axis}": [([axis], ["sku", "ean", axis, "stock_quantity", "erp_name"])],
            },
            "branch": branches[k % len(branches)],
        }
    return out


def family_shares(count: int, skew: float) -> list[float]:
    """Share of the products for each family by rank: proportional to (rank - 1/2) ** -skew.

    The half-rank offset (a Zipf-Mandelbrot law) gives the head family the weight real catalogs
    show: with 40 families and skew 1.2 the first holds about 47% and 28 hold under 1% each;
    skew 0 is an even spread.
    """
    weights = [(rank - 0.5) ** -skew for rank in range(1, count + 1)]
    total = sum(weights)
    return [w / total for w in weights]
