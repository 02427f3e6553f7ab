"""What a spreadsheet makes of a cell: formulas to neutralise, text that is a number or a date.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and some
strip a leading tab or carriage return first), so a product name such as ``=HYPERLINK(...)``
in a CSV or XLSX export would be code on the reader's machine. ``guard`` puts a ``'`` in front
of such text, as OWASP recommends for CSV injection; ``unguard`` takes it off again when the
file is read back, so a sync upserts into exactly what it wrote. Text that already starts with
``'`` before such a character gets one more, which keeps the two exact inverses. A plain number
(``-2``, ``+3.5``, ``-1e5``) is no formula and stays as it is.

``kind`` sorts text into the kinds a workbook types (``decimal``: a decimal Akeneo sends as
text, such as a price ``"19.99"`` or a metric ``"1.5000"``; ``date``: an ISO date or date-time);
the work index records the kinds each column holds, and an XLSX column whose every value is of
one kind gets typed cells.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_DANGER = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Apostrophes, then a character a spreadsheet acts on: what ``guard`` changed, or would have.
_GUARDED = re.compile(r"'*[=+\-@\t\r]")

# No leading zero (``007`` is a code, not a number), no sign but ``-``, a decimal point:
# identifiers and codes made of digits stay text.
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.([0-9]+)")
MAX_DIGITS = 15
"""Significant digits a spreadsheet keeps exactly (a double): longer decimals stay text."""
_DATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def _needs_guard(text: str) -> bool:
    return bool(_GUARDED.match(text)) and not _PLAIN_NUMBER.fullmatch(text)


def guard(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, with a leading ``'``; anything else as is."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r'" and _needs_guard(value):
        return "'" + value
    return value


def unguard(value: Any) -> Any:
    """``guard`` undone."""
    if isinstance(value, str) and value[:1] == "'" and _needs_guard(value[1:]):
        return value[1:]
    return value


def guard_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: guard(v) for k, v in row.items()}


def unguard_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: unguard(v) for k, v in row.items()}


def decimal_places(text: str) -> int | None:
    """The decimals of text a spreadsheet can hold as a number and show exactly as it is
    (``"1.5000"`` -> 4, with format ``0.0000``), else None."""
    found = _DECIMAL.fullmatch(text)
    if found is None:
        return None
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS or (text[0] == "-" and not digits):  # -0.0 would lose its sign
        return None
    return len(found.group(1))


def parse_date(text: str) -> tuple[datetime, str] | None:
    """An ISO date or date-time (whole seconds) as the wall-clock time it shows and what the
    text has after it, to rebuild the text from: ``"2024-03-02T10:30:00+01:00"`` -> (10:30,
    ``"+01:00"``), ``"...T10:30:00"`` -> ``""``, ``"...Z"`` -> ``"Z"``, a date alone ->
    ``"date"``. None for anything else, and before 1900-03-01, where spreadsheets' day numbers
    are off by one."""
    found = _DATE.fullmatch(text)
    if found is None:
        return None
    parts = [int(p) for p in found.groups()[:6] if p is not None]
    try:
        moment = datetime(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None
    if moment < datetime(1900, 3, 1):
        return None
    if found.group(4) is None:
        return moment, "date"
    return moment, found.group(7) or ""


def kind(value: Any) -> str:
    """The kind of a value, as the work index records it per column: ``bool``, ``int``,
    ``float``, ``decimal``, ``date`` or ``str``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2**63) <= value < 2**63 else "str"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str) and value[:1] in "-0123456789":
        if decimal_places(value) is not None:
            return "decimal"
        if parse_date(value) is not None:
            return "date"
    return "str"
