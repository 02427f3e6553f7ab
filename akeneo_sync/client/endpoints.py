"""Every Akeneo listing akeneo-sync reads: path, paging, parent and ``updated`` filter.

Akeneo's listings differ in ways an exporter must know, and this table is the one place that
knows them (the rest of akeneo-sync names resources, never paths):

- ``offset``: structure listings (families, attributes, ...) take ``limit`` and follow
  ``_links.next``; ``search_after``: products and product models, which must be read with
  ``pagination_type=search_after`` to get past 10,000 items; ``cursor``: reference entities,
  records, asset families and assets, whose only mode is search_after and which take no
  ``limit``; ``array``: measurement families, one plain JSON array.
- A nested listing (options of an attribute, variants of a family, records of an entity, assets
  of a family) has a ``parent`` resource whose code fills the path, and its items get the
  parent's code added under ``parent_field`` when Akeneo does not send it.
- ``updated``: how the listing filters on ``updated``: ``"naive"`` for products and models
  (``YYYY-MM-DD hh:mm:ss`` in the server's zone, pim-api-docs#156), ``"iso"`` for the structure
  listings and assets that take ISO 8601, None for the ones that cannot be filtered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Paging = Literal["offset", "search_after", "cursor", "array"]
UpdatedStyle = Literal["naive", "iso"]


@dataclass(frozen=True)
class Endpoint:
    resource: str
    """The resource name (``akeneo_sync.resources``) this listing fills."""
    path: str
    """Under ``/api/rest/v1``; ``{parent}`` stands for the parent's code."""
    paging: Paging
    parent: str | None = None
    """The resource whose codes fill ``{parent}``."""
    parent_field: str | None = None
    """The field an item gets with its parent's code."""
    updated: UpdatedStyle | None = None
    countable: bool = False
    """Answers ``with_count=true`` with ``items_count``."""


ENDPOINTS: dict[str, Endpoint] = {
    e.resource: e
    for e in (
        Endpoint("locales", "/locales", "offset", countable=True),
        Endpoint("currencies", "/currencies", "offset", countable=True),
        Endpoint("channels", "/channels", "offset", countable=True),
        Endpoint("measurement_families", "/measurement-families", "array"),
        Endpoint("attribute_groups", "/attribute-groups", "offset", countable=True),
        Endpoint("attributes", "/attributes", "offset", updated="iso", countable=True),
        Endpoint(
            "attribute_options",
            "/attributes/{parent}/options",
            "offset",
            parent="attributes",
            parent_field="attribute",
        ),
        Endpoint("families", "/families", "offset", updated="iso", countable=True),
        Endpoint(
            "family_variants",
            "/families/{parent}/variants",
            "offset",
            parent="families",
            parent_field="family",
        ),
        Endpoint("categories", "/categories", "offset", updated="iso", countable=True),
        Endpoint("association_types", "/association-types", "offset", countable=True),
        Endpoint("reference_entities", "/reference-entities", "cursor"),
        Endpoint(
            "reference_entity_records",
            "/reference-entities/{parent}/records",
            "cursor",
            parent="reference_entities",
            parent_field="reference_entity",
            updated="iso",
        ),
        Endpoint("asset_families", "/asset-families", "cursor"),
        Endpoint(
            "assets",
            "/asset-families/{parent}/assets",
            "cursor",
            parent="asset_families",
            parent_field="asset_family_code",
            updated="iso",
        ),
        Endpoint(
            "product_models", "/product-models", "search_after", updated="naive", countable=True
        ),
        Endpoint("products", "/products-uuid", "search_after", updated="naive", countable=True),
    )
}

MEDIA_DOWNLOAD = "/media-files/{code}/download"


def endpoint(resource: str) -> Endpoint:
    return ENDPOINTS[resource]
