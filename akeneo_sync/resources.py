"""What akeneo-sync exports: every resource, its stable key and its typed key columns.

This table is the contract between extract (which fills documents), transforms (which shape them)
and sinks (which store them): a sink never hard-codes a resource, it reads its name, key and
columns from here. A document's key is the tuple of its ``key`` fields; every write is an upsert
on that key. The column orders the shapes share with the sinks are here too (Akeneo's flat
properties, the ``product_values`` columns), so sinks need nothing from ``transform``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ColumnType = Literal["text", "int", "bool", "datetime"]
Shape = Literal["document", "values", "flat"]
"""What a sink stores (``Sink.shape``), made by ``transform.shapes.shape_rows``: ``document``
the documents; ``values`` the documents plus the products' ``product_values`` rows; ``flat``
Akeneo's flat rows of products and product models, the documents of every other resource."""

PRODUCT_PROPERTIES = (
    "uuid",
    # the identifier attribute's code goes here (e.g. ``sku``)
    "family",
    "parent",
    "root_parent",
    "family_variant",
    "categories",
    "enabled",
    "created",
    "updated",
    "groups",
)
"""The leading columns of a flat product row, in Akeneo's order."""
MODEL_PROPERTIES = (
    "code",
    "family",
    "parent",
    "root_parent",
    "family_variant",
    "categories",
    "created",
    "updated",
)
"""The leading columns of a flat product model row."""
VALUE_ROW_COLUMNS = (
    "uuid",
    "attribute",
    "locale",
    "channel",
    "type",
    "text_value",
    "number_value",
    "bool_value",
    "unit",
    "json_value",
    "label",
)
"""The columns of a ``product_values`` row, in the order of its tuples."""


@dataclass(frozen=True)
class Column:
    """A top-level document field promoted to a typed column in relational sinks."""

    name: str
    type: ColumnType = "text"


@dataclass(frozen=True)
class Resource:
    name: str
    """Table, collection and file name (``products`` -> ``products.jsonl``)."""
    key: tuple[str, ...]
    """Document fields that identify it; never null."""
    columns: tuple[Column, ...]
    """Key columns first, then fields worth filtering and joining on."""
    flat_properties: tuple[str, ...] | None = None
    """The leading columns of Akeneo's flat row of it (products, product models); None for a
    resource without one, which a flat sink stores as documents."""

    def key_of(self, doc: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(doc[k] for k in self.key)

    @property
    def leading_columns(self) -> tuple[str, ...]:
        """The first columns of a flat file of it: its flat properties, else its key and typed
        columns; the others follow sorted by name."""
        if self.flat_properties is not None:
            return self.flat_properties
        return tuple(dict.fromkeys([*self.key, *(c.name for c in self.columns)]))


def _cols(*spec: str) -> tuple[Column, ...]:
    """``"enabled:bool"`` -> Column("enabled", "bool"); plain names are text."""
    out = []
    for item in spec:
        name, _, kind = item.partition(":")
        out.append(Column(name, kind or "text"))  # type: ignore[arg-type]
    return tuple(out)


PRODUCTS = Resource(
    "products",
    ("uuid",),
    _cols(
        "uuid",
        "identifier",
        "family",
        "family_variant",
        "parent",
        "root_parent",
        "enabled:bool",
        "created:datetime",
        "updated:datetime",
    ),
    flat_properties=PRODUCT_PROPERTIES,
)
PRODUCT_MODELS = Resource(
    "product_models",
    ("code",),
    _cols(
        "code",
        "family",
        "family_variant",
        "parent",
        "root_parent",
        "created:datetime",
        "updated:datetime",
    ),
    flat_properties=MODEL_PROPERTIES,
)
FAMILIES = Resource("families", ("code",), _cols("code", "attribute_as_label"))
FAMILY_VARIANTS = Resource("family_variants", ("family", "code"), _cols("family", "code"))
ATTRIBUTES = Resource(
    "attributes",
    ("code",),
    _cols("code", "type", "group", "localizable:bool", "scopable:bool"),
)
ATTRIBUTE_OPTIONS = Resource(
    "attribute_options", ("attribute", "code"), _cols("attribute", "code", "sort_order:int")
)
ATTRIBUTE_GROUPS = Resource("attribute_groups", ("code",), _cols("code", "sort_order:int"))
CATEGORIES = Resource("categories", ("code",), _cols("code", "parent", "updated:datetime"))
CHANNELS = Resource("channels", ("code",), _cols("code", "category_tree"))
LOCALES = Resource("locales", ("code",), _cols("code", "enabled:bool"))
CURRENCIES = Resource("currencies", ("code",), _cols("code", "enabled:bool"))
MEASUREMENT_FAMILIES = Resource(
    "measurement_families", ("code",), _cols("code", "standard_unit_code")
)
ASSOCIATION_TYPES = Resource("association_types", ("code",), _cols("code"))
REFERENCE_ENTITIES = Resource("reference_entities", ("code",), _cols("code"))
REFERENCE_ENTITY_RECORDS = Resource(
    "reference_entity_records",
    ("reference_entity", "code"),
    _cols("reference_entity", "code", "updated:datetime"),
)
ASSET_FAMILIES = Resource("asset_families", ("code",), _cols("code"))
ASSETS = Resource(
    "assets",
    ("asset_family_code", "code"),
    _cols("asset_family_code", "code", "updated:datetime"),
)

# Order matters: reference data first, so transforms have their lookups before products arrive.
ALL: tuple[Resource, ...] = (
    LOCALES,
    CURRENCIES,
    CHANNELS,
    MEASUREMENT_FAMILIES,
    ATTRIBUTE_GROUPS,
    ATTRIBUTES,
    ATTRIBUTE_OPTIONS,
    FAMILIES,
    FAMILY_VARIANTS,
    CATEGORIES,
    ASSOCIATION_TYPES,
    REFERENCE_ENTITIES,
    REFERENCE_ENTITY_RECORDS,
    ASSET_FAMILIES,
    ASSETS,
    PRODUCT_MODELS,
    PRODUCTS,
)
BY_NAME: dict[str, Resource] = {r.name: r for r in ALL}


def get(name: str) -> Resource:
    return BY_NAME[name]
