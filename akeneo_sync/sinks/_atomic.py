"""Files that appear complete or not at all: temp files beside the target, then ``os.replace``.

A temp file lives in the destination directory (same filesystem, so the rename is atomic) under a
hidden ``.tmp`` name that no reader mistakes for output. ``DirLock`` keeps two syncs out of the
same destination; a lock left by a dead process is taken over.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from akeneo_sync.errors import LockedError


def temp_path(target: Path) -> Path:
    """A fresh hidden temp file beside ``target`` (created empty, so names never collide)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        # mkstemp makes 0600; the file becomes the output, which gets the umask's mode as any
        # file a program creates (and as the SQLite destinations get).
        os.fchmod(fd, 0o666 & ~_UMASK)
    finally:
        os.close(fd)
    return Path(name)


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = _read_umask()


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(directory: Path) -> None:
    # Makes the renames themselves durable; not possible (nor needed) on every platform.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(target: Path, data: bytes) -> None:
    tmp = temp_path(target)
    try:
        tmp.write_bytes(data)
        fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DirLock:
    """An ``O_EXCL`` lock file holding the owner's pid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.held = False

    def acquire(self) -> None:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and _alive(pid):
                    raise LockedError(
                        f"{self.path.parent} is being synced by process {pid}; wait for it to "
                        f"finish, or remove {self.path} if that process is not akeneo-sync"
                    ) from None
                self.path.unlink(missing_ok=True)  # left by a dead run
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            self.held = True
            return
        raise LockedError(f"could not take the lock {self.path}; remove it if no sync is running")

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False
