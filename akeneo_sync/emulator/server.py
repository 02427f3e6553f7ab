"""Run the emulator on a loopback port in a background thread (for tests and benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from akeneo_sync.emulator.app import create_app
from akeneo_sync.emulator.catalog import Catalog
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.state import Emulator


class EmulatorServer:
    """``with EmulatorServer(EmulatorConfig(products=200)) as server: server.url``.

    Binds the socket itself (port 0 = any free port) so ``.url`` is known before uvicorn runs.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, catalog: Catalog | None = None
    ) -> None:
        self.config = config or EmulatorConfig(port=0)
        self.app: Starlette = create_app(self.config, catalog)
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def emulator(self) -> Emulator:
        emu: Emulator = self.app.state.emu
        return emu

    @property
    def catalog(self) -> Catalog:
        return self.emulator.catalog

    def credentials(self) -> dict[str, str]:
        """What a client needs to log in: ``AkeneoClient(**server.credentials())``."""
        cfg = self.config
        return {
            "url": self.url,
            "client_id": cfg.client_id,
            "client_secret": cfg.secret,
            "username": cfg.username,
            "password": cfg.password,
        }

    def start(self) -> EmulatorServer:
        # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
        # TCP; otherwise an answer written in two pieces waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        host, port = sock.getsockname()[:2]
        self._sock = sock
        self.url = f"http://{host}:{port}"
        cfg = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(cfg)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="akeneo-emulator"
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("emulator server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
