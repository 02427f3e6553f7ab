"""Deterministic product and product-model values, one generator per attribute type.

Values are regenerated on demand from (seed, kind, index) instead of being stored, which is what
lets one process serve a million products; data types follow Akeneo 7 exactly (decimals and
amounts as strings, dates with an offset, media codes shaped like Akeneo's storage keys).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from akeneo_sync.emulator.catalog_data import CHANNELS, LOCALES, METRIC_UNITS, NUTRIENTS, media_code
from akeneo_sync.emulator.config import iso
from akeneo_sync.emulator.entities import asset_count, record_count

ADJ = {
    "en_US": ["Classic", "Urban", "Essential", "Premium", "Light", "Sport", "Vintage", "Smart"],
    "fr_FR": ["Classique", "Urbain", "Essentiel", "Premium", "Léger", "Sport", "Vintage", "Malin"],
    "de_DE": ["Klassisch", "Urban", "Essenziell", "Premium", "Leicht", "Sport", "Vintage", "Smart"],
}
NOUN = {
    "clothing": ("Shirt", "Chemise", "Hemd"),
    "shoes": ("Sneaker", "Basket", "Turnschuh"),
    "accessories": ("Bag", "Sac", "Tasche"),
    "electronics": ("Speaker", "Enceinte", "Lautsprecher"),
    "home": ("Lamp", "Lampe", "Lampe"),
    "food": ("Granola", "Granola", "Müsli"),
    None: ("Item", "Article", "Artikel"),
}
REQUIRED = {"sku", "name", "description", "price", "image"}
CURRENCIES = ("EUR", "USD", "GBP")


@dataclass
class ValueContext:
    """What a generator needs to know about the entity it fills."""

    seed: int
    kind: str  # "p" product, "m" product model
    index: int
    family: str | None
    scale: int
    sku: str | None = None


Gen = Callable[[random.Random, dict[str, Any], ValueContext, str | None, str | None], Any]


def _name(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    nouns = NOUN.get(ctx.family, NOUN[None])
    li = LOCALES.index(loc) if loc in LOCALES else 0
    adj = ADJ[loc or "en_US"][(ctx.index * 7 + ctx.seed) % 8]
    text = f"{adj} {nouns[li]} {ctx.index}"
    if attr["code"] == "name":
        return text
    if attr["code"] == "ean":
        return f"{(ctx.seed * 7919 + ctx.index * 104729) % 10**12:012d}0"
    if attr["code"] == "erp_name":
        return text.upper()[:40]
    if attr["code"] == "keywords":
        return f"{nouns[li].lower()}, {adj.lower()}, {scope or 'all'}"
    return f"{text} | {scope or ''}".strip(" |")


def _textarea(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    base = _name(rng, {"code": "name"}, ctx, loc, scope)
    body = f"{base}: {'long' if scope == 'ecommerce' else 'short'} text ({attr['code']})."
    return f"<p>{body}</p>" if attr.get("wysiwyg_enabled") else body


def _number(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    if attr["decimals_allowed"]:
        top = 5 if attr["code"] == "rating" else 60
        return f"{rng.uniform(0, top):.4f}"
    return rng.randint(0, 500)


def _metric(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    unit = rng.choice(METRIC_UNITS[attr["metric_family"]])
    if attr["decimals_allowed"]:
        low = -20.0 if attr["negative_allowed"] else 0.1
        return {"amount": f"{rng.uniform(low, 900):.4f}", "unit": unit}
    return {"amount": rng.randint(1, 2000), "unit": unit}


def _prices(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    base = rng.uniform(5, 400)
    out = []
    for i, cur in enumerate(CURRENCIES):
        amount = base * (1.0, 1.08, 0.86)[i]
        out.append(
            {
                "amount": f"{amount:.2f}" if attr["decimals_allowed"] else int(amount),
                "currency": cur,
            }
        )
    return out


def _boolean(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    return rng.random() < 0.5


def _date(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    day = 1_640_995_200 + rng.randrange(1500) * 86400  # from 2022-01-01
    return iso(day)


def _simple(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    return rng.choice(attr["_options"])


def _multi(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    opts = attr["_options"]
    return sorted(rng.sample(opts, min(len(opts), rng.randint(1, 3))))


def _media(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    return media_file_code(
        ctx.seed,
        ctx.kind,
        ctx.index,
        attr["code"],
        loc,
        scope,
        "pdf" if attr["type"] == "pim_catalog_file" else "png",
    )


def media_file_code(
    seed: int, kind: str, index: int, attr: str, loc: str | None, scope: str | None, ext: str
) -> str:
    # The file name encodes its owner so GET /media-files/{code} can verify a code without a
    # registry of every file ever rendered.
    name = f"{kind}{index}_{attr}" + (f"-{loc}" if loc else "") + (f"-{scope}" if scope else "")
    return media_code(f"{seed}:{name}", f"{name}.{ext}")


def _record(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    ent = attr["reference_data_name"]
    n = record_count(ent, ctx.scale)
    if attr["type"] == "akeneo_reference_entity":
        return f"{ent[:-1]}_{rng.randrange(n):04d}"
    return [f"{ent[:-1]}_{k:04d}" for k in sorted(rng.sample(range(n), min(n, 2)))]


def _assets(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    fam = attr["reference_data_name"]
    n = asset_count(fam, ctx.scale)
    start = (ctx.index * 3 + rng.randrange(4)) % n
    return [f"{fam[:-1]}_{(start + k) % n:05d}" for k in range(rng.randint(1, 3))]


def _table(
    rng: random.Random, attr: dict[str, Any], ctx: ValueContext, loc: str | None, scope: str | None
) -> Any:
    if attr["code"] == "nutrition":
        return [
            {
                "nutrient": n,
                "per_100g": f"{rng.uniform(0, 60):.1f}",
                "is_allergen": rng.random() < 0.1,
            }
            for n in rng.sample(NUTRIENTS, 3)
        ]
    return [
        {"size_label": s, "chest_cm": 80 + 6 * k, "waist_cm": 64 + 6 * k}
        for k, s in enumerate(["S", "M", "L"])
    ]


GENERATORS: dict[str, Gen] = {
    "pim_catalog_text": _name,
    "pim_catalog_textarea": _textarea,
    "pim_catalog_number": _number,
    "pim_catalog_metric": _metric,
    "pim_catalog_price_collection": _prices,
    "pim_catalog_boolean": _boolean,
    "pim_catalog_date": _date,
    "pim_catalog_simpleselect": _simple,
    "pim_catalog_multiselect": _multi,
    "pim_catalog_image": _media,
    "pim_catalog_file": _media,
    "akeneo_reference_entity": _record,
    "akeneo_reference_entity_collection": _record,
    "pim_catalog_asset_collection": _assets,
    "pim_catalog_table": _table,
}


def generate_values(
    ctx: ValueContext, attrs: list[dict[str, Any]], axis: dict[str, str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Own values of one entity; ``axis`` forces the variant axis values (unique per sibling)."""
    rng = random.Random(ctx.seed * 1_000_003 + ctx.index * 2 + (ctx.kind == "m"))
    out: dict[str, list[dict[str, Any]]] = {}
    for attr in attrs:
        code = attr["code"]
        if axis and code in axis:
            out[code] = [{"locale": None, "scope": None, "data": axis[code]}]
            continue
        if code == "sku":
            out[code] = [{"locale": None, "scope": None, "data": ctx.sku}]
            continue
        if code not in REQUIRED and rng.random() < 0.2:
            continue
        gen = GENERATORS[attr["type"]]
        entries = []
        scopes = list(CHANNELS) if attr["scopable"] else [None]
        for scope in scopes:
            if scope == "mobile" and rng.random() < 0.2:
                continue
            locs: list[str | None] = list(LOCALES) if attr["localizable"] else [None]
            if scope is not None and attr["localizable"]:
                locs = list(CHANNELS[scope][1])
            for loc in locs:
                if loc not in (None, "en_US") and rng.random() < 0.15:
                    continue
                entries.append(
                    {"locale": loc, "scope": scope, "data": gen(rng, attr, ctx, loc, scope)}
                )
        if entries:
            out[code] = entries
    return out
