"""A small, realistic catalog as a sink receives it (docs/architecture.md, "Document contract").

Every resource of ``akeneo_sync.resources`` has documents here, with the shapes Akeneo sends
(values keyed by attribute, ``{locale, scope, data}`` entries, merged variant values, ``path`` on
categories...), plus the data that breaks careless sinks: emoji and other non-BMP text, quotes and
backslashes, a 50 KB text, empty values, ``{}`` beside ``[]``, numbers sent as strings, and
attribute codes that are SQL keywords (``select``, ``order``, ``group``, ``from``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from akeneo_sync import resources as R
from akeneo_sync.sinks import open_sink
from akeneo_sync.sinks.base import Sink, SinkContext
from akeneo_sync.transform.shapes import shape_rows

Doc = dict[str, Any]

T0 = "2024-03-01T09:00:00+00:00"
T1 = "2024-03-02T10:30:00+01:00"
ODD_TEXT = (
    "Ünïcödé 😀🚀 \"double\" 'single' back\\slash \\n not-a-newline\nnewline\ttab ; DROP TABLE x;--"
)
LONG_TEXT = ("Lorem ipsum dolor sit amet, 😀 consectetur adipiscing elit. " * 900)[:50_000]


def _v(data: Any, locale: str | None = None, scope: str | None = None) -> Doc:
    return {"locale": locale, "scope": scope, "data": data}


def _attribute(code: str, type_: str, group: str = "marketing", **extra: Any) -> Doc:
    doc: Doc = {
        "code": code,
        "type": type_,
        "group": group,
        "unique": type_ == "pim_catalog_identifier",
        "useable_as_grid_filter": True,
        "allowed_extensions": [],
        "metric_family": None,
        "default_metric_unit": None,
        "localizable": False,
        "scopable": False,
        "labels": {"en_US": code.replace("_", " ").title(), "fr_FR": code},
        "sort_order": 0,
        "group_labels": {"en_US": group.title()},
    }
    doc.update(extra)
    return doc


ATTRIBUTES: list[Doc] = [
    _attribute("sku", "pim_catalog_identifier", "technical", is_main_identifier=True),
    _attribute("name", "pim_catalog_text", localizable=True),
    _attribute("description", "pim_catalog_textarea", localizable=True, scopable=True),
    _attribute("color", "pim_catalog_simpleselect"),
    _attribute("size", "pim_catalog_simpleselect"),
    _attribute("materials", "pim_catalog_multiselect"),
    _attribute(
        "weight",
        "pim_catalog_metric",
        "technical",
        metric_family="Weight",
        default_metric_unit="KILOGRAM",
        decimals_allowed=True,
    ),
    _attribute("price", "pim_catalog_price_collection", decimals_allowed=True),
    _attribute("waterproof", "pim_catalog_boolean", "technical"),
    _attribute("stock", "pim_catalog_number", "technical", decimals_allowed=False),
    _attribute("release_date", "pim_catalog_date"),
    _attribute("picture", "pim_catalog_image", "media", allowed_extensions=["jpg", "png"]),
    _attribute("care", "pim_catalog_table", table_configuration=[{"code": "step"}]),
    _attribute("brand", "akeneo_reference_entity", reference_data_name="brands"),
    _attribute("packshots", "pim_catalog_asset_collection", reference_data_name="packshots"),
    # Attribute codes that are SQL keywords: data, never SQL text.
    _attribute("select", "pim_catalog_text"),
    _attribute("order", "pim_catalog_number"),
    _attribute("group", "pim_catalog_boolean"),
    _attribute("from", "pim_catalog_simpleselect"),
]


def _option(attribute: str, code: str, order: int, label: str) -> Doc:
    return {
        "code": code,
        "attribute": attribute,
        "sort_order": order,
        "labels": {"en_US": label, "fr_FR": label.lower()},
    }


def _product(uuid: str, sku: str, **fields: Any) -> Doc:
    doc: Doc = {
        "uuid": uuid,
        "identifier": sku,
        "enabled": True,
        "family": "shirts",
        "categories": ["men_shirts"],
        "groups": [],
        "parent": None,
        "root_parent": None,
        "family_variant": None,
        "values": {"sku": [_v(sku)]},
        "created": T0,
        "updated": T1,
        "associations": {"X_SELL": {"products": [], "product_models": [], "groups": []}},
        "quantified_associations": {},
        "metadata": {"workflow_status": "working_copy"},
    }
    values = fields.pop("values", None)
    doc.update(fields)
    if values == {}:  # a product with no value at all, not even its identifier
        doc["values"] = {}
    elif values:
        doc["values"].update(values)
    return doc


MODEL_VALUES = {
    "name": [_v("Classic shirt", "en_US"), _v("Chemise classique", "fr_FR")],
    "materials": [_v(["cotton", "linen"])],
    "care": [_v([{"step": "wash 30°C"}, {"step": "no dryer"}])],
    "brand": [_v("acme")],
}


def catalog() -> dict[str, list[Doc]]:
    """Resource name -> documents, in ``resources.ALL`` order; a fresh deep copy each call."""
    docs: dict[str, list[Doc]] = {
        "locales": [
            {"code": "en_US", "enabled": True},
            {"code": "fr_FR", "enabled": True},
            {"code": "de_DE", "enabled": False},
        ],
        "currencies": [{"code": "EUR", "enabled": True}, {"code": "USD", "enabled": True}],
        "channels": [
            {
                "code": "ecommerce",
                "currencies": ["EUR", "USD"],
                "locales": ["en_US", "fr_FR"],
                "category_tree": "master",
                "conversion_units": {},
                "labels": {"en_US": "E-commerce"},
            }
        ],
        "measurement_families": [
            {
                "code": "Weight",
                "labels": {"en_US": "Weight"},
                "standard_unit_code": "KILOGRAM",
                "units": {
                    "KILOGRAM": {
                        "code": "KILOGRAM",
                        "symbol": "kg",
                        "convert_from_standard": [{"operator": "mul", "value": "1"}],
                    }
                },
            }
        ],
        "attribute_groups": [
            {"code": c, "sort_order": i, "attributes": [], "labels": {"en_US": c.title()}}
            for i, c in enumerate(("marketing", "technical", "media"))
        ],
        "attributes": ATTRIBUTES,
        "attribute_options": [
            _option("color", "red", 1, "Red"),
            _option("color", "blue", 2, "Blue"),
            _option("size", "m", 1, "M"),
            _option("size", "l", 2, "L"),
            _option("materials", "cotton", 1, "Cotton"),
            _option("materials", "linen", 2, "Linen"),
            _option("from", "select", 1, 'Option "select" \\ 😀'),
        ],
        "families": [
            {
                "code": "shirts",
                "attribute_as_label": "name",
                "attribute_as_image": "picture",
                "attributes": [a["code"] for a in ATTRIBUTES],
                "attribute_requirements": {"ecommerce": ["sku", "name"]},
                "labels": {"en_US": "Shirts"},
            },
            {
                "code": "empty_family",
                "attribute_as_label": "sku",
                "attribute_as_image": None,
                "attributes": ["sku"],
                "attribute_requirements": {},
                "labels": {},
            },
        ],
        "family_variants": [
            {
                "code": "shirts_color_size",
                "family": "shirts",
                "labels": {"en_US": "By color, size"},
                "variant_attribute_sets": [
                    {"level": 1, "axes": ["color"], "attributes": ["color", "picture"]},
                    {"level": 2, "axes": ["size"], "attributes": ["size", "sku", "stock"]},
                ],
            }
        ],
        "categories": [
            {
                "code": "master",
                "parent": None,
                "updated": T0,
                "labels": {"en_US": "Master"},
                "path": ["master"],
            },
            {
                "code": "men",
                "parent": "master",
                "updated": T0,
                "labels": {"en_US": "Men"},
                "path": ["master", "men"],
            },
            {
                "code": "men_shirts",
                "parent": "men",
                "updated": T1,
                "labels": {"en_US": 'Shirts & "tops"'},
                "path": ["master", "men", "men_shirts"],
            },
        ],
        "association_types": [
            {
                "code": "X_SELL",
                "labels": {"en_US": "Cross sell"},
                "is_quantified": False,
                "is_two_way": False,
            }
        ],
        "reference_entities": [{"code": "brands", "labels": {"en_US": "Brands"}, "image": None}],
        "reference_entity_records": [
            {
                "code": "acme",
                "reference_entity": "brands",
                "updated": T0,
                "values": {"label": [{"locale": "en_US", "channel": None, "data": "ACME 😀"}]},
            },
            {"code": "globex", "reference_entity": "brands", "updated": T1, "values": {}},
        ],
        "asset_families": [
            {
                "code": "packshots",
                "labels": {"en_US": "Packshots"},
                "attribute_as_main_media": "media",
                "naming_convention": {},
                "product_link_rules": [],
                "transformations": [],
            }
        ],
        "assets": [
            {
                "code": "shirt_front",
                "asset_family_code": "packshots",
                "updated": T0,
                "values": {
                    "media": [{"locale": None, "channel": None, "data": "a/b/shirt_front.jpg"}]
                },
            }
        ],
        "product_models": [
            {
                "code": "classic_shirt",
                "family": "shirts",
                "family_variant": "shirts_color_size",
                "parent": None,
                "root_parent": None,
                "categories": ["men_shirts"],
                "values": MODEL_VALUES,
                "created": T0,
                "updated": T0,
                "associations": {},
                "quantified_associations": {},
            },
            {
                "code": "classic_shirt_red",
                "family": "shirts",
                "family_variant": "shirts_color_size",
                "parent": "classic_shirt",
                "root_parent": "classic_shirt",
                "categories": ["men_shirts"],
                "values": {**MODEL_VALUES, "color": [_v("red")]},
                "created": T0,
                "updated": T1,
                "associations": {},
                "quantified_associations": {},
            },
        ],
        "products": [
            _product(
                "0b9b6e2c-3b5e-4b8a-9c1f-000000000001",
                "simple-1",
                values={
                    "name": [_v(ODD_TEXT, "en_US"), _v("", "fr_FR")],
                    "description": [_v(LONG_TEXT, "en_US", "ecommerce")],
                    "weight": [_v({"amount": "1.5000", "unit": "KILOGRAM"})],
                    "price": [
                        _v(
                            [
                                {"amount": "19.99", "currency": "EUR"},
                                {"amount": "21.50", "currency": "USD"},
                            ]
                        )
                    ],
                    "waterproof": [_v(False)],
                    "stock": [_v(12)],
                    "release_date": [_v("2024-01-15T00:00:00+00:00")],
                    "picture": [_v("1/2/3/shirt.jpg")],
                    "packshots": [_v(["shirt_front"])],
                    "select": [_v("SELECT * FROM products; -- 'quoted'")],
                    "order": [_v("3.14")],
                    "group": [_v(True)],
                    "from": [_v("select")],
                    "materials": [_v([])],
                    "care": [_v([])],
                },
            ),
            _product(
                "0b9b6e2c-3b5e-4b8a-9c1f-000000000002",
                "empty-values",
                family=None,
                categories=[],
                associations={},
                values={},
                enabled=False,
            ),
            _product(
                "0b9b6e2c-3b5e-4b8a-9c1f-000000000003",
                "no-identifier 😀",
                identifier=None,
                values={"color": [_v("blue")], "materials": [_v(["linen"])]},
            ),
            *(
                _product(
                    f"0b9b6e2c-3b5e-4b8a-9c1f-10000000000{i}",
                    f"classic-red-{size}",
                    parent="classic_shirt_red",
                    root_parent="classic_shirt",
                    family_variant="shirts_color_size",
                    values={
                        **copy.deepcopy(MODEL_VALUES),
                        "color": [_v("red")],
                        "size": [_v(size)],
                        "stock": [_v(i * 10)],
                    },
                )
                for i, size in enumerate(("m", "l"))
            ),
        ],
    }
    return copy.deepcopy(docs)


def attributes_by_code() -> dict[str, Doc]:
    return {a["code"]: copy.deepcopy(a) for a in ATTRIBUTES}


def context() -> SinkContext:
    return SinkContext(R.ALL)


def write(
    sink: Sink,
    resource: R.Resource,
    docs: Sequence[Doc],
    attributes: Mapping[str, Any] | None = None,
) -> None:
    """What the runner's writer does with a batch: shape it as ``sink`` stores it, write it."""
    known = attributes_by_code() if attributes is None else attributes
    shaped = shape_rows(sink.shape, resource, docs, known)
    sink.write(resource, shaped.rows, shaped.values)


def export(url: str, **options: str) -> Sink:
    """The whole catalog into ``url`` in one committed run (state ``{"cursor": "c1"}``)."""
    sink = open_sink(url, **options)  # type: ignore[arg-type]
    sink.open(context())
    docs = catalog()
    for resource in R.ALL:
        write(sink, resource, docs[resource.name])
    sink.commit({"cursor": "c1"})
    sink.close(True)
    return sink


def changed(docs: dict[str, list[Doc]]) -> dict[str, list[Doc]]:
    """A second version of the catalog: every product renamed, so a batch shows up on read."""
    out = copy.deepcopy(docs)
    for product in out["products"]:
        product["values"]["name"] = [_v(f"renamed {product['uuid'][-2:]}", "en_US")]
        product["updated"] = "2024-04-01T00:00:00+00:00"
    return out
