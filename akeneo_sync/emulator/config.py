"""Emulator options and the shiftable clock.

Every option lives in one dataclass so the CLI, the in-process app factory and the background
server all configure the same thing; fault options may be changed at runtime through
``POST /_emulator/faults``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

from akeneo_sync.emulator.event_options import EventOptions

VariantValues = Literal["merged", "own"]

# Options that may be changed while the server runs (the fault knobs).
RUNTIME_FIELDS = (
    "latency_ms",
    "latency_per_item_ms",
    "jitter_ms",
    "max_concurrency",
    "retry_after",
    "retry_after_seconds",
    "error_rate",
    "drop_rate",
    "token_ttl",
    "variant_values",
    "forbidden_resources",
)


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8081
    products: int = 1000
    seed: int = 42
    client_id: str = "demo"
    secret: str = "demo-secret"
    username: str = "demo"
    password: str = "demo"
    # The emulated Event Platform (routes_events.py); runtime changes via POST /_emulator/events.
    events: EventOptions = field(default_factory=EventOptions)
    # "merged": variants carry the values and categories of their ancestors (Akeneo 7 / SaaS);
    # "own": only their own, as older setups and many tutorials describe.
    variant_values: VariantValues = "merged"
    latency_ms: float = 0.0
    latency_per_item_ms: float = 0.0
    jitter_ms: float = 0.0
    max_concurrency: int = 0  # 0 = unlimited; otherwise in-flight requests per API connection
    retry_after: bool = True
    retry_after_seconds: int = 1
    error_rate: float = 0.0
    drop_rate: float = 0.0
    token_ttl: int = 3600
    refresh_token_ttl: int = 1_209_600
    # Resources answered 403 (e.g. ["products"]) to emulate a connection missing an ACL.
    forbidden_resources: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["forbidden_resources"] = list(self.forbidden_resources)
        return data

    def update_runtime(self, changes: dict[str, Any]) -> list[str]:
        """Apply runtime changes; returns the names that are not runtime options."""
        known = {f.name: f for f in fields(self)}
        bad = [k for k in changes if k not in RUNTIME_FIELDS or k not in known]
        if bad:
            return bad
        for key, value in changes.items():
            if key == "forbidden_resources":
                value = tuple(value or ())
            elif key == "variant_values" and value not in ("merged", "own"):
                return [key]
            setattr(self, key, value)
        return []


class Clock:
    """Server time (UTC) with an adjustable offset so tests can move "now" without sleeping.

    Token expiry, ``updated`` stamps of writes and ``SINCE LAST N DAYS`` all read this clock.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def set_now(self, epoch: float) -> None:
        self.offset = epoch - time.time()

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def iso_now(self) -> str:
        return iso(self.now())


def iso(epoch: float) -> str:
    """Akeneo's response format: seconds precision with an explicit offset."""
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()
