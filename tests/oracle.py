"""An independent reader of an Akeneo-compatible server: plain httpx, no akeneo_sync code.

Tests compare what the exporter stored with what this reads, so the two never share a bug."""

from __future__ import annotations

from typing import Any

import httpx

API = "/api/rest/v1"


class Oracle:
    def __init__(
        self, url: str, creds: tuple[str, str, str, str] = ("demo", "demo-secret", "demo", "demo")
    ):
        client_id, secret, username, password = creds
        self.http = httpx.Client(base_url=url, timeout=30)
        token = self.http.post(
            "/api/oauth/v1/token",
            auth=(client_id, secret),
            json={"grant_type": "password", "username": username, "password": password},
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def walk(self, path: str, **params: Any) -> list[dict[str, Any]]:
        response = self.http.get(API + path, params=params)
        response.raise_for_status()
        body = response.json()
        if isinstance(body, list):
            return body
        items = list(body["_embedded"]["items"])
        while "next" in body["_links"]:
            response = self.http.get(body["_links"]["next"]["href"])
            response.raise_for_status()
            body = response.json()
            items.extend(body["_embedded"]["items"])
        return items

    def products(self) -> dict[str, dict[str, Any]]:
        items = self.walk("/products-uuid", pagination_type="search_after", limit=100)
        return {p["uuid"]: p for p in items}

    def product_models(self) -> dict[str, dict[str, Any]]:
        items = self.walk("/product-models", pagination_type="search_after", limit=100)
        return {m["code"]: m for m in items}

    def option_labels(self, locale: str) -> dict[tuple[str, str], str | None]:
        labels = {}
        for attribute in self.walk("/attributes", limit=100):
            if attribute["type"] in ("pim_catalog_simpleselect", "pim_catalog_multiselect"):
                for option in self.walk(f"/attributes/{attribute['code']}/options", limit=100):
                    labels[(attribute["code"], option["code"])] = option["labels"].get(locale)
        return labels

    def category_paths(self, locale: str) -> dict[str, str]:
        categories = {c["code"]: c for c in self.walk("/categories", limit=100)}

        def path(code: str) -> str:
            names = []
            current: str | None = code
            while current:
                names.append(categories[current]["labels"].get(locale) or f"[{current}]")
                current = categories[current]["parent"]
            return " > ".join(reversed(names))

        return {code: path(code) for code in categories}

    def counts(self) -> dict[str, int]:
        """How many documents of each reference resource the server has."""
        attributes = self.walk("/attributes", limit=100)
        families = self.walk("/families", limit=100)
        entities = self.walk("/reference-entities")
        asset_families = self.walk("/asset-families")
        selects = [a for a in attributes if a["type"].endswith("select")]
        return {
            "locales": len(self.walk("/locales", limit=100)),
            "currencies": len(self.walk("/currencies", limit=100)),
            "channels": len(self.walk("/channels", limit=100)),
            "measurement_families": len(self.walk("/measurement-families")),
            "attribute_groups": len(self.walk("/attribute-groups", limit=100)),
            "attributes": len(attributes),
            "attribute_options": sum(
                len(self.walk(f"/attributes/{a['code']}/options", limit=100)) for a in selects
            ),
            "families": len(families),
            "family_variants": sum(
                len(self.walk(f"/families/{f['code']}/variants", limit=100)) for f in families
            ),
            "categories": len(self.walk("/categories", limit=100)),
            "association_types": len(self.walk("/association-types", limit=100)),
            "reference_entities": len(entities),
            "reference_entity_records": sum(
                len(self.walk(f"/reference-entities/{e['code']}/records")) for e in entities
            ),
            "asset_families": len(asset_families),
            "assets": sum(
                len(self.walk(f"/asset-families/{f['code']}/assets")) for f in asset_families
            ),
        }

    def set_faults(self, **changes: Any) -> None:
        self.http.post("/_emulator/faults", json=changes).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return dict(self.http.get("/_emulator/stats").json())


def without_labels(values: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Values as the server sends them: the exporter's ``label`` keys removed."""
    return {
        code: [{k: v for k, v in entry.items() if k != "label"} for entry in entries]
        for code, entries in values.items()
    }
