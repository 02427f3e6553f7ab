"""The Event Platform's event catalog (the 2025-08 snapshot of Akeneo's available-events page,
37 types) and which of them carry ``data.product.identifier`` on request.

A subscription may name any of these; the emulator emits the ones its REST writes can cause
(products, product models, attribute options, categories) and the rest only on demand through
``POST /_emulator/events/emit``, so a receiver can still be tested against them.
"""

from __future__ import annotations

PREFIX = "com.akeneo.pim.v1."
SCHEMA_BASE = "https://event.prd.sdk.akeneo.cloud/spec/"

_CRUD = (
    "product-model",
    "family",
    "category",
    "attribute",
    "attribute-group",
    "attribute-option",
    "asset",
    "reference-entity-record",
)
_SHORT = (
    "product.created",
    "product.updated",
    "product.deleted",
    "product.updated.delta",
    "product.became-complete",
    "product.became-incomplete",
    "product-model.updated.delta",
    *(f"{entity}.{verb}" for entity in _CRUD for verb in ("created", "updated", "deleted")),
    "job.import.status-changed",
    "job.export.status-changed",
    "job.mass-edit.status-changed",
    "workflow.task.created",
    "connection.deleted",
    "app.deleted",
)
EVENT_TYPES = frozenset(PREFIX + short for short in _SHORT)

# Only these get ``data.product.identifier`` when a subscription sets send_product_identifier.
IDENTIFIER_TYPES = frozenset(
    PREFIX + short
    for short in (
        "product.created",
        "product.updated",
        "product.updated.delta",
        "product.deleted",
        "product.became-complete",
        "product.became-incomplete",
    )
)
# Akeneo documents no ``author`` on these two.
AUTHORLESS_TYPES = frozenset(
    PREFIX + short for short in ("product.became-complete", "product.became-incomplete")
)


def full_type(short_or_full: str) -> str:
    """``product.updated`` or ``com.akeneo.pim.v1.product.updated`` -> the full name."""
    return short_or_full if short_or_full.startswith(PREFIX) else PREFIX + short_or_full
