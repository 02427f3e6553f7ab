"""The status server: ``/`` (the page), ``/healthz`` (for a probe) and ``/metrics`` (for
Prometheus), all read from the destination itself (``Watcher``), so ``akeneo-sync status`` next
to a cron job and ``sync --every --status-port`` serve the same thing.

Bound to 127.0.0.1 unless told otherwise: the page names the destination and the Akeneo it
mirrors, which a public port should not. Reads run off the event loop (a destination can be a
remote database), so a slow read never holds up the sync sharing the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from akeneo_sync.errors import ConfigError
from akeneo_sync.status import metrics, page
from akeneo_sync.status.snapshot import Snapshot, Watcher

log = logging.getLogger("akeneo_sync.status")


def status_app(watcher: Watcher, stale_after: timedelta | None = None) -> Starlette:
    """``stale_after``: /healthz answers 503 once the last success is older (None: never)."""

    async def snapshot() -> Snapshot:
        return await asyncio.to_thread(watcher.read)

    async def home(_: Request) -> Response:
        return HTMLResponse(page.render(await snapshot(), stale_after))

    async def healthz(_: Request) -> Response:
        health = (await snapshot()).health(stale_after)
        return PlainTextResponse(health.reason + "\n", status_code=200 if health.ok else 503)

    async def scrape(_: Request) -> Response:
        body = metrics.render(await snapshot(), stale_after)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    return Starlette(
        routes=[
            Route("/", home, methods=["GET", "HEAD"]),
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/metrics", scrape, methods=["GET", "HEAD"]),
        ]
    )


class _Server(uvicorn.Server):
    """Signals belong to the caller (its ``stop`` event), not to uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def bound(host: str, port: int) -> Iterator[socket.socket]:
    """The listening socket, bound before the server starts: port 0 gives a known port, and a
    port in use fails at once with one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # Nagle off, as listen
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            where = f"{host}:{port}"
            raise ConfigError(f"cannot serve the status page on {where}: {exc.strerror}") from None
        yield sock
    finally:
        sock.close()


@contextlib.asynccontextmanager
async def serving(
    watcher: Watcher,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    stale_after: timedelta | None = None,
) -> AsyncIterator[str]:
    """Serve the status pages while the block runs; yields the base URL."""
    with bound(host, port) as sock:
        config = uvicorn.Config(
            status_app(watcher, stale_after),
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        server = _Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        where = sock.getsockname()
        shown = f"[{where[0]}]" if ":" in where[0] else where[0]
        url = f"http://{shown}:{where[1]}"
        log.info("status page of %s on %s/ (and /healthz, /metrics)", watcher.shown, url)
        try:
            while not server.started and not task.done():
                await asyncio.sleep(0.01)
            if task.done():
                task.result()  # raises why it could not start
            yield url
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await task


def serving_beside(
    destination: str,
    *,
    port: int,
    host: str = "127.0.0.1",
    format: str | None = None,
    table_prefix: str = "",
    stale_after: timedelta | None = None,
) -> contextlib.AbstractAsyncContextManager[str]:
    """The status pages of ``destination`` while a sync runs (``sync --status-port``)."""
    watcher = Watcher(destination, format=format, table_prefix=table_prefix)
    return serving(watcher, host=host, port=port, stale_after=stale_after)
