"""Downloading product media files into a directory, each once, never outside it.

A media file that cannot be had (gone upstream, refused after the client's retries, a code that
would climb out of the directory) is skipped, logged and counted, never the end of the export:
the products that reference it are written all the same, and the summary says how many files
were skipped (``Report.media_skipped``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from akeneo_sync.client import AkeneoClient
from akeneo_sync.errors import AkeneoError

log = logging.getLogger("akeneo_sync")


class MediaFetcher:
    def __init__(self, client: AkeneoClient, root: Path) -> None:
        self.client = client
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.skipped: list[str] = []
        """Codes of the files that could not be downloaded."""
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def fetch(self, codes: Iterable[str]) -> None:
        """Start downloading the codes not on disk yet; ``wait`` for them."""
        for code in codes:
            if code in self._seen:
                continue
            self._seen.add(code)
            # Media codes are paths ("a/b/c/d/<sha1>_name.jpg"); one that climbs out is refused.
            target = (self.root / code).resolve()
            if not target.is_relative_to(self.root):
                self._skip(code, f"it would be written outside {self.root}")
                continue
            if target.exists():
                continue
            task = asyncio.create_task(self._download(code, target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _download(self, code: str, target: Path) -> None:
        partial = target.with_name(target.name + ".part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("wb") as out:

                def write(chunk: bytes) -> None:
                    if not chunk:  # a (re)start: drop what an earlier attempt wrote
                        out.seek(0)
                        out.truncate()
                    out.write(chunk)

                await self.client.download_media(code, write)
            partial.replace(target)
        except (AkeneoError, OSError) as exc:
            partial.unlink(missing_ok=True)
            self._skip(code, str(exc))
            return
        self.count += 1

    def _skip(self, code: str, why: str) -> None:
        self.skipped.append(code)
        log.warning("media file %r skipped: %s", code, why)

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
