"""Pure transforms: dict in, dict out, no I/O (docs/architecture.md, "Document contract")."""

from akeneo_sync.transform.values import (
    MODEL_PROPERTIES,
    PRODUCT_PROPERTIES,
    VALUE_ROW_COLUMNS,
    flatten_model,
    flatten_product,
    product_value_rows,
)

__all__ = [
    "MODEL_PROPERTIES",
    "PRODUCT_PROPERTIES",
    "VALUE_ROW_COLUMNS",
    "flatten_model",
    "flatten_product",
    "product_value_rows",
]
