"""Akeneo's ``search`` filters, built here and nowhere else.

A search is ``{field: [condition, ...]}``; several fields are ANDed, and so are several conditions
on one field. Builders return one-field searches; ``merged`` combines them.

    merged(in_("family", ["shoes"]), updated_after(since, "naive"))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from akeneo_sync.client.endpoints import UpdatedStyle

Search = dict[str, list[dict[str, Any]]]

IN_LIMIT = 100
"""Values per ``IN`` list: Akeneo caps them (800 on SaaS, 100 identifiers)."""


def akeneo_datetime(moment: datetime) -> str:
    """Product filters take a naive ``YYYY-MM-DD hh:mm:ss`` in the server's time zone (UTC on
    SaaS), not ISO 8601 with an offset (pim-api-docs#156)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def iso_cursor(cursor: str) -> str:
    """A stored naive cursor as the ISO 8601 that structure listings and assets take."""
    return cursor.replace(" ", "T") + "Z"


def updated_after(cursor: str, style: UpdatedStyle) -> Search:
    """``updated > cursor``; ``cursor`` is a naive ``YYYY-MM-DD hh:mm:ss`` (UTC)."""
    value = cursor if style == "naive" else iso_cursor(cursor)
    return {"updated": [{"operator": ">", "value": value}]}


def in_(field: str, values: list[Any], **where: str) -> Search:
    """``field IN values``; ``where`` gives a value filter's ``locale`` / ``scope``."""
    return {field: [{"operator": "IN", "value": values, **where}]}


def in_children(values: list[str]) -> Search:
    """Products in these categories or any category below them."""
    return {"categories": [{"operator": "IN CHILDREN", "value": values}]}


def empty(field: str) -> Search:
    return {field: [{"operator": "EMPTY"}]}


def equals(field: str, value: Any) -> Search:
    return {field: [{"operator": "=", "value": value}]}


def merged(*searches: Search) -> Search:
    """The AND of ``searches``; conditions on the same field add up."""
    out: Search = {}
    for search in searches:
        for name, conditions in search.items():
            out.setdefault(name, []).extend(conditions)
    return out


def replaced(base: Search, *searches: Search) -> Search:
    """``base`` with the fields of ``searches`` put in place of its own."""
    out = dict(base)
    for search in searches:
        out.update(search)
    return out


def chunks(items: Iterable[Any], size: int = IN_LIMIT) -> Iterator[list[Any]]:
    """``items`` in slices that fit one ``IN`` list."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def created_range(since: str | None, before: str | None) -> Search:
    """``since <= created < before`` (naive ``YYYY-MM-DD hh:mm:ss``; None: open). Akeneo keeps
    ``created`` to the second and its ``>`` is strict, so ``since`` goes in as one second less."""
    conditions: list[dict[str, Any]] = []
    if since is not None:
        moment = datetime.strptime(since, "%Y-%m-%d %H:%M:%S") - timedelta(seconds=1)
        conditions.append({"operator": ">", "value": akeneo_datetime(moment)})
    if before is not None:
        conditions.append({"operator": "<", "value": before})
    return {"created": conditions} if conditions else {}
