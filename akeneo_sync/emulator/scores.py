"""Completeness and quality scores, computed from an entity's values the way Akeneo defines them.

Completeness, per channel and locale: the share of the family's required attributes for that
channel that hold a value for that channel and locale, rounded down; a product without a family
has none. Quality (Data Quality Insights) is graded from how much of what the entity can hold is
filled, on Akeneo's bands (A from 90, B from 80, C from 70, D from 60, E below). Being computed
rather than drawn, both are deterministic for a product, agree with the ``completeness`` and
``quality_score`` filters, and follow the writes made through the API, as Akeneo's do.
"""

from __future__ import annotations

from typing import Any, Protocol

from akeneo_sync.emulator.catalog import Catalog
from akeneo_sync.emulator.catalog_data import CHANNELS

Values = dict[str, list[dict[str, Any]]]


class Renderer(Protocol):
    """Where scores read values from (``render.Renderer``)."""

    cat: Catalog

    def product_values(self, i: int, merged: bool | None = None) -> Values: ...
    def model_values(self, m: int, merged: bool | None = None) -> Values: ...


CHANNEL_LOCALES = [(ch, loc) for ch, (_, locales, _) in CHANNELS.items() for loc in locales]
GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))


def _share(renderer: Renderer, values: Values, codes: list[str], ch: str, loc: str) -> int:
    """Percentage (rounded down) of ``codes`` filled for one channel and locale."""
    if not codes:
        return 100
    attrs = renderer.cat.s.attr_by_code
    filled = 0
    for code in codes:
        attr = attrs[code]
        locale = loc if attr["localizable"] else None
        scope = ch if attr["scopable"] else None
        filled += any(
            e["locale"] == locale and e["scope"] == scope and e["data"] not in (None, "", [])
            for e in values.get(code, ())
        )
    return 100 * filled // len(codes)


def _grades(renderer: Renderer, values: Values, codes: list[str]) -> dict[tuple[str, str], str]:
    def grade(percent: int) -> str:
        return next((letter for low, letter in GRADES if percent >= low), "E")

    return {
        (ch, loc): grade(_share(renderer, values, codes, ch, loc)) for ch, loc in CHANNEL_LOCALES
    }


def product_completeness(renderer: Renderer, i: int) -> dict[tuple[str, str], int]:
    """(channel, locale) -> percentage; empty for a product without a family."""
    cat = renderer.cat
    fam = cat.p_family[i]
    if fam < 0:
        return {}
    required = cat.s.families[fam]["attribute_requirements"]
    values = renderer.product_values(i, merged=True)  # Akeneo scores the whole variant
    return {
        (ch, loc): _share(renderer, values, required.get(ch, []), ch, loc)
        for ch, loc in CHANNEL_LOCALES
    }


def completenesses(renderer: Renderer, i: int) -> list[dict[str, Any]]:
    return [
        {"scope": ch, "locale": loc, "data": percent}
        for (ch, loc), percent in product_completeness(renderer, i).items()
    ]


def product_grades(renderer: Renderer, i: int) -> dict[tuple[str, str], str]:
    cat = renderer.cat
    fam = cat.p_family[i]
    if fam < 0:
        return {}
    codes = cat.s.families[fam]["attributes"]
    return _grades(renderer, renderer.product_values(i, merged=True), codes)


def model_grades(renderer: Renderer, m: int) -> dict[tuple[str, str], str]:
    """Graded on the attributes a model holds: the common ones, and its level's for a sub model."""
    cat = renderer.cat
    fam, var = cat.m_family[m], cat.m_variant[m]
    codes = [a["code"] for d in range(cat.model_depth(m) + 1) for a in cat.plan(fam, var, d)]
    return _grades(renderer, renderer.model_values(m, merged=True), codes)


def quality_scores(grades: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    return [{"scope": ch, "locale": loc, "data": letter} for (ch, loc), letter in grades.items()]
