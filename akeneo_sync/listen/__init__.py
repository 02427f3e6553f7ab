"""Near-real-time sync from Akeneo's Event Platform (``akeneo-sync listen``).

- ``receiver``: the HTTPS endpoint: signature check, durable spool, 200 within the 5 s allowed;
- ``spool``: the SQLite file that holds every acknowledged event until it is applied;
- ``applier``: small batches of events, applied through ``run.apply`` under the destination's
  lock (Akeneo's current state of what they name, never the events' own content);
- ``service``: the three together with the reconciling sync, the safety net for lost events;
- ``secrets``: where the signing secrets come from, and the file ``events subscribe`` writes.

Names are imported on first use: the CLI loads this package for every command, the receiver's
server (Starlette, uvicorn) only for ``listen``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from akeneo_sync._lazy import lazy_names

_EXPORTS = {
    "ListenSettings": "akeneo_sync.listen.service",
    "Listener": "akeneo_sync.listen.service",
    "Receiver": "akeneo_sync.listen.receiver",
    "Spool": "akeneo_sync.listen.spool",
    "default_path": "akeneo_sync.listen.spool",
    "signature": "akeneo_sync.listen.receiver",
    "verify": "akeneo_sync.listen.receiver",
}
__all__ = [
    "ListenSettings",
    "Listener",
    "Receiver",
    "Spool",
    "default_path",
    "signature",
    "verify",
]

if TYPE_CHECKING:
    from akeneo_sync.listen.receiver import Receiver, signature, verify
    from akeneo_sync.listen.service import Listener, ListenSettings
    from akeneo_sync.listen.spool import Spool, default_path

__getattr__ = lazy_names(__name__, _EXPORTS)
