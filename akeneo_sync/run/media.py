"""Downloading product media files into a directory, each once, never outside it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from akeneo_sync.client import AkeneoClient
from akeneo_sync.errors import SinkError


class MediaFetcher:
    def __init__(self, client: AkeneoClient, root: Path) -> None:
        self.client = client
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.count = 0
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
                raise SinkError(f"media code {code!r} would be written outside {self.root}")
            if target.exists():
                continue
            task = asyncio.create_task(self._download(code, target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _download(self, code: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as out:

            def write(chunk: bytes) -> None:
                if not chunk:  # a (re)start: drop what an earlier attempt wrote
                    out.seek(0)
                    out.truncate()
                out.write(chunk)

            await self.client.download_media(code, write)
        partial.replace(target)
        self.count += 1

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
