"""``akeneo-sync listen``: the receiver, the applier and the reconciling sync in one process.

    receiver (HTTP) ──▶ spool (SQLite, durable) ──▶ applier ──┐
                                                              ├─ one lock ─▶ destination
    reconciling sync (incremental, every --reconcile-every) ──┘

The Event Platform delivers at least once, in no order, and drops what it could not deliver
after ~35 minutes, while suspended, or when it simply loses it; it keeps nothing to replay. So
the events make the destination fresh within seconds, and an incremental sync on its own
schedule (at start, then every hour by default) repairs whatever they missed: it reads
everything changed since its cursor and every deletion, whether or not an event said so.

The two never write at the same time: both go through one asyncio lock in this process and then
take the destination's own lock in ``open``, which also keeps out any other process (a
``sync --every`` elsewhere makes the events wait, and vice versa). Everything stops on ``stop``:
the receiver closes, a batch in hand is finished, a sync in progress commits what it read.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from akeneo_sync import api
from akeneo_sync.errors import AkeneoSyncError, AuthError, ConfigError, LockedError
from akeneo_sync.listen.applier import Applier
from akeneo_sync.listen.receiver import Receiver
from akeneo_sync.listen.spool import Spool, default_path
from akeneo_sync.run.options import ExportOptions, Report
from akeneo_sync.settings import Connection
from akeneo_sync.sinks import open_sink
from akeneo_sync.sinks.base import Sink

log = logging.getLogger("akeneo_sync.listen")


@dataclass
class ListenSettings:
    secrets: tuple[str, ...]
    """Accepted signing secrets: the subscription's primary, and a second during a rotation."""
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/"
    certfile: str | None = None
    keyfile: str | None = None
    spool: str | None = None
    """The spool file; by default beside the destination (``spool.default_path``)."""
    spool_limit: int = 100_000
    batch_size: int = 500
    batch_wait: float = 1.0
    reconcile_every: timedelta | None = timedelta(hours=1)
    """None: no reconciling sync (events only; a lost event stays lost)."""
    keep_ids: timedelta = timedelta(days=1)


class Listener:
    def __init__(
        self,
        destination: str,
        connection: Connection,
        options: ExportOptions,
        settings: ListenSettings,
        *,
        format: str | None = None,
        table_prefix: str = "",
        concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not settings.secrets:
            raise ConfigError("no events secret: listen cannot tell Akeneo's events from others")
        self.destination = destination
        self.connection = connection
        self.options = options
        self.settings = settings
        self.format = format
        self.table_prefix = table_prefix
        self.concurrency = concurrency
        self.transport = transport
        self.spool_path = Path(settings.spool) if settings.spool else default_path(destination)
        self.url = ""
        self.lock = asyncio.Lock()
        self.reconcile: dict[str, Any] = {"runs": 0}
        self.applier: Applier | None = None
        self.spool: Spool | None = None
        self.started_at = datetime.now(UTC).isoformat()

    def connect(self) -> Sink:
        return open_sink(self.destination, format=self.format, table_prefix=self.table_prefix)

    def health(self) -> dict[str, Any]:
        applier = self.applier.status if self.applier else None
        return {
            "started_at": self.started_at,
            "pending": self.spool.pending if self.spool else None,
            "applier": dataclasses.asdict(applier) if applier else None,
            "reconcile": dict(self.reconcile),
        }

    async def run(self, stop: asyncio.Event, on_ready: Callable[[str], None] | None = None) -> None:
        """Listen until ``stop`` is set; ``on_ready(url)`` once the port accepts events."""
        settings = self.settings
        if settings.reconcile_every is None:
            state = await asyncio.to_thread(self.connect().read_state)
            if not state or not state.get("cursors"):
                raise ConfigError(
                    f"{self.connect().url} was never synced and --reconcile-every is off: run "
                    "akeneo-sync sync --to it first, or let listen reconcile"
                )
        keep = settings.keep_ids.total_seconds()
        self.spool = spool = Spool(self.spool_path, limit=settings.spool_limit, keep=keep)
        await spool.open()
        try:
            async with self.connection.client(
                concurrency=self.concurrency, transport=self.transport
            ) as client:
                self.applier = Applier(
                    spool,
                    client,
                    self.connect,
                    self.options,
                    self.lock,
                    batch_size=settings.batch_size,
                    batch_wait=settings.batch_wait,
                )
                await self.applier.recover()
                receiver = Receiver(spool, settings.secrets, path=settings.path, health=self.health)
                try:
                    with _bound(settings.host, settings.port) as sock:
                        await self._serve(receiver, sock, stop, on_ready)
                finally:
                    self.applier.close()
        finally:
            await spool.close()

    async def _serve(
        self,
        receiver: Receiver,
        sock: socket.socket,
        stop: asyncio.Event,
        on_ready: Callable[[str], None] | None,
    ) -> None:
        settings = self.settings
        config = uvicorn.Config(
            receiver,
            lifespan="off",
            log_level="warning",
            access_log=False,
            ssl_certfile=settings.certfile,
            ssl_keyfile=settings.keyfile,
            timeout_graceful_shutdown=5,
        )
        server = _Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                serving.result()  # raises what kept it from starting
                raise ConfigError(f"could not listen on {settings.host}:{settings.port}")
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()[:2]
        scheme = "https" if settings.certfile else "http"
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{shown}:{port}{'/' + settings.path.strip('/')}"
        log.info("listening for Akeneo events on %s (spool %s)", self.url, self.spool_path)
        if on_ready:
            on_ready(self.url)
        assert self.applier is not None
        workers = [
            serving,
            asyncio.create_task(self.applier.run(stop)),
            asyncio.create_task(self._reconcile_loop(stop)),
        ]
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([stopped, *workers], return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Whatever ended first (a signal, or a worker that failed), the rest stop cleanly.
            stop.set()
            server.should_exit = True
            await asyncio.wait(workers)
        for worker in workers:
            worker.result()

    # -- the safety net ------------------------------------------------------------------------
    async def _reconcile_loop(self, stop: asyncio.Event) -> None:
        every = self.settings.reconcile_every
        if every is None:
            await stop.wait()  # a worker that ends stops the others: this one waits
            return
        loop = asyncio.get_running_loop()
        first = True
        while not stop.is_set():
            started = loop.time()
            ok = await self.reconcile_once(stop, fatal=first)
            first = False
            # After a failure, try again within a minute rather than a whole period.
            period = every.total_seconds() if ok else min(every.total_seconds(), 60.0)
            wait = max(period - (loop.time() - started), 0.0)
            when = datetime.now(UTC) + timedelta(seconds=wait)
            self.reconcile["next_at"] = when.isoformat(timespec="seconds")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    async def reconcile_once(
        self, stop: asyncio.Event | None = None, *, fatal: bool = False
    ) -> bool:
        """One incremental sync (a full one into a destination never synced), under the lock.
        ``fatal``: wrong credentials or settings are raised (at start, a person is watching)
        rather than retried; an outage or another run holding the destination never is."""
        # Every run re-reads the reference data: it is there to repair what events missed.
        options = dataclasses.replace(self.options, reconcile_every=1)
        async with self.lock:
            try:
                report = await api.run_async(
                    self.destination,
                    self.connection,
                    options,
                    incremental=True,
                    format=self.format,
                    table_prefix=self.table_prefix,
                    concurrency=self.concurrency,
                    stop=stop,
                    transport=self.transport,
                )
            except LockedError as exc:
                # Another process is syncing this destination: it does this run's work.
                self._reconciled(None, str(exc))
                return False
            except (AuthError, ConfigError) as exc:
                if fatal:
                    raise
                self._reconciled(None, str(exc))
                return False
            except AkeneoSyncError as exc:
                self._reconciled(None, str(exc))
                return False
        self._reconciled(report, None)
        return True

    def _reconciled(self, report: Report | None, error: str | None) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if report is None:
            self.reconcile["last_error"] = error
            log.warning("reconciling sync failed, trying again later: %s", error)
            return
        self.reconcile.update(
            runs=self.reconcile["runs"] + 1,
            last_at=now,
            last_mode=report.mode,
            last_counts=dict(report.counts),
            last_deleted=dict(report.deleted),
            last_error=None,
        )
        written = sum(report.counts.values())
        log.info("reconciling sync (%s): %d documents written", report.mode, written)
        if self.applier is not None:
            self.applier.forget_reference()
            self.applier.wake()


class _Server(uvicorn.Server):
    """Signals belong to the caller (its ``stop`` event), not to uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def _bound(host: str, port: int) -> Iterator[socket.socket]:
    """The listening socket, bound before the server starts so port 0 gives a known port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say TCP,
    # and an answer written in two pieces then waited ~40 ms for the delayed ACK of the first.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        yield sock
    finally:
        sock.close()
