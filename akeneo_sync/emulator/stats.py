"""What the emulator counts: requests, statuses, injected faults, tokens (``/_emulator/stats``)."""

from __future__ import annotations

from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.counters: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.by_path: Counter[str] = Counter()
        self.max_in_flight = 0

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def snapshot(self) -> dict[str, Any]:
        c = self.counters
        return {
            "requests": c["requests"],
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "throttled_429": c["throttled_429"],
            "errors_5xx": c["errors_5xx"],
            "injected_errors": c["injected_errors"],
            "dropped": c["dropped"],
            "truncated": c["truncated"],
            "garbage": c["garbage"],
            "html_login": c["html_login"],
            "stalled": c["stalled"],
            "bytes_sent": c["bytes_sent"],
            "tokens_issued": c["tokens_issued"],
            "token_refreshes": c["token_refreshes"],
            "items_served": c["items_served"],
            "writes": c["writes"],
            "max_in_flight": self.max_in_flight,
            "served_us": c["served_us"],
            "by_resource": dict(self.by_path),
        }
