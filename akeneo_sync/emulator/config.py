"""Emulator options and the shiftable clock.

Every option lives in one dataclass so the CLI, the in-process app factory and the background
server all configure the same thing; fault options may be changed at runtime through
``POST /_emulator/faults``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from akeneo_sync.emulator.event_options import EventOptions

VariantValues = Literal["merged", "own"]
Check = Callable[[Any], bool]


def _number(low: float, high: float = float("inf"), integer: bool = False) -> Check:
    def check(value: Any) -> bool:
        kinds = int if integer else (int, float)
        return isinstance(value, kinds) and not isinstance(value, bool) and low <= value <= high

    return check


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _resources(value: Any) -> bool:
    return value is None or (
        isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    )


RATE = _number(0, 1)
MILLISECONDS = _number(0)
# Options that may be changed while the server runs (the fault knobs), each with what it
# accepts: a bad value is refused at POST time rather than breaking every later request.
RUNTIME_FIELDS: dict[str, Check] = {
    "latency_ms": MILLISECONDS,
    "latency_per_item_ms": MILLISECONDS,
    "jitter_ms": MILLISECONDS,
    "max_concurrency": _number(0, integer=True),
    "retry_after": _is_bool,
    "retry_after_seconds": _number(0, integer=True),
    "error_rate": RATE,
    "drop_rate": RATE,
    "truncate_rate": RATE,
    "garbage_rate": RATE,
    "html_login": _is_bool,
    "stall_rate": RATE,
    "stall_ms": MILLISECONDS,
    "token_ttl": _number(1, integer=True),
    "variant_values": lambda value: value in ("merged", "own"),
    "forbidden_resources": _resources,
}

SECRET_FIELDS = ("secret", "password")


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8081
    products: int = 1000
    seed: int = 42
    # The six built-in families in their built-in mix unless told otherwise (see families.py):
    # ``families`` adds or drops families, ``family_skew`` spreads products by a Zipf-like law
    # (0 = even); with neither, a seed gives the same catalog it always gave.
    families: int = 6
    family_skew: float | None = None
    created_days: float | None = None  # created within that many days (default two years)
    client_id: str = "demo"
    secret: str = "demo-secret"
    username: str = "demo"
    password: str = "demo"
    # The emulated Event Platform (routes_events.py); runtime changes via POST /_emulator/events.
    events: EventOptions = field(default_factory=EventOptions)
    # "merged": variants carry the values and categories of their ancestors (Akeneo 7 / SaaS);
    # "own": only their own, as older setups and many tutorials describe.
    variant_values: VariantValues = "merged"
    latency_ms: float = 0.0  # each answer takes at least this long, the emulator's work included
    latency_per_item_ms: float = 0.0  # on top, per item a listing returns
    jitter_ms: float = 0.0
    max_concurrency: int = 0  # 0 = unlimited; otherwise in-flight requests per API connection
    retry_after: bool = True
    retry_after_seconds: int = 1
    error_rate: float = 0.0
    drop_rate: float = 0.0  # connections cut mid-body
    truncate_rate: float = 0.0  # 200 answers whose JSON body ends half-way, connection intact
    garbage_rate: float = 0.0  # 200 answers whose JSON body has a PHP notice in front
    html_login: bool = False  # every API and token call answers an SSO proxy's login page
    stall_rate: float = 0.0  # answers held back ``stall_ms`` before anything is sent
    stall_ms: float = 60_000.0
    token_ttl: int = 3600
    refresh_token_ttl: int = 1_209_600
    # Resources answered 403 (e.g. ["products"]) to emulate a connection missing an ACL.
    forbidden_resources: tuple[str, ...] = ()

    def public_dict(self) -> dict[str, Any]:
        """Every option but the credentials a client logs in with: the control surface is
        unauthenticated, so it must not hand out what the API is protected by."""
        data = {k: v for k, v in asdict(self).items() if k not in SECRET_FIELDS}
        data["forbidden_resources"] = list(self.forbidden_resources)
        return data

    def update_runtime(self, changes: dict[str, Any]) -> str | None:
        """Apply runtime changes, all or none; returns what is wrong with them, if anything."""
        unknown = [k for k in changes if k not in RUNTIME_FIELDS]
        if unknown:
            return f"Not runtime options: {', '.join(unknown)}"
        invalid = [k for k, v in changes.items() if not RUNTIME_FIELDS[k](v)]
        if invalid:
            return f"Invalid values for: {', '.join(invalid)}"
        for key, value in changes.items():
            setattr(self, key, tuple(value or ()) if key == "forbidden_resources" else value)
        return None


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
