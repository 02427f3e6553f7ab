"""The emulator catalog's fixed vocabulary: locales, currencies, channels, category and attribute
tables, family requirements, units, association types; and the helpers that name things
(labels in every locale, media file codes). ``structure.py`` builds the catalog from them.
"""

from __future__ import annotations

import hashlib
from typing import Any

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
            # Last, so the values drawn for the attributes above stay what they were: its
            # variants always had it, a family variant's attributes must be the family's.
            "stock_quantity",
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
