"""The ``search`` query parameter: parse Akeneo's filter JSON and compile it into predicates over
product (or product-model) indexes, evaluated on the compact columns.

Property filters (uuid, enabled, family, categories, dates, parent, groups, the identifier) never
render a product; attribute filters, completeness and quality_score (computed from the values, see
``scores.py``) do, which is fine for test-sized catalogs and still correct at scale, only slower.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from akeneo_sync.emulator.catalog import Catalog

Pred = Callable[[int], bool]
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE_OPS = {"=", "!=", "<", ">", "BETWEEN", "NOT BETWEEN", "SINCE LAST N DAYS"}
CATEGORY_OPS = {
    "IN",
    "NOT IN",
    "IN OR UNCLASSIFIED",
    "IN CHILDREN",
    "NOT IN CHILDREN",
    "UNCLASSIFIED",
}
COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
ALL_LOCALE_OPS = {
    "GREATER THAN ON ALL LOCALES": ">",
    "GREATER OR EQUALS THAN ON ALL LOCALES": ">=",
    "LOWER THAN ON ALL LOCALES": "<",
    "LOWER OR EQUALS THAN ON ALL LOCALES": "<=",
}


class FilterError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def unsupported(field: str, op: str) -> FilterError:
    return FilterError(
        422, f'Filter on property "{field}" is not supported or does not support operator "{op}"'
    )


def parse_search(raw: str | None) -> dict[str, list[dict[str, Any]]]:
    if raw is None or raw == "":
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise FilterError(400, "Search query parameter should be valid JSON.") from None
    if not isinstance(data, dict):
        raise FilterError(422, "Search query parameter has to be an array.")
    for field, conds in data.items():
        if not isinstance(conds, list) or not all(isinstance(c, dict) for c in conds):
            raise FilterError(
                422,
                f'Structure of filter "{field}" should respect this '
                'structure: {"' + field + '":[{"operator": "my_operator", '
                '"value": "my_value"}]}',
            )
        for cond in conds:
            if "operator" not in cond:
                raise FilterError(422, f'Operator is missing for the property "{field}".')
    return data


def parse_date(field: str, value: Any) -> int:
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise FilterError(
            422,
            f'Property "{field}" expects a string with the format '
            f'"yyyy-mm-dd H:i:s" as data, "{value}" given.',
        )
    try:
        dt = datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise FilterError(
            422, f'Property "{field}" expects a valid date, "{value}" given.'
        ) from None
    return int(dt.timestamp())


def date_pred(field: str, cond: dict[str, Any], get: Callable[[int], int], now: float) -> Pred:
    op, value = cond["operator"], cond.get("value")
    if op not in DATE_OPS:
        raise unsupported(field, op)
    if op == "SINCE LAST N DAYS":
        if not isinstance(value, int) or isinstance(value, bool):
            raise FilterError(
                422, f'Property "{field}" expects an integer as data, "{value}" given.'
            )
        since = now - value * 86400
        return lambda i: get(i) >= since
    if op in ("BETWEEN", "NOT BETWEEN"):
        if not isinstance(value, list) or len(value) != 2:
            raise FilterError(422, f'Property "{field}" expects an array with 2 elements as data.')
        lo, hi = parse_date(field, value[0]), parse_date(field, value[1])
        if op == "BETWEEN":
            return lambda i: lo <= get(i) <= hi
        return lambda i: not lo <= get(i) <= hi
    t = parse_date(field, value)
    if op == ">":
        return lambda i: get(i) > t
    if op == "<":
        return lambda i: get(i) < t
    day = t - t % 86400  # "=" and "!=" compare the day, as Akeneo documents
    if op == "=":
        return lambda i: day <= get(i) < day + 86400
    return lambda i: not day <= get(i) < day + 86400


def code_list(field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FilterError(
            422,
            f'Property "{field}" expects an array as data, "{orjson.dumps(value).decode()}" given.',
        )
    return value


def category_pred(cat: Catalog, cond: dict[str, Any], catset_of: Callable[[int], int]) -> Pred:
    op = cond["operator"]
    if op not in CATEGORY_OPS:
        raise unsupported("categories", op)
    if op == "UNCLASSIFIED":
        return lambda i: not cat.catsets[catset_of(i)]
    codes = code_list("categories", cond.get("value"))
    for code in codes:
        if code not in cat.s.cat_by_code:
            raise FilterError(
                422,
                f'Property "categories" expects a valid category code. The '
                f'category does not exist, "{code}" given.',
            )
    wanted = set(codes)
    if "CHILDREN" in op:
        wanted = {d for c in codes for d in cat.s.descendants(c)}
    memo: dict[int, bool] = {}

    def hit(i: int) -> bool:
        cs = catset_of(i)
        got = memo.get(cs)
        if got is None:
            got = memo[cs] = not wanted.isdisjoint(cat.catsets[cs])
        return got

    if op.startswith("NOT"):
        return lambda i: not hit(i)
    if op == "IN OR UNCLASSIFIED":
        return lambda i: hit(i) or not cat.catsets[catset_of(i)]
    return hit


def family_pred(cat: Catalog, cond: dict[str, Any], fam_of: Callable[[int], int]) -> Pred:
    op = cond["operator"]
    if op == "EMPTY":
        return lambda i: fam_of(i) < 0
    if op == "NOT EMPTY":
        return lambda i: fam_of(i) >= 0
    if op not in ("IN", "NOT IN"):
        raise unsupported("family", op)
    codes = code_list("family", cond.get("value"))
    for code in codes:
        if code not in cat.family_idx:
            raise FilterError(
                422,
                f'Property "family" expects a valid family code. The family '
                f'does not exist, "{code}" given.',
            )
    wanted = {cat.family_idx[c] for c in codes}
    if op == "IN":
        return lambda i: fam_of(i) in wanted
    return lambda i: fam_of(i) not in wanted


def text_op(op: str, value: Any, got: str | None) -> bool:
    if op == "EMPTY":
        return got in (None, "")
    if op == "NOT EMPTY":
        return got not in (None, "")
    if op in ("IN", "NOT IN"):
        return (got in value) == (op == "IN")
    if got is None:
        return op in ("!=", "DOES NOT CONTAIN")
    if op == "STARTS WITH":
        return got.startswith(value)
    if op == "CONTAINS":
        return value in got
    if op == "DOES NOT CONTAIN":
        return value not in got
    if op == "=":
        return got == value
    if op == "!=":
        return got != value
    raise unsupported("identifier", op)


TEXT_OPS = {
    "STARTS WITH",
    "CONTAINS",
    "DOES NOT CONTAIN",
    "=",
    "!=",
    "EMPTY",
    "NOT EMPTY",
    "IN",
    "NOT IN",
}


def identifier_pred(
    field: str, cond: dict[str, Any], ident_of: Callable[[int], str | None]
) -> Pred:
    op, value = cond["operator"], cond.get("value")
    if op not in TEXT_OPS:
        raise unsupported(field, op)
    if op in ("IN", "NOT IN"):
        value = set(code_list(field, value))
    elif op not in ("EMPTY", "NOT EMPTY") and not isinstance(value, str):
        raise FilterError(
            422,
            f'Property "{field}" expects a string as data, "{orjson.dumps(value).decode()}" given.',
        )
    return lambda i: text_op(op, value, ident_of(i))


def combine(preds: list[Pred]) -> Pred | None:
    if not preds:
        return None
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda i: a(i) and b(i)
    return lambda i: all(p(i) for p in preds)
