"""akeneo-sync: export an Akeneo PIM catalog to files and databases, and keep it in sync.

The public API (``docs/library.md``)::

    import akeneo_sync
    connection = akeneo_sync.Connection.from_env()
    report = akeneo_sync.export("catalog.db", connection)
    report = akeneo_sync.sync("catalog.db", connection)   # later: only what changed

Names are imported on first use, so ``import akeneo_sync.emulator`` (or any one module) does not
load the whole library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from akeneo_sync._lazy import lazy_names

__version__ = "0.1.0"

_EXPORTS = {
    "AkeneoSyncError": "akeneo_sync.errors",
    "Connection": "akeneo_sync.settings",
    "ExportOptions": "akeneo_sync.run.options",
    "Filters": "akeneo_sync.extract",
    "Report": "akeneo_sync.run.options",
    "Session": "akeneo_sync.run.session",
    "count": "akeneo_sync.api",
    "export": "akeneo_sync.api",
    "run_async": "akeneo_sync.api",
    "sync": "akeneo_sync.api",
    "sync_every": "akeneo_sync.api",
}
__all__ = [
    "AkeneoSyncError",
    "Connection",
    "ExportOptions",
    "Filters",
    "Report",
    "Session",
    "__version__",
    "count",
    "export",
    "run_async",
    "sync",
    "sync_every",
]

if TYPE_CHECKING:
    from akeneo_sync.api import count, export, run_async, sync, sync_every
    from akeneo_sync.errors import AkeneoSyncError
    from akeneo_sync.extract import Filters
    from akeneo_sync.run.options import ExportOptions, Report
    from akeneo_sync.run.session import Session
    from akeneo_sync.settings import Connection


__getattr__ = lazy_names(__name__, _EXPORTS)
