"""A destination a run created and never committed to is removed again when the run fails.

A wrong URL or refused credentials are found after the sink is opened (the lock is taken before
the first request, so two runs never race), and opening creates the SQLite file with its schema,
or the output directory. Left behind, that empty shell looks like a destination: the next run
would adopt it, and a person would wonder what was written. Only what did not exist before the
run and holds no committed state (no checkpoint, no final commit) is removed: a run that failed
after a checkpoint keeps it, since the next run resumes from it.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from akeneo_sync.sinks.base import Sink

_SQLITE_ENDINGS = (".db", ".sqlite", ".sqlite3")
# Files SQLite keeps beside a database while it is open.
_SQLITE_SIDES = ("-wal", "-shm", "-journal")


def local_target(dest: str) -> Path | None:
    """The local file or directory ``dest`` names (None for a database server)."""
    if "://" in dest:
        parts = urlsplit(dest)
        if parts.scheme.lower() != "sqlite" or not parts.path or parts.path == "/:memory:":
            return None
        return Path(parts.path[1:] if parts.path.startswith("//") else parts.path.lstrip("/"))
    return Path(dest)


def fresh_target(dest: str) -> Path | None:
    """``dest``'s local path if this run is about to create it, else None."""
    target = local_target(dest)
    if target is None or target.exists() or target.is_symlink():
        return None
    return target


def remove_if_uncommitted(target: Path, sink: Sink) -> None:
    """Remove ``target`` (created by the failed run) unless a commit or checkpoint reached it.
    Best effort: cleaning up must never hide the run's own error."""
    with contextlib.suppress(Exception):
        if sink.read_state() is not None:
            return
        # A one-file destination keeps its run history beside it: the failed run's entry.
        runs = getattr(sink, "runs_path", None)
        if isinstance(runs, Path) and not target.is_dir():
            runs.unlink(missing_ok=True)
        if not target.exists():
            return
        engine = getattr(sink, "_engine", None)
        if engine is not None:  # SQLite: let go of the file before removing it
            engine.dispose()
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
            if target.suffix.lower() in _SQLITE_ENDINGS:
                for side in _SQLITE_SIDES:
                    target.with_name(target.name + side).unlink(missing_ok=True)
