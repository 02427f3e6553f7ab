"""Deterministic catalog structure: locales, channels, category trees, attributes and their
options, groups, families and variants, measurement families, association types, reference
entities with records and asset families with assets.

Structure is small (hundreds to tens of thousands of objects even at a million products) so it is
held as ready-made dicts in Akeneo's wire shape; products are not (see ``catalog.py``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from akeneo_sync.emulator.config import iso

LOCALES = ["en_US", "fr_FR", "de_DE"]
DISABLED_LOCALES = ["es_ES", "it_IT", "nl_NL"]
CURRENCIES = {"EUR": "Euro", "USD": "US dollar", "GBP": "British pound"}
DISABLED_CURRENCIES = {"JPY": "Japanese yen", "CHF": "Swiss franc"}
CHANNELS = {
    "ecommerce": ("master", ["en_US", "fr_FR", "de_DE"], ["EUR", "USD", "GBP"]),
    "mobile": ("mobile", ["en_US", "fr_FR"], ["USD", "EUR"]),
}
STRUCTURE_EPOCH = 1_700_000_000  # 2023-11-14; structure objects were "last updated" around then

FR = {
    "clothing": "Vêtements",
    "shoes": "Chaussures",
    "accessories": "Accessoires",
    "electronics": "Électronique",
    "home": "Maison",
    "food": "Alimentation",
    "name": "Nom",
    "description": "Description",
    "price": "Prix",
    "color": "Couleur",
    "size": "Taille",
    "weight": "Poids",
    "brand": "Marque",
    "material": "Matière",
    "image": "Image",
}
DE = {
    "clothing": "Kleidung",
    "shoes": "Schuhe",
    "accessories": "Zubehör",
    "electronics": "Elektronik",
    "home": "Haus",
    "food": "Lebensmittel",
    "name": "Name",
    "description": "Beschreibung",
    "price": "Preis",
    "color": "Farbe",
    "size": "Größe",
    "weight": "Gewicht",
    "brand": "Marke",
    "material": "Material",
    "image": "Bild",
}


def labels(code: str, locales: list[str] = LOCALES) -> dict[str, str]:
    base = code.rsplit("_", 1)[-1] if code.startswith(("master_", "mobile_")) else code
    en = base.replace("_", " ").capitalize()
    out = {"en_US": en, "fr_FR": FR.get(base, en), "de_DE": DE.get(base, en)}
    return {loc: out[loc] for loc in locales if loc in out}


def media_code(key: str, filename: str) -> str:
    """Akeneo's storage key shape: ``a/b/c/d/<sha1>_<filename>``."""
    sha = hashlib.sha1(key.encode()).hexdigest()
    return f"{sha[0]}/{sha[1]}/{sha[2]}/{sha[3]}/{sha}_{filename}"


# Category trees: nested (code suffix -> children). Leaves are where products are classified.
TREE: dict[str, Any] = {
    "clothing": {
        "men": {"shirts": {}, "trousers": {}, "jackets": {}},
        "women": {"dresses": {}, "skirts": {}, "tops": {}},
        "kids": {"babies": {}, "teens": {}},
    },
    "shoes": {"sneakers": {}, "boots": {"hiking": {}, "winter": {}}, "sandals": {}},
    "accessories": {"bags": {}, "hats": {}, "sunglasses": {"sport": {}, "fashion": {}}},
    "electronics": {
        "audio": {"headphones": {}, "speakers": {}},
        "computers": {"laptops": {}, "tablets": {}},
        "phones": {},
    },
    "home": {"kitchen": {"cookware": {}, "tableware": {}}, "furniture": {}},
    "food": {"snacks": {}, "drinks": {}},
}
MOBILE_BRANCHES = ["clothing", "shoes", "electronics", "food"]

# code, type, group, localizable, scopable, extra properties
ATTRIBUTES: list[tuple[str, str, str, bool, bool, dict[str, Any]]] = [
    ("sku", "identifier", "general", False, False, {"unique": True}),
    ("name", "text", "general", True, False, {"max_characters": 255}),
    (
        "ean",
        "text",
        "erp",
        False,
        False,
        {"unique": True, "validation_rule": "regexp", "validation_regexp": "^[0-9]{13}$"},
    ),
    ("erp_name", "text", "erp", False, False, {}),
    ("description", "textarea", "marketing", True, True, {"wysiwyg_enabled": True}),
    ("short_description", "textarea", "marketing", True, False, {"wysiwyg_enabled": False}),
    ("meta_title", "text", "marketing", True, True, {}),
    ("keywords", "text", "marketing", True, True, {}),
    ("marketing_notes", "textarea", "marketing", False, True, {}),
    ("price", "price_collection", "marketing", False, False, {"decimals_allowed": True}),
    ("msrp", "price_collection", "marketing", False, True, {"decimals_allowed": False}),
    ("discount_rate", "number", "marketing", False, True, {"decimals_allowed": True}),
    ("stock_quantity", "number", "erp", False, False, {"decimals_allowed": False}),
    (
        "rating",
        "number",
        "marketing",
        False,
        False,
        {"decimals_allowed": True, "number_min": "0.0000", "number_max": "5.0000"},
    ),
    ("warranty_years", "number", "technical", False, False, {"decimals_allowed": False}),
    ("battery_life", "number", "technical", False, False, {"decimals_allowed": False}),
    ("thread_count", "number", "technical", False, False, {"decimals_allowed": False}),
    (
        "weight",
        "metric",
        "logistics",
        False,
        False,
        {"metric_family": "Weight", "default_metric_unit": "GRAM", "decimals_allowed": True},
    ),
    (
        "height",
        "metric",
        "logistics",
        False,
        False,
        {"metric_family": "Length", "default_metric_unit": "CENTIMETER", "decimals_allowed": True},
    ),
    (
        "width",
        "metric",
        "logistics",
        False,
        False,
        {"metric_family": "Length", "default_metric_unit": "CENTIMETER", "decimals_allowed": True},
    ),
    (
        "length",
        "metric",
        "logistics",
        False,
        False,
        {"metric_family": "Length", "default_metric_unit": "MILLIMETER", "decimals_allowed": False},
    ),
    (
        "volume",
        "metric",
        "logistics",
        False,
        False,
        {"metric_family": "Volume", "default_metric_unit": "LITER", "decimals_allowed": True},
    ),
    (
        "power",
        "metric",
        "technical",
        False,
        False,
        {"metric_family": "Power", "default_metric_unit": "WATT", "decimals_allowed": False},
    ),
    (
        "screen_size",
        "metric",
        "technical",
        False,
        False,
        {"metric_family": "Length", "default_metric_unit": "INCH", "decimals_allowed": True},
    ),
    (
        "storage_temperature",
        "metric",
        "technical",
        False,
        True,
        {
            "metric_family": "Temperature",
            "default_metric_unit": "CELSIUS",
            "decimals_allowed": True,
            "negative_allowed": True,
        },
    ),
    ("is_eco", "boolean", "marketing", False, False, {}),
    ("is_new", "boolean", "marketing", False, True, {}),
    ("waterproof", "boolean", "technical", False, False, {}),
    ("release_date", "date", "marketing", False, False, {}),
    ("end_of_life_date", "date", "erp", False, True, {}),
    ("color", "simpleselect", "sizing", False, False, {}),
    ("size", "simpleselect", "sizing", False, False, {}),
    ("shoe_size", "simpleselect", "sizing", False, False, {}),
    ("brand", "simpleselect", "general", False, False, {}),
    ("country_of_origin", "simpleselect", "erp", False, False, {}),
    ("energy_class", "simpleselect", "technical", False, False, {}),
    ("material", "multiselect", "general", False, False, {}),
    ("collection", "multiselect", "marketing", False, False, {}),
    ("care_instructions", "multiselect", "technical", False, False, {}),
    ("connectivity", "multiselect", "technical", False, False, {}),
    ("image", "image", "media", False, False, {"allowed_extensions": ["jpg", "png"]}),
    ("gallery_image", "image", "media", False, True, {"allowed_extensions": ["jpg", "png"]}),
    ("datasheet", "file", "media", True, False, {"allowed_extensions": ["pdf"]}),
    ("manual", "file", "media", False, False, {"allowed_extensions": ["pdf"]}),
    ("designer", "reference_entity", "general", False, False, {"reference_data_name": "designers"}),
    ("supplier", "reference_entity", "erp", False, False, {"reference_data_name": "suppliers"}),
    (
        "collections_ref",
        "reference_entity_collection",
        "marketing",
        False,
        False,
        {"reference_data_name": "collections"},
    ),
    ("packshots", "asset_collection", "media", False, False, {"reference_data_name": "packshots"}),
    ("user_manuals", "asset_collection", "media", False, False, {"reference_data_name": "notices"}),
    ("nutrition", "table", "technical", False, False, {}),
    ("size_chart", "table", "sizing", False, False, {}),
]
TYPE_PREFIX = {
    "reference_entity": "akeneo_reference_entity",
    "reference_entity_collection": "akeneo_reference_entity_collection",
}
GROUPS = ["general", "marketing", "technical", "logistics", "sizing", "media", "erp"]

OPTIONS: dict[str, list[str]] = {
    "color": [
        "black",
        "white",
        "red",
        "blue",
        "green",
        "yellow",
        "brown",
        "grey",
        "navy",
        "pink",
        "purple",
        "orange",
        "beige",
        "khaki",
        "burgundy",
        "teal",
    ],
    "size": ["xs", "s", "m", "l", "xl", "xxl", "3xl"],
    "shoe_size": [str(n) for n in range(36, 47)],
    "country_of_origin": [
        "fr",
        "de",
        "it",
        "es",
        "pt",
        "cn",
        "vn",
        "in",
        "us",
        "gb",
        "tr",
        "bd",
        "ma",
        "pl",
        "ro",
    ],
    "energy_class": ["a", "b", "c", "d", "e", "f", "g"],
    "material": [
        "cotton",
        "wool",
        "leather",
        "polyester",
        "linen",
        "silk",
        "denim",
        "nylon",
        "steel",
        "aluminium",
        "wood",
        "glass",
    ],
    "collection": [
        "spring_2023",
        "summer_2023",
        "autumn_2023",
        "winter_2023",
        "spring_2024",
        "summer_2024",
        "autumn_2024",
        "winter_2024",
    ],
    "care_instructions": [
        "machine_wash",
        "hand_wash",
        "dry_clean",
        "no_bleach",
        "tumble_dry",
        "iron_low",
    ],
    "connectivity": ["bluetooth", "wifi", "usb_c", "nfc", "ethernet", "hdmi"],
}

COMMON = [
    "sku",
    "name",
    "description",
    "short_description",
    "meta_title",
    "keywords",
    "price",
    "brand",
    "ean",
    "erp_name",
    "image",
    "release_date",
    "is_new",
    "packshots",
]
FAMILIES: dict[str, dict[str, Any]] = {
    "clothing": {
        "attrs": [
            *COMMON,
            "msrp",
            "color",
            "size",
            "material",
            "collection",
            "care_instructions",
            "weight",
            "gallery_image",
            "is_eco",
            "country_of_origin",
            "designer",
            "collections_ref",
            "size_chart",
            "stock_quantity",
            "discount_rate",
            "marketing_notes",
        ],
        "variants": {
            "clothing_color_size": [
                (["color"], ["color", "gallery_image", "material", "collections_ref"]),
                (["size"], ["sku", "ean", "size", "weight", "stock_quantity", "erp_name"]),
            ],
            "clothing_size": [
                (["size"], ["sku", "ean", "size", "stock_quantity", "weight", "erp_name"])
            ],
        },
    },
    "shoes": {
        "attrs": [
            *COMMON,
            "color",
            "shoe_size",
            "material",
            "weight",
            "height",
            "waterproof",
            "country_of_origin",
            "designer",
            "size_chart",
            "stock_quantity",
        ],
        "variants": {
            "shoes_size": [
                (["shoe_size"], ["sku", "ean", "shoe_size", "stock_quantity", "erp_name"])
            ],
            "shoes_color_size": [
                (["color"], ["color", "image", "material"]),
                (
                    ["shoe_size"],
                    ["sku", "ean", "shoe_size", "stock_quantity", "weight", "erp_name"],
                ),
            ],
        },
    },
    "accessories": {
        "attrs": [
            *COMMON,
            "color",
            "material",
            "weight",
            "length",
            "width",
            "height",
            "is_eco",
            "supplier",
            "collection",
            "warranty_years",
            "rating",
        ],
        "variants": {
            "accessories_color": [(["color"], ["sku", "ean", "color", "image", "erp_name"])]
        },
    },
    "electronics": {
        "attrs": [
            *COMMON,
            "msrp",
            "weight",
            "height",
            "width",
            "length",
            "power",
            "screen_size",
            "battery_life",
            "connectivity",
            "energy_class",
            "warranty_years",
            "datasheet",
            "manual",
            "user_manuals",
            "end_of_life_date",
            "rating",
            "supplier",
            "color",
        ],
        "variants": {
            "electronics_color": [
                (["color"], ["sku", "ean", "color", "image", "erp_name", "stock_quantity"])
            ]
        },
    },
    "home": {
        "attrs": [
            *COMMON,
            "material",
            "color",
            "weight",
            "volume",
            "thread_count",
            "width",
            "height",
            "length",
            "is_eco",
            "designer",
            "collections_ref",
            "country_of_origin",
            "rating",
        ],
        "variants": {},
    },
    "food": {
        "attrs": [
            *COMMON,
            "nutrition",
            "weight",
            "volume",
            "is_eco",
            "country_of_origin",
            "end_of_life_date",
            "supplier",
            "storage_temperature",
        ],
        "variants": {},
    },
}
REQUIREMENTS = {
    "ecommerce": ["sku", "name", "description", "price", "image"],
    "mobile": ["sku", "name", "price"],
}

MEASUREMENTS: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {
    # family: (standard unit, [(unit, operator, value, symbol)])
    "Weight": (
        "KILOGRAM",
        [
            ("MILLIGRAM", "mul", "0.000001", "mg"),
            ("GRAM", "mul", "0.001", "g"),
            ("KILOGRAM", "mul", "1", "kg"),
            ("POUND", "mul", "0.45359237", "lb"),
            ("OUNCE", "mul", "0.028349523125", "oz"),
        ],
    ),
    "Length": (
        "METER",
        [
            ("MILLIMETER", "mul", "0.001", "mm"),
            ("CENTIMETER", "mul", "0.01", "cm"),
            ("METER", "mul", "1", "m"),
            ("INCH", "mul", "0.0254", "in"),
        ],
    ),
    "Volume": (
        "CUBIC_METER",
        [
            ("MILLILITER", "mul", "0.000001", "ml"),
            ("LITER", "mul", "0.001", "l"),
            ("CUBIC_METER", "mul", "1", "m³"),
        ],
    ),
    "Power": ("WATT", [("WATT", "mul", "1", "W"), ("KILOWATT", "mul", "1000", "kW")]),
    "Temperature": (
        "KELVIN",
        [
            ("CELSIUS", "add", "273.15", "°C"),
            ("KELVIN", "mul", "1", "K"),
            ("FAHRENHEIT", "sub", "32", "°F"),
        ],
    ),
    "Area": (
        "SQUARE_METER",
        [("SQUARE_CENTIMETER", "mul", "0.0001", "cm²"), ("SQUARE_METER", "mul", "1", "m²")],
    ),
}
METRIC_UNITS = {
    "Weight": ["GRAM", "KILOGRAM"],
    "Length": ["CENTIMETER", "MILLIMETER", "INCH"],
    "Volume": ["LITER", "MILLILITER"],
    "Power": ["WATT", "KILOWATT"],
    "Temperature": ["CELSIUS"],
    "Area": ["SQUARE_METER"],
}

ASSOCIATION_TYPES = [
    ("X_SELL", False, False),
    ("UPSELL", False, False),
    ("SUBSTITUTION", False, False),
    ("PACK", False, False),
    ("COMPATIBLE", False, True),
    ("PRODUCT_SET", True, False),
]

TABLES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "nutrition": [
        ("nutrient", "select", {}),
        ("per_100g", "number", {"min": 0, "decimals_allowed": True}),
        ("is_allergen", "boolean", {}),
    ],
    "size_chart": [
        ("size_label", "text", {"max_length": 20}),
        ("chest_cm", "number", {"decimals_allowed": False}),
        ("waist_cm", "number", {"decimals_allowed": False}),
    ],
}
NUTRIENTS = ["energy", "fat", "carbohydrates", "sugars", "protein", "salt", "fibre"]


@dataclass
class Structure:
    seed: int
    scale: int
    locales: list[dict[str, Any]] = field(default_factory=list)
    currencies: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    attribute_groups: list[dict[str, Any]] = field(default_factory=list)
    families: list[dict[str, Any]] = field(default_factory=list)
    family_variants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    measurement_families: list[dict[str, Any]] = field(default_factory=list)
    association_types: list[dict[str, Any]] = field(default_factory=list)
    reference_entities: list[dict[str, Any]] = field(default_factory=list)
    ref_attributes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    asset_families: list[dict[str, Any]] = field(default_factory=list)
    asset_attributes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    assets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Extra media keys (records, assets, reference entity images) -> original filename.
    extra_media: dict[str, str] = field(default_factory=dict)
    updated: dict[tuple[str, str], int] = field(default_factory=dict)

    def index(self) -> None:
        """Lookup tables used by the catalog and the routes."""
        self.attr_by_code = {a["code"]: a for a in self.attributes}
        self.cat_by_code = {c["code"]: c for c in self.categories}
        self.family_by_code = {f["code"]: f for f in self.families}
        self.channel_by_code = {c["code"]: c for c in self.channels}
        self.option_by_code = {a: {o["code"]: o for o in opts} for a, opts in self.options.items()}
        self.variant_by_code = {v["code"]: v for vs in self.family_variants.values() for v in vs}
        self.children: dict[str, list[str]] = {}
        for c in self.categories:
            if c["parent"]:
                self.children.setdefault(c["parent"], []).append(c["code"])
        self.cat_root = {c["code"]: self.root_of(c["code"]) for c in self.categories}

    def root_of(self, code: str) -> str:
        parent = self.cat_by_code[code]["parent"]
        while parent:
            code, parent = parent, self.cat_by_code[parent]["parent"]
        return code

    def descendants(self, code: str) -> list[str]:
        out, stack = [code], [code]
        while stack:
            for child in self.children.get(stack.pop(), []):
                out.append(child)
                stack.append(child)
        return out


def build_structure(seed: int, products: int) -> Structure:
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
    _build_families(s)
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
    from akeneo_sync.emulator.entities import build_assets, build_reference_entities

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


def _build_families(s: Structure) -> None:
    for order, (code, spec) in enumerate(FAMILIES.items(), 1):
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
