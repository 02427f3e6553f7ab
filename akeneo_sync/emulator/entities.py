"""Reference entities with their records and asset families with their assets.

They are referenced by product values (``designer``, ``collections_ref``, ``packshots``...), so
their counts scale with the number of products and product values pick codes by index.
"""

from __future__ import annotations

import random
from typing import Any

from akeneo_sync.emulator.config import iso
from akeneo_sync.emulator.structure import Structure

RECORD_EPOCH = 1_704_067_200  # 2024-01-01


def record_count(entity: str, scale: int) -> int:
    per = {"designers": 5000, "suppliers": 2000, "collections": 4000}[entity]
    return max(8, min(2000, scale // per))


def asset_count(family: str, scale: int) -> int:
    return (
        max(12, min(20000, scale // 20))
        if family == "packshots"
        else max(6, min(5000, scale // 200))
    )


def _ref_attr(code: str, typ: str, loc: bool, chan: bool, **extra: Any) -> dict[str, Any]:
    from akeneo_sync.emulator.catalog_data import labels

    attr = {
        "code": code,
        "labels": labels(code),
        "type": typ,
        "value_per_locale": loc,
        "value_per_channel": chan,
        "is_required_for_completeness": code == "label",
    }
    attr.update(extra)
    return attr


def _value(data: Any, locale: str | None = None, channel: str | None = None) -> dict[str, Any]:
    return {"locale": locale, "channel": channel, "data": data}


def build_reference_entities(s: Structure, rng: random.Random) -> None:
    from akeneo_sync.emulator.catalog_data import LOCALES, OPTIONS, labels, media_code

    for code in ("designers", "suppliers", "collections"):
        image = media_code(f"{s.seed}:refent:{code}", f"{code}.png")
        s.extra_media[image] = f"{code}.png"
        s.reference_entities.append({"code": code, "labels": labels(code), "image": image})
        s.ref_attributes[code] = [
            _ref_attr(
                "label",
                "text",
                True,
                False,
                max_characters=None,
                is_textarea=False,
                is_rich_text_editor=False,
                validation_rule="none",
                validation_regexp=None,
            ),
            _ref_attr(
                "image",
                "image",
                False,
                False,
                allowed_extensions=["png", "jpg"],
                max_file_size=None,
            ),
            _ref_attr(
                "description",
                "text",
                True,
                True,
                max_characters=None,
                is_textarea=True,
                is_rich_text_editor=True,
                validation_rule="none",
                validation_regexp=None,
            ),
            _ref_attr("country", "single_option", False, False),
            _ref_attr(
                "founded",
                "number",
                False,
                False,
                decimals_allowed=False,
                min_value=None,
                max_value=None,
            ),
            _ref_attr("tags", "multiple_options", False, False),
        ]
        if code == "designers":
            s.ref_attributes[code].append(
                _ref_attr(
                    "main_supplier",
                    "reference_entity_single_link",
                    False,
                    False,
                    reference_entity_code="suppliers",
                )
            )
        records = []
        n_sup = record_count("suppliers", s.scale)
        for i in range(record_count(code, s.scale)):
            rcode = f"{code[:-1]}_{i:04d}"
            img = media_code(f"{s.seed}:record:{rcode}", f"{rcode}.png")
            s.extra_media[img] = f"{rcode}.png"
            name = "".join(rng.choice("bcdfgklmnprstv") + rng.choice("aeiou") for _ in range(3))
            values: dict[str, Any] = {
                "label": [_value(f"{name.capitalize()}", loc) for loc in LOCALES],
                "image": [_value(img)],
                "description": [
                    _value(f"{name.capitalize()} ({loc}, {ch})", loc, ch)
                    for ch in ("ecommerce", "mobile")
                    for loc in LOCALES[:2]
                ],
                "country": [_value(rng.choice(OPTIONS["country_of_origin"]))],
                "founded": [_value(str(rng.randint(1900, 2020)))],
                "tags": [_value(sorted(rng.sample(["premium", "eco", "local", "classic"], 2)))],
            }
            if code == "designers":
                values["main_supplier"] = [_value(f"supplier_{rng.randrange(n_sup):04d}")]
            stamp = RECORD_EPOCH + i * 3600 + rng.randrange(3600)
            records.append(
                {
                    "code": rcode,
                    "values": values,
                    "created": iso(stamp),
                    "updated": iso(stamp + rng.randrange(86400 * 60)),
                }
            )
        s.records[code] = records


def build_assets(s: Structure, rng: random.Random) -> None:
    from akeneo_sync.emulator.catalog_data import LOCALES, labels, media_code

    s.asset_families = [
        {
            "code": "packshots",
            "labels": labels("packshots"),
            "attribute_as_main_media": "media",
            "naming_convention": {
                "source": {"property": "code", "channel": None, "locale": None},
                "pattern": "/(?P<product_ref>.*)-.*/",
                "abort_asset_creation_on_error": False,
            },
            "product_link_rules": [],
            "transformations": [],
            "sharing_enabled": False,
        },
        {
            "code": "notices",
            "labels": labels("notices"),
            "attribute_as_main_media": "document",
            "naming_convention": {},
            "product_link_rules": [],
            "transformations": [],
            "sharing_enabled": False,
        },
    ]
    s.asset_attributes["packshots"] = [
        _ref_attr(
            "media",
            "media_file",
            False,
            False,
            media_type="image",
            allowed_extensions=["jpg", "png"],
            max_file_size=None,
        ),
        _ref_attr("alt_text", "text", True, False, max_characters=None, is_textarea=False),
        _ref_attr("photographer", "text", False, False, max_characters=None, is_textarea=False),
        _ref_attr("shot_type", "single_option", False, False),
        _ref_attr("main_colors", "multiple_options", False, False),
        _ref_attr("shot_date", "date", False, False),
    ]
    s.asset_attributes["notices"] = [
        _ref_attr(
            "document",
            "media_file",
            True,
            False,
            media_type="pdf",
            allowed_extensions=["pdf"],
            max_file_size=None,
        ),
        _ref_attr(
            "url",
            "media_link",
            False,
            False,
            media_type="pdf",
            prefix="https://docs.example.com/",
            suffix=None,
        ),
        _ref_attr("pages", "number", False, False, decimals_allowed=False),
        _ref_attr("is_public", "boolean", False, False),
    ]
    for fam in ("packshots", "notices"):
        assets = []
        for i in range(asset_count(fam, s.scale)):
            code = f"{fam[:-1]}_{i:05d}"
            stamp = RECORD_EPOCH + i * 600 + rng.randrange(600)
            if fam == "packshots":
                media = media_code(f"{s.seed}:asset:{code}", f"{code}.png")
                s.extra_media[media] = f"{code}.png"
                values: dict[str, Any] = {
                    "media": [_value(media)],
                    "alt_text": [_value(f"Packshot {i} ({loc})", loc) for loc in LOCALES],
                    "photographer": [_value(rng.choice(["ben_levy", "ana_ruiz", "li_wei"]))],
                    "shot_type": [_value(rng.choice(["front", "back", "side", "detail"]))],
                    "main_colors": [_value(sorted(rng.sample(["red", "blue", "black"], 2)))],
                    "shot_date": [_value(iso(stamp))],
                }
            else:
                values = {
                    "document": [],
                    "url": [_value(f"{code}.pdf")],
                    "pages": [_value(str(rng.randint(2, 120)))],
                    "is_public": [_value(rng.random() < 0.8)],
                }
                for loc in LOCALES[:2]:
                    doc = media_code(f"{s.seed}:asset:{code}:{loc}", f"{code}_{loc}.pdf")
                    s.extra_media[doc] = f"{code}_{loc}.pdf"
                    values["document"].append(_value(doc, loc))
            assets.append(
                {
                    "code": code,
                    "asset_family_code": fam,
                    "values": values,
                    "created": iso(stamp),
                    "updated": iso(stamp + rng.randrange(86400 * 30)),
                }
            )
        s.assets[fam] = assets
