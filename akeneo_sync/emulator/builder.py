"""Building the deterministic structure of a catalog for a seed (``structure.Structure``)."""

from __future__ import annotations

import random
from typing import Any

from akeneo_sync.emulator.catalog_data import (
    ASSOCIATION_TYPES,
    ATTRIBUTES,
    CHANNELS,
    CURRENCIES,
    DE,
    DISABLED_CURRENCIES,
    DISABLED_LOCALES,
    FR,
    GROUPS,
    LOCALES,
    MEASUREMENTS,
    MOBILE_BRANCHES,
    OPTIONS,
    REQUIREMENTS,
    STRUCTURE_EPOCH,
    TABLES,
    TREE,
    TYPE_PREFIX,
    labels,
)
from akeneo_sync.emulator.config import iso
from akeneo_sync.emulator.entities import build_assets, build_reference_entities
from akeneo_sync.emulator.families import BUILTIN_FAMILIES, family_specs
from akeneo_sync.emulator.structure import Structure


def build_structure(seed: int, products: int, families: int = BUILTIN_FAMILIES) -> Structure:
    rng = random.Random(seed)
    s = Structure(seed=seed, scale=products)
    s.locales = [{"code": c, "enabled": True} for c in sorted(LOCALES)] + [
        {"code": c, "enabled": False} for c in DISABLED_LOCALES
    ]
    s.locales.sort(key=lambda x: str(x["code"]))
    s.currencies = sorted(
        [{"code": c, "enabled": True, "label": f"{c} ({n})"} for c, n in CURRENCIES.items()]
        + [
            {"code": c, "enabled": False, "label": f"{c} ({n})"}
            for c, n in DISABLED_CURRENCIES.items()
        ],
        key=lambda x: x["code"],
    )
    for code, (tree, locs, curs) in CHANNELS.items():
        s.channels.append(
            {
                "code": code,
                "currencies": curs,
                "locales": locs,
                "category_tree": tree,
                "conversion_units": {"weight": "KILOGRAM"} if code == "ecommerce" else {},
                "labels": labels(code),
            }
        )
    _build_categories(s)
    _build_attributes(s, rng)
    _build_families(s, family_specs(seed, families))
    for fam, (std, units) in MEASUREMENTS.items():
        s.measurement_families.append(
            {
                "code": fam,
                "labels": labels(fam.lower()),
                "standard_unit_code": std,
                "units": {
                    u: {
                        "code": u,
                        "labels": labels(u.lower()),
                        "convert_from_standard": [{"operator": op, "value": v}],
                        "symbol": sym,
                    }
                    for u, op, v, sym in units
                },
            }
        )
    s.association_types = [
        {"code": c, "labels": labels(c.lower()), "is_quantified": q, "is_two_way": t}
        for c, q, t in ASSOCIATION_TYPES
    ]
    build_reference_entities(s, rng)
    build_assets(s, rng)
    s.index()
    return s


def _build_categories(s: Structure) -> None:
    def walk(prefix: str, parent: str, node: dict[str, Any], branches: list[str] | None) -> None:
        for pos, (name, sub) in enumerate(node.items(), 1):
            if branches is not None and name not in branches:
                continue
            code = f"{prefix}_{name}" if parent == prefix else f"{parent}_{name}"
            s.categories.append(
                {
                    "code": code,
                    "parent": parent,
                    "updated": iso(STRUCTURE_EPOCH + len(s.categories) * 3600),
                    "position": pos,
                    "labels": labels(name),
                }
            )
            walk(prefix, code, sub, None)

    for root, branches in (("master", None), ("mobile", MOBILE_BRANCHES)):
        s.categories.append(
            {
                "code": root,
                "parent": None,
                "updated": iso(STRUCTURE_EPOCH),
                "position": 1,
                "labels": labels(root + "_catalog"),
            }
        )
        walk(root, root, TREE, branches)
    s.categories.append(
        {
            "code": "suppliers",
            "parent": None,
            "updated": iso(STRUCTURE_EPOCH),
            "position": 1,
            "labels": labels("suppliers"),
        }
    )
    for pos, name in enumerate(["supplier_zaro", "supplier_mongo", "supplier_ombo"], 1):
        s.categories.append(
            {
                "code": name,
                "parent": "suppliers",
                "updated": iso(STRUCTURE_EPOCH),
                "position": pos,
                "labels": labels(name),
            }
        )


def _attr_base(code: str, typ: str, group: str, order: int) -> dict[str, Any]:
    return {
        "code": code,
        "type": typ,
        "group": group,
        "group_labels": labels(group),
        "unique": False,
        "useable_as_grid_filter": True,
        "allowed_extensions": [],
        "metric_family": None,
        "default_metric_unit": None,
        "reference_data_name": None,
        "available_locales": [],
        "max_characters": None,
        "validation_rule": None,
        "validation_regexp": None,
        "wysiwyg_enabled": None,
        "number_min": None,
        "number_max": None,
        "decimals_allowed": None,
        "negative_allowed": None,
        "date_min": None,
        "date_max": None,
        "max_file_size": None,
        "minimum_input_length": None,
        "sort_order": order,
        "localizable": False,
        "scopable": False,
        "labels": labels(code),
        "is_mandatory": code == "sku",
        "decimal_places_strategy": None,
        "decimal_places": None,
        "default_value": None,
    }


def _build_attributes(s: Structure, rng: random.Random) -> None:
    brands = max(20, min(2000, s.scale // 1000))
    opts = dict(OPTIONS)
    opts["brand"] = [f"brand_{i:04d}" for i in range(brands)]
    for order, (code, short, group, loc, scope, extra) in enumerate(ATTRIBUTES, 1):
        typ = TYPE_PREFIX.get(short, f"pim_catalog_{short}")
        attr = _attr_base(code, typ, group, order)
        attr.update(localizable=loc, scopable=scope, **extra)
        if short in ("number", "metric", "price_collection") and attr["negative_allowed"] is None:
            attr["negative_allowed"] = False
        if short == "table":
            attr["table_configuration"] = [
                {
                    "code": c,
                    "data_type": t,
                    "labels": labels(c),
                    "validations": v,
                    "is_required_for_completeness": i == 0,
                }
                for i, (c, t, v) in enumerate(TABLES[code])
            ]
        s.attributes.append(attr)
        s.updated[("attribute", code)] = STRUCTURE_EPOCH + order * 600
        if code in opts:
            s.options[code] = [
                {
                    "code": o,
                    "attribute": code,
                    "sort_order": i,
                    "labels": _option_labels(code, o, rng),
                }
                for i, o in enumerate(opts[code])
            ]
    for order, group in enumerate(GROUPS, 1):
        s.attribute_groups.append(
            {
                "code": group,
                "sort_order": order,
                "attributes": [a["code"] for a in s.attributes if a["group"] == group],
                "labels": labels(group),
            }
        )
        s.updated[("attribute_group", group)] = STRUCTURE_EPOCH + order * 60


def _option_labels(attr: str, code: str, rng: random.Random) -> dict[str, str]:
    if attr == "brand":
        name = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
        return {loc: name.capitalize() for loc in LOCALES}
    text = (
        code.replace("_", " ").upper()
        if attr in ("size", "energy_class")
        else (code.replace("_", " ").capitalize())
    )
    return {"en_US": text, "fr_FR": FR.get(code, text), "de_DE": DE.get(code, text)}


def _build_families(s: Structure, specs: dict[str, dict[str, Any]]) -> None:
    for order, (code, spec) in enumerate(specs.items(), 1):
        s.family_branch[code] = spec["branch"]
        attrs = list(dict.fromkeys(spec["attrs"]))
        s.families.append(
            {
                "code": code,
                "attributes": attrs,
                "attribute_as_label": "name",
                "attribute_as_image": "image",
                "attribute_requirements": {
                    ch: [a for a in req if a in attrs] for ch, req in REQUIREMENTS.items()
                },
                "labels": labels(code),
            }
        )
        s.updated[("family", code)] = STRUCTURE_EPOCH + order * 900
        variants = []
        for vcode, levels in sorted(spec["variants"].items()):
            in_levels = {a for _, level_attrs in levels for a in level_attrs}
            variants.append(
                {
                    "code": vcode,
                    "labels": labels(vcode),
                    "common_attributes": [a for a in attrs if a not in in_levels],
                    "variant_attribute_sets": [
                        {"level": n, "axes": axes, "attributes": level_attrs}
                        for n, (axes, level_attrs) in enumerate(levels, 1)
                    ],
                }
            )
        s.family_variants[code] = variants
