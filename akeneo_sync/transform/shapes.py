"""Every shape a sink stores, made in one place: sinks store ready rows and never shape them.

    shaped = shape_rows(sink.shape, resource, docs, attributes)
    sink.write(resource, shaped.rows, shaped.values)

A sink declares its shape (``Sink.shape``, one of ``resources.Shape``):

- ``document``: the documents as they are (JSONL, MongoDB);
- ``values``: the documents, plus for products their long ``product_values`` rows (SQL);
- ``flat``: Akeneo's flat rows of products and product models (CSV, Parquet, the ``.json``
  array), carrying ``deleted_at``; every other resource stays a document, which the file format
  encodes its own way.

Pure: the documents are read, never modified, and nothing here knows where the rows go.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from akeneo_sync.resources import PRODUCT_MODELS, PRODUCTS, Resource, Shape
from akeneo_sync.transform.value_rows import ValueRow, product_value_tuples
from akeneo_sync.transform.values import flatten_model, flatten_product

Doc = dict[str, Any]
SHAPES: tuple[Shape, ...] = get_args(Shape)

_FLATTEN: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]] = {
    PRODUCTS.name: flatten_product,
    PRODUCT_MODELS.name: flatten_model,
}


@dataclass(frozen=True)
class Shaped:
    """What a sink of some shape stores for one batch of documents."""

    rows: Sequence[Doc]
    """The documents, or for the flat shape the flat rows of products and product models."""
    values: list[ValueRow] | None = None
    """The ``product_values`` rows of products for the ``values`` shape, else None. A product
    given twice in a batch has the rows of its last document only (the one an upsert keeps)."""


def shape_rows(
    shape: Shape, resource: Resource, docs: Sequence[Doc], attributes: Mapping[str, Any]
) -> Shaped:
    """The rows a sink of ``shape`` stores for ``docs`` of ``resource``; ``attributes`` (code ->
    attribute document) types the values and names the flat columns."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
    if shape == "flat" and resource.name in _FLATTEN:
        flatten = _FLATTEN[resource.name]
        return Shaped([_flat(flatten, doc, attributes) for doc in docs])
    if shape == "values" and resource.name == PRODUCTS.name:
        last = {doc.get("uuid"): doc for doc in docs}  # the one an upsert keeps
        values = [row for doc in last.values() for row in product_value_tuples(doc, attributes)]
        return Shaped(docs, values)
    return Shaped(docs)


def _flat(
    flatten: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]],
    doc: Mapping[str, Any],
    attributes: Mapping[str, Any],
) -> Doc:
    row = flatten(doc, attributes)
    if "deleted_at" in doc:
        row["deleted_at"] = doc["deleted_at"]
    return row
