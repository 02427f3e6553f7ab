"""Akeneo-compatible API emulator: a generated catalog at any scale, Akeneo's semantics and
injectable faults. Imports nothing from the exporter (client, transform, sinks) so the two
cannot share a bug.

    from akeneo_sync.emulator import EmulatorConfig, EmulatorServer, create_app
"""

from akeneo_sync.emulator.app import create_app
from akeneo_sync.emulator.catalog import Catalog
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.generate import generate_catalog
from akeneo_sync.emulator.server import EmulatorServer

__all__ = ["Catalog", "EmulatorConfig", "EmulatorServer", "create_app", "generate_catalog"]
