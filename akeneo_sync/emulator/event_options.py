"""Options of the emulated Event Platform: its delivery contract and the faults layered on it.

They live in their own dataclass (``EmulatorConfig.events``) so the PIM's options and the event
platform's stay apart, and every one of them may be changed while the server runs through
``POST /_emulator/events``. Times are seconds. The defaults are Akeneo's documented numbers
(5 s timeout, retries at +5/+10/+20 min, suspension under 90 % success over an hour, 1-100
events/s); tests shrink ``retry_base`` and friends instead of sleeping for half an hour.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class EventOptions:
    # Akeneo requires an https destination; the emulator also takes http:// on a loopback
    # address (127.0.0.0/8, ::1, localhost) so tests need neither TLS nor a tunnel.
    allow_loopback_http: bool = True
    timeout: float = 5.0
    # Retry n (1-based) waits retry_base * 2**(n-1): 300 s gives Akeneo's 5, 10, 20 minutes.
    retry_base: float = 300.0
    max_retries: int = 3
    # Adaptive throughput per subscription: +1/s after each 2xx, halved after each 429.
    rate_min: float = 1.0
    rate_max: float = 100.0
    # Deliveries in flight at once per subscription: Akeneo does not say. One at a time caps
    # the rate at one per round trip, which over the internet is far under 100/s.
    concurrency: int = 1
    # A throttled (429) event still undelivered this long after its first attempt is dropped.
    throttle_horizon: float = 3600.0
    # Suspension when the success rate over the rolling window falls under the threshold; the
    # minimum sample is ours (Akeneo gives none) so that one early failure does not suspend.
    success_window: float = 3600.0
    success_threshold: float = 0.9
    success_min_attempts: int = 20
    # Akeneo says a new or changed subscription takes minutes to become active.
    activation_delay: float = 0.0
    # Product deletions by cascade (variants of a deleted model) get no documented event; the
    # emulator stays silent about them unless asked, so receivers learn to cascade themselves.
    cascade_events: bool = False
    # Faults, drawn from a seeded RNG: each share is a probability per emitted delivery.
    loss_rate: float = 0.0
    duplicate_rate: float = 0.0
    delay: float = 0.0
    # Hold up to this many deliveries per subscription and release them shuffled (0 = off);
    # a partial window is released after ``reorder_hold`` seconds.
    reorder_window: int = 0
    reorder_hold: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply runtime changes, all or none; ``ValueError`` names the first bad one."""
        known = {f.name: f for f in fields(self)}
        staged: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"Unknown event option: {key}")
            staged[key] = _coerce(key, type(getattr(self, key)), value)
        for key, value in staged.items():
            setattr(self, key, value)


_SHARES = ("loss_rate", "duplicate_rate", "success_threshold")
_POSITIVE = ("rate_min", "rate_max", "timeout", "concurrency")


def _coerce(key: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{key} expects true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} expects a number")
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    if key in _POSITIVE and value == 0:
        raise ValueError(f"{key} must be above 0")
    if key in _SHARES and value > 1:
        raise ValueError(f"{key} is a share between 0 and 1")
    if kind is int:
        if value != int(value):
            raise ValueError(f"{key} expects an integer")
        return int(value)
    return float(value)
