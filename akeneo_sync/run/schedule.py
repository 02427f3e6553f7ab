"""Running until told to stop: signals end a run gracefully, ``--every`` repeats it.

SIGINT or SIGTERM sets a stop event: the current run stops reading, writes what it has read,
commits (a full run records where each cursor got, so the next run resumes) and returns; a second
signal aborts at once. Which signal arrived is recorded (``Interruption``): the summary names it
and the process exits 128 + its number, as shells report a process a signal ended, so a script
or a scheduler can tell an interrupted run from a finished one. Runs never overlap: the next one
starts one interval after the previous one started, or at once when it overran. Two processes
never run against one destination: the sinks' lock refuses the second.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from akeneo_sync.errors import ConfigError

log = logging.getLogger("akeneo_sync")

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h30m``, ``1d``; a bare number is minutes."""
    text = text.strip().lower()
    if text.isdigit():
        duration = timedelta(minutes=int(text))
    else:
        parts = _DURATION.findall(text)
        if not parts or "".join(f"{n}{u}" for n, u in parts) != text.replace(" ", ""):
            raise ConfigError(f"{text!r} is not a duration: use e.g. 30s, 15m, 1h30m, 1d")
        duration = timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))
    if not duration:  # `--every 0` would run back to back forever
        raise ConfigError(f"{text!r}: a duration must be longer than zero")
    return duration


def stale_limit(text: str | None, every: timedelta | None) -> timedelta | None:
    """``--stale-after``: a number is a multiple of ``every`` (the default, ``3``, only when
    there is an ``every``), a duration (``45m``) is itself, ``off`` never."""
    given = (text or "").strip().lower()
    if given in ("off", "never", "0"):
        return None
    try:
        factor = float(given or "3")
    except ValueError:
        return parse_duration(given)
    if every is None:
        if not given:
            return None  # no cadence known, none asked for: only failures make it unhealthy
        raise ConfigError(
            f"--stale-after {given} is a multiple of --every: give --every (how often the "
            "destination is synced) or a duration such as 1h"
        )
    if factor <= 0:
        raise ConfigError(f"--stale-after {given}: a multiple must be more than zero")
    return every * factor


def parse_cadence(text: str) -> int | timedelta:
    """``--reconcile-every``: a bare number counts runs (``1`` every run, ``0`` never); a
    duration (``1h``) is how old the last whole read of the reference data may get."""
    text = text.strip()
    return int(text) if text.isdigit() else parse_duration(text)


def next_delay(elapsed: float, period: float) -> float:
    """Seconds until the next run: the next multiple of ``period`` after the last start, or
    none when the last run took longer than that (runs never overlap, never pile up)."""
    return period - elapsed if elapsed < period else 0.0


class Interruption:
    """The signal that set the stop event, if one did."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def name(self) -> str | None:
        return signal.Signals(self.signum).name if self.signum else None

    @property
    def exit_code(self) -> int:
        """130 for SIGINT, 143 for SIGTERM; 0 when no signal arrived."""
        return 128 + self.signum if self.signum else 0


class Aborted(KeyboardInterrupt):
    """A second signal: give up at once; only what was committed is kept."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def install_stop_handlers(stop: asyncio.Event) -> Interruption:
    loop = asyncio.get_running_loop()
    interruption = Interruption()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            raise Aborted(signum)
        interruption.signum = signum
        log.warning(
            "%s: stopping; a run in progress commits what it has read first (send it again to "
            "abort)",
            signal.Signals(signum).name,
        )
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    return interruption


async def run_repeatedly(
    once: Callable[[asyncio.Event], Awaitable[object]],
    every: timedelta | None,
    stop: asyncio.Event,
) -> None:
    """``once`` until ``stop`` is set; once only when ``every`` is None."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await once(stop)
        if every is None or stop.is_set():
            return
        wait = next_delay(loop.time() - started, every.total_seconds())
        next_at = datetime.now(UTC) + timedelta(seconds=wait)
        log.info("next run at %s", next_at.isoformat(timespec="seconds"))
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait)
        except TimeoutError:
            continue
        return
