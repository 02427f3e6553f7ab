"""Compile a parsed ``search`` into one predicate for products or for product models."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from akeneo_sync.emulator import scores
from akeneo_sync.emulator.catalog_data import CHANNELS
from akeneo_sync.emulator.filters import (
    ALL_LOCALE_OPS,
    COMPARE,
    FilterError,
    Pred,
    category_pred,
    code_list,
    combine,
    date_pred,
    family_pred,
    identifier_pred,
    text_op,
    unsupported,
)

if TYPE_CHECKING:
    from akeneo_sync.emulator.catalog import Catalog
    from akeneo_sync.emulator.render import Renderer

SCOPE_BITS = {"ecommerce": 1, "mobile": 2}


# Small closures built by functions so each predicate binds its own values.
def _membership(wanted: set[int | None], inside: bool) -> Pred:
    return lambda i: (i in wanted) == inside


def _equals(column: Any, want: int) -> Pred:
    return lambda i: bool(column[i] == want)


def _truthy(column: Any) -> Pred:
    return lambda i: bool(column[i])


def _parent_in(column: Any, wanted: set[int]) -> Pred:
    return lambda m: column[m] in wanted


def scope_pred(cat: Catalog, scope: str, catset_of: Any) -> Pred:
    # With ``scope`` Akeneo only returns items classified in the channel's tree.
    bit = {"master": 1, "mobile": 2}[cat.s.channel_by_code[scope]["category_tree"]]
    trees = cat.catset_trees
    return lambda i: bool(trees[catset_of(i)] & bit)


def _channel(field: str, cond: dict[str, Any]) -> tuple[str, list[str]]:
    """The filter's ``scope`` and the locales it applies to (``locales``, else the channel's)."""
    scope = cond.get("scope")
    if scope not in CHANNELS:
        raise FilterError(422, f'Property "{field}" expects a valid scope, "{scope}" given.')
    return scope, cond.get("locales") or CHANNELS[scope][1]


def completeness_pred(renderer: Renderer, cond: dict[str, Any]) -> Pred:
    op, value = cond["operator"], cond.get("value")
    scope, locales = _channel("completeness", cond)
    if not isinstance(value, int) or isinstance(value, bool):
        raise FilterError(
            422, f'Property "completeness" expects a numeric as data, "{value}" given.'
        )
    if op in COMPARE:
        cmp = COMPARE[op]

        def on_one_locale(i: int) -> bool:
            comp = scores.product_completeness(renderer, i)  # empty: no family, no match
            return any(cmp(comp[scope, loc], value) for loc in CHANNELS[scope][1] if comp)

        return on_one_locale
    if op in ALL_LOCALE_OPS:
        cmp = COMPARE[ALL_LOCALE_OPS[op]]

        def on_all_locales(i: int) -> bool:
            comp = scores.product_completeness(renderer, i)  # empty: no family, no match
            return bool(comp) and all(cmp(comp.get((scope, loc), -1), value) for loc in locales)

        return on_all_locales
    raise unsupported("completeness", op)


MODEL_COMPLETENESS = ("AT LEAST COMPLETE", "AT LEAST INCOMPLETE", "ALL COMPLETE", "ALL INCOMPLETE")


def model_completeness_pred(renderer: Renderer, cond: dict[str, Any]) -> Pred:
    """Evaluated over the model's variant products, as Akeneo indexes it: a variant counts as
    complete when it is 100% on the channel for every locale asked."""
    op = cond["operator"]
    if op not in MODEL_COMPLETENESS:
        raise unsupported("completeness", op)
    scope, locales = _channel("completeness", cond)
    cat = renderer.cat
    want_complete = "INCOMPLETE" not in op
    combine_variants = any if op.startswith("AT LEAST") else all

    def complete(i: int) -> bool:
        comp = scores.product_completeness(renderer, i)
        return bool(comp) and all(comp.get((scope, loc)) == 100 for loc in locales)

    def check(m: int) -> bool:
        variants = cat.descendants_of_model(m)[1]
        return bool(variants) and combine_variants(complete(i) == want_complete for i in variants)

    return check


def quality_pred(renderer: Renderer, cond: dict[str, Any]) -> Pred:
    op, locale = cond["operator"], cond.get("locale")
    if op != "IN":
        raise unsupported("quality_score", op)
    scope, _ = _channel("quality_score", cond)
    if locale not in CHANNELS[scope][1]:
        raise FilterError(
            422, f'Property "quality_score" expects a valid locale, "{locale}" given.'
        )
    wanted = set(code_list("quality_score", cond.get("value")))
    return lambda i: scores.product_grades(renderer, i).get((scope, locale)) in wanted


def value_pred(
    renderer: Renderer,
    field: str,
    cond: dict[str, Any],
    model: bool,
    search_locale: str | None,
    search_scope: str | None,
) -> Pred:
    attr = renderer.cat.s.attr_by_code[field]
    op = cond["operator"]
    want: Any = cond.get("value")
    locale = cond.get("locale", search_locale if attr["localizable"] else None)
    scope = cond.get("scope", search_scope if attr["scopable"] else None)
    if attr["localizable"] and not locale:
        raise FilterError(422, f'Attribute "{field}" expects a locale, none given.')
    if attr["scopable"] and not scope:
        raise FilterError(422, f'Attribute "{field}" expects a scope, none given.')
    typ = attr["type"]

    def data_of(i: int) -> Any:
        values = (renderer.model_values(i) if model else renderer.product_values(i)).get(field, [])
        for v in values:
            if v["locale"] == locale and v["scope"] == scope:
                return v["data"]
        return None

    def check(i: int) -> bool:
        data = data_of(i)
        if op == "EMPTY":
            return data in (None, "", [])
        if op == "NOT EMPTY":
            return data not in (None, "", [])
        if typ in ("pim_catalog_simpleselect", "akeneo_reference_entity"):
            return (data in want) == (op == "IN") if data is not None else op == "NOT IN"
        if typ.endswith(("multiselect", "_collection")) and typ != "pim_catalog_price_collection":
            hit = bool(set(data or []) & set(want))
            return hit == (op == "IN")
        if typ in ("pim_catalog_number", "pim_catalog_metric", "pim_catalog_price_collection"):
            if data is None:
                return False
            if typ == "pim_catalog_metric":
                num, target = float(data["amount"]), float(want["amount"])
            elif typ == "pim_catalog_price_collection":
                amounts = [p for p in data if p["currency"] == want["currency"]]
                if not amounts:
                    return False
                num, target = float(amounts[0]["amount"]), float(want["amount"])
            else:
                num, target = float(data), float(want)
            return COMPARE[op](num, target)
        if typ == "pim_catalog_boolean":
            return COMPARE[op](data, want) if data is not None else False
        if typ == "pim_catalog_date":
            day = (data or "")[:10]
            if op == "BETWEEN":
                return bool(day) and want[0][:10] <= day <= want[1][:10]
            if op == "NOT BETWEEN":
                return bool(day) and not want[0][:10] <= day <= want[1][:10]
            return bool(day) and COMPARE[op](day, str(want)[:10])
        return text_op(op, want, data if isinstance(data, str) else None)

    return check


SHARED_FIELDS = frozenset({"family", "categories", "created", "updated"})


def _shared_pred(
    cat: Catalog,
    field: str,
    cond: dict[str, Any],
    family_of: Callable[[int], int],
    catset_of: Callable[[int], int],
    created_of: Callable[[int], int],
    updated_of: Callable[[int], int],
    now: float,
) -> Pred:
    """The filters products and product models share, each on its own columns."""
    if field == "family":
        return family_pred(cat, cond, family_of)
    if field == "categories":
        return category_pred(cat, cond, catset_of)
    return date_pred(field, cond, created_of if field == "created" else updated_of, now)


def product_predicate(
    renderer: Renderer,
    search: dict[str, list[dict[str, Any]]],
    scope: str | None,
    now: float,
    search_locale: str | None = None,
    search_scope: str | None = None,
) -> Pred | None:
    cat = renderer.cat
    alive = cat.p_alive
    preds: list[Pred] = []
    eff = cat.p_cats_eff

    def catset_of(i: int) -> int:
        return eff[i]

    if scope:
        preds.append(scope_pred(cat, scope, catset_of))
    for field, conds in search.items():
        for cond in conds:
            op = cond["operator"]
            if field == "uuid":
                if op not in ("IN", "NOT IN"):
                    raise unsupported(field, op)
                wanted = {cat.index_of_uuid(u) for u in code_list(field, cond.get("value"))}
                preds.append(_membership(wanted, op == "IN"))
            elif field == "enabled":
                if op not in ("=", "!=") or not isinstance(cond.get("value"), bool):
                    if op not in ("=", "!="):
                        raise unsupported(field, op)
                    raise FilterError(
                        422,
                        'Property "enabled" expects a boolean as data, '
                        f'"{cond.get("value")}" given.',
                    )
                want = 1 if cond["value"] == (op == "=") else 0
                preds.append(_equals(cat.p_enabled, want))
            elif field in SHARED_FIELDS:
                columns = (cat.p_family.__getitem__, catset_of, cat.p_created.__getitem__)
                preds.append(_shared_pred(cat, field, cond, *columns, cat.product_eff_updated, now))
            elif field == "parent":
                preds.append(parent_pred(cat, cond))
            elif field == "completeness":
                preds.append(completeness_pred(renderer, cond))
            elif field == "quality_score":
                preds.append(quality_pred(renderer, cond))
            elif field == "groups":
                preds.append(groups_pred(cat, cond))
            elif field == "sku" or field == "identifier":
                preds.append(identifier_pred(field, cond, cat.identifier))
            elif field in cat.s.attr_by_code:
                preds.append(value_pred(renderer, field, cond, False, search_locale, search_scope))
            else:
                raise unsupported(field, op)
    preds.insert(0, _truthy(alive))
    return combine(preds)


def parent_pred(cat: Catalog, cond: dict[str, Any]) -> Pred:
    op, value = cond["operator"], cond.get("value")
    parents = cat.p_parent
    if op == "EMPTY":
        return lambda i: parents[i] < 0
    if op == "NOT EMPTY":
        return lambda i: parents[i] >= 0
    if op == "=":
        m = cat.m_by_code.get(value) if isinstance(value, str) else None
        if m is None:
            raise FilterError(
                422,
                f'Property "parent" expects a valid parent code. The parent '
                f'product model does not exist, "{value}" given.',
            )
        mp = cat.m_parent
        return lambda i: parents[i] == m or (parents[i] >= 0 and mp[parents[i]] == m)
    if op == "IN":
        wanted = {cat.m_by_code.get(c, -2) for c in code_list("parent", value)}
        return lambda i: parents[i] in wanted
    raise unsupported("parent", op)


def groups_pred(cat: Catalog, cond: dict[str, Any]) -> Pred:
    op = cond["operator"]

    def groups(i: int) -> list[str]:
        over = cat.p_over.get(i)
        return over.get("groups", []) if over else []

    if op == "EMPTY":
        return lambda i: not groups(i)
    if op == "NOT EMPTY":
        return lambda i: bool(groups(i))
    if op not in ("IN", "NOT IN"):
        raise unsupported("groups", op)
    wanted = set(code_list("groups", cond.get("value")))
    return lambda i: bool(wanted & set(groups(i))) == (op == "IN")


def model_predicate(
    renderer: Renderer,
    search: dict[str, list[dict[str, Any]]],
    scope: str | None,
    now: float,
    search_locale: str | None = None,
    search_scope: str | None = None,
) -> Pred | None:
    cat = renderer.cat
    preds: list[Pred] = []
    eff = cat.m_cats_eff
    mp = cat.m_parent

    def catset_of(m: int) -> int:
        return eff[m]

    if scope:
        preds.append(scope_pred(cat, scope, catset_of))
    for field, conds in search.items():
        for cond in conds:
            op = cond["operator"]
            if field in ("identifier", "code"):
                preds.append(identifier_pred(field, cond, cat.m_code.__getitem__))
            elif field in SHARED_FIELDS:
                columns = (cat.m_family.__getitem__, catset_of, cat.m_created.__getitem__)
                preds.append(
                    _shared_pred(cat, field, cond, *columns, cat.m_eff_updated.__getitem__, now)
                )
            elif field == "parent":
                if op == "EMPTY":
                    preds.append(lambda m: mp[m] < 0)
                elif op == "NOT EMPTY":
                    preds.append(lambda m: mp[m] >= 0)
                elif op == "IN":
                    roots = {cat.m_by_code.get(c, -2) for c in code_list(field, cond.get("value"))}
                    preds.append(_parent_in(mp, roots))
                else:
                    raise unsupported(field, op)
            elif field == "completeness":
                preds.append(model_completeness_pred(renderer, cond))
            elif field in cat.s.attr_by_code:
                preds.append(value_pred(renderer, field, cond, True, search_locale, search_scope))
            else:
                raise unsupported(field, op)
    preds.insert(0, _truthy(cat.m_alive))
    return combine(preds)
