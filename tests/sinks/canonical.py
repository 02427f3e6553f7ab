"""Canonical forms and hashes, so "the same content" means the same thing for every sink.

A document's canonical form is its JSON with sorted keys; a resource's hash is the sha256 of its
documents' canonical forms sorted by key. Databases may reorder keys (JSONB) or return rows in any
order; neither changes the hash, while any changed value, missing or extra document does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from akeneo_sync.resources import Resource


def canonical(doc: Any) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def by_key(resource: Resource, docs: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
    """Key (as text) -> canonical document; the key is made of the resource's key fields."""
    out: dict[str, bytes] = {}
    for doc in docs:
        key = "|".join(str(doc.get(k)) for k in resource.key)
        out[key] = canonical(doc)
    return out


def resource_hash(resource: Resource, docs: Iterable[Mapping[str, Any]]) -> str:
    digest = hashlib.sha256()
    for key, doc in sorted(by_key(resource, docs).items()):
        digest.update(key.encode() + b"\0" + doc + b"\n")
    return digest.hexdigest()


def flat_canonical(row: Mapping[str, Any]) -> dict[str, str]:
    """A flat row as text, the common ground of CSV (all text) and Parquet (typed): empty cells
    dropped, booleans as ``true``/``false``, integral floats without ``.0``."""
    out: dict[str, str] = {}
    for name, value in row.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        out[str(name)] = text
    return out
