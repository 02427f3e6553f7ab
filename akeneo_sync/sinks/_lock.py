"""What SQL and Mongo destinations share about their lock: who we are, whether a holder is
alive, and the message that tells a person how to get out.

The rule for a lock left behind: if its holder ran on this host and its pid no longer exists, the
run died and its lock is taken over. A lock from another host is never taken over automatically,
since nothing here can tell whether that run is alive; the message gives the statement that
removes it, and ``heartbeat`` (updated at each commit) tells how recently it wrote.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from akeneo_sync.errors import LockedError


def me() -> dict[str, Any]:
    """The owner fields of a lock taken by this process now."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": now, "heartbeat": now}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except (OverflowError, ValueError):
        return False
    return True


def is_stale(held: Mapping[str, Any]) -> bool:
    """A lock whose holder ran on this host and is gone."""
    return held.get("host") == socket.gethostname() and not pid_alive(int(held["pid"]))


def locked(url: str, held: Mapping[str, Any], remove_with: str) -> LockedError:
    return LockedError(
        f"{url} is locked by pid {held.get('pid')} on {held.get('host')} since "
        f"{held.get('since')} (last commit {held.get('heartbeat')}); if that run is dead, "
        f"remove the lock with: {remove_with}"
    )
