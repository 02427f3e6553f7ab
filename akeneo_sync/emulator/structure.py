"""The catalog's structure: locales, channels, category trees, attributes and their options,
groups, families and variants, measurement families, association types, reference entities with
records and asset families with assets (``builder.py`` makes it, deterministically).

Structure is small (hundreds to tens of thousands of objects even at a million products) so it is
held as ready-made dicts in Akeneo's wire shape; products are not (see ``catalog.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    # Family code -> the category branch (a top-level TREE key) its products are classified in.
    family_branch: dict[str, str] = field(default_factory=dict)
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
