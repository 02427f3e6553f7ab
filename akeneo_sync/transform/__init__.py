"""Pure transforms: dict in, dict out, no I/O (docs/architecture.md, "Document contract"), and
every shape a sink stores (``shapes.shape_rows``)."""

from akeneo_sync.resources import MODEL_PROPERTIES, PRODUCT_PROPERTIES, VALUE_ROW_COLUMNS
from akeneo_sync.transform.lookups import Lookups, apply_labels, enrich_category
from akeneo_sync.transform.shapes import Shaped, shape_rows
from akeneo_sync.transform.value_rows import product_value_rows
from akeneo_sync.transform.values import associates_with, flatten_model, flatten_product
from akeneo_sync.transform.variants import (
    merge_categories,
    merge_chain,
    merge_parent_values,
    parent_chain,
    product_identifier,
)

__all__ = [
    "MODEL_PROPERTIES",
    "PRODUCT_PROPERTIES",
    "VALUE_ROW_COLUMNS",
    "Lookups",
    "Shaped",
    "apply_labels",
    "associates_with",
    "enrich_category",
    "flatten_model",
    "flatten_product",
    "merge_categories",
    "merge_chain",
    "merge_parent_values",
    "parent_chain",
    "product_identifier",
    "product_value_rows",
    "shape_rows",
]
