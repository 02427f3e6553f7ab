"""Akeneo-compatible API emulator: a generated catalog at any scale, Akeneo's semantics and
injectable faults. Imports nothing from the exporter (client, transform, sinks) so the two
cannot share a bug.

    from akeneo_sync.emulator import EmulatorConfig, EmulatorServer, create_app

Names are imported on first use (as in ``akeneo_sync``): the CLI registers the ``emulator``
command on every start, and the server (Starlette, uvicorn, the routes) is loaded only when one
is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from akeneo_sync._lazy import lazy_names

_EXPORTS = {
    "Catalog": "akeneo_sync.emulator.catalog",
    "EmulatorConfig": "akeneo_sync.emulator.config",
    "EmulatorServer": "akeneo_sync.emulator.server",
    "create_app": "akeneo_sync.emulator.app",
    "generate_catalog": "akeneo_sync.emulator.generate",
}
__all__ = ["Catalog", "EmulatorConfig", "EmulatorServer", "create_app", "generate_catalog"]

if TYPE_CHECKING:
    from akeneo_sync.emulator.app import create_app
    from akeneo_sync.emulator.catalog import Catalog
    from akeneo_sync.emulator.config import EmulatorConfig
    from akeneo_sync.emulator.generate import generate_catalog
    from akeneo_sync.emulator.server import EmulatorServer


__getattr__ = lazy_names(__name__, _EXPORTS)
