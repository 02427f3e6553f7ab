"""Labels for codes (``--labels LOCALE``) and category paths, from reference data held in memory.

Only one locale's labels are kept, so the tables stay small even for large option lists. Codes are
never replaced: labels are added beside them (docs/architecture.md, "Document contract").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from akeneo_sync.transform._types import (
    LABELLED_TYPES,
    MULTI_SELECT,
    REF_ENTITY,
    REF_ENTITY_MULTI,
    SIMPLE_SELECT,
    attribute_type,
)

Doc = dict[str, Any]
PATH_SEPARATOR = " > "


def _label(labels: Any, locale: str | None) -> str | None:
    if locale is None or not isinstance(labels, Mapping):
        return None
    label = labels.get(locale)
    return label if isinstance(label, str) and label else None


def _record_label(record: Mapping[str, Any], locale: str | None) -> str | None:
    """The record's ``label`` value in ``locale`` (or its non-localised one), else None."""
    fallback = None
    for value in (record.get("values") or {}).get("label") or ():
        data = value.get("data")
        if not isinstance(data, str) or not data:
            continue
        if locale is not None and value.get("locale") == locale:
            return data
        if value.get("locale") is None:
            fallback = data
    return fallback


def _fold(code: Any) -> str:
    # Akeneo compares option and record codes case-insensitively; values may differ in case.
    return str(code).lower()


@dataclass
class Lookups:
    """Code -> label tables for one locale, and the category tree."""

    locale: str | None = None
    options: dict[tuple[str, str], str | None] = field(default_factory=dict)
    records: dict[tuple[str, str], str | None] = field(default_factory=dict)
    families: dict[str, str | None] = field(default_factory=dict)
    category_parent: dict[str, str | None] = field(default_factory=dict)
    category_label: dict[str, str | None] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    _paths: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # Label paths by category, valid while the tables keep their size (they only grow).
    _label_paths: dict[str, str] = field(default_factory=dict, repr=False)
    _label_paths_for: tuple[int, int] = (0, 0)
    # Per attribute code: the attribute document it was made for and how its values are
    # labelled, so the type is worked out once per attribute rather than once per value.
    _labellers: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        locale: str | None,
        *,
        attributes: Mapping[str, Any] | None = None,
        attribute_options: Iterable[Mapping[str, Any]] = (),
        categories: Iterable[Mapping[str, Any]] = (),
        families: Iterable[Mapping[str, Any]] = (),
        reference_entity_records: Iterable[Mapping[str, Any]] = (),
    ) -> Lookups:
        """Tables from documents of the contract (records carry ``reference_entity``)."""
        lookups = cls(locale=locale, attributes=attributes or {})
        for option in attribute_options:
            key = (str(option["attribute"]), _fold(option["code"]))
            lookups.options[key] = _label(option.get("labels"), locale)
        for record in reference_entity_records:
            key = (str(record["reference_entity"]), _fold(record["code"]))
            lookups.records[key] = _record_label(record, locale)
        for family in families:
            lookups.families[str(family["code"])] = _label(family.get("labels"), locale)
        for category in categories:
            code = str(category["code"])
            lookups.category_parent[code] = category.get("parent")
            lookups.category_label[code] = _label(category.get("labels"), locale)
        return lookups

    def option_label(self, attribute: str, code: Any) -> str | None:
        return self.options.get((attribute, _fold(code)))

    def record_label(self, reference_entity: str, code: Any) -> str | None:
        return self.records.get((reference_entity, _fold(code)))

    def family_label(self, code: str | None) -> str | None:
        return None if code is None else self.families.get(code)

    def category_path_codes(self, code: str) -> list[str]:
        """Codes from the root to ``code``, iteratively (trees can be deep) and cycle-safe."""
        walked: list[str] = []
        seen: set[str] = set()
        current: str | None = code
        prefix: tuple[str, ...] = ()
        while current is not None:
            if current in self._paths:
                prefix = self._paths[current]
                break
            if current in seen:  # a cycle: the path starts where it closes
                break
            seen.add(current)
            walked.append(current)
            current = self.category_parent.get(current)
        # Memoise every category on the way, so a whole tree costs one walk per node.
        path = prefix
        for node in reversed(walked):
            path = (*path, node)
            self._paths[node] = path
        return list(self._paths.get(code, path))

    def category_path(self, code: str) -> str:
        """``"Master catalog > Men > Shirts"``; a missing label is ``[code]``."""
        sizes = (len(self.category_label), len(self.category_parent))
        if sizes != self._label_paths_for:
            self._label_paths.clear()
            self._label_paths_for = sizes
        path = self._label_paths.get(code)
        if path is None:
            path = self._label_paths[code] = PATH_SEPARATOR.join(
                self.category_label.get(node) or f"[{node}]"
                for node in self.category_path_codes(code)
            )
        return path

    def labeller(self, code: str, attribute: Any) -> _Labeller | object | None:
        """How values of known attribute ``code`` are labelled (None: they are not;
        ``_NO_LABEL``: value by value); made once per attribute document."""
        found = self._labellers.get(code)
        if found is not None and found[0] is attribute:
            return found[1]
        labeller = _labeller(code, attribute, self)
        self._labellers[code] = (attribute, labeller)
        return labeller

    def _value_label(self, code: str, value: Mapping[str, Any]) -> Any:
        type_ = attribute_type(code, value, self.attributes)
        data = value.get("data")
        one: Callable[[str, Any], str | None]
        if type_ in (SIMPLE_SELECT, MULTI_SELECT):
            one = self.option_label
            name = code
        elif type_ in (REF_ENTITY, REF_ENTITY_MULTI):
            one = self.record_label
            attribute = self.attributes.get(code) or {}
            name = str(attribute.get("reference_data_name") or value.get("reference_data_name"))
        else:
            return _NO_LABEL
        if type_ in (MULTI_SELECT, REF_ENTITY_MULTI):
            return [one(name, item) for item in data] if isinstance(data, list) else None
        return None if data is None or isinstance(data, list | dict) else one(name, data)


_NO_LABEL = object()

# (multi, table, name): a known select or reference entity attribute's values are labelled from
# ``table`` (option or record labels by ``(name, folded code)``), one label or a list of them.
_Labeller = tuple[bool, dict[tuple[str, str], str | None], str]


def _labeller(code: str, attribute: Any, lookups: Lookups) -> _Labeller | object | None:
    type_ = attribute.get("type")
    if type_ not in LABELLED_TYPES:
        return None
    multi = type_ in (MULTI_SELECT, REF_ENTITY_MULTI)
    if type_ in (SIMPLE_SELECT, MULTI_SELECT):
        return (multi, lookups.options, code)
    name = attribute.get("reference_data_name")
    if not name:
        return _NO_LABEL  # the value may name its reference entity
    return (multi, lookups.records, str(name))


def _labelled(values: list[Any], labeller: _Labeller) -> list[Any]:
    multi, table, name = labeller
    out = []
    for value in values:
        data = value.get("data")
        label: Any = None
        if multi:
            if isinstance(data, list):
                label = [table.get((name, _fold(item))) for item in data]
        elif data is not None and not isinstance(data, list | dict):
            label = table.get((name, data.lower() if data.__class__ is str else _fold(data)))
        out.append({**value, "label": label})
    return out


def apply_labels(doc: Mapping[str, Any], lookups: Lookups) -> Doc:
    """A product or model with ``family_label``, ``category_paths`` and value ``label`` keys.

    Returns a new document; values that get no label are shared with the input, not copied.
    """
    out: Doc = dict(doc)
    out["family_label"] = lookups.family_label(doc.get("family"))
    out["category_paths"] = [lookups.category_path(c) for c in doc.get("categories") or ()]
    values: dict[str, list[Any]] = {}
    known = lookups.attributes
    for code, entries in (doc.get("values") or {}).items():
        attribute = known.get(code)
        labeller = _NO_LABEL if attribute is None else lookups.labeller(code, attribute)
        if labeller is None:
            values[code] = entries  # a known attribute without labels: nothing to look at
        elif labeller is not _NO_LABEL:
            values[code] = _labelled(entries or [], labeller)  # type: ignore[arg-type]
        else:
            labelled = []
            for value in entries or ():
                label = lookups._value_label(code, value)
                labelled.append(value if label is _NO_LABEL else {**value, "label": label})
            values[code] = labelled
    if "values" in doc:
        out["values"] = values
    return out


def enrich_category(doc: Mapping[str, Any], lookups: Lookups) -> Doc:
    """A category with ``path`` (codes from the root) and, with a locale, ``label_path``."""
    out: Doc = dict(doc)
    code = str(doc["code"])
    if code not in lookups.category_parent:  # a category seen after the tables were built
        lookups.category_parent[code] = doc.get("parent")
        lookups.category_label[code] = _label(doc.get("labels"), lookups.locale)
    out["path"] = lookups.category_path_codes(code)
    if lookups.locale is not None:
        out["label_path"] = lookups.category_path(code)
    return out
