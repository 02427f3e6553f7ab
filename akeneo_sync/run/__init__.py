"""Reading the catalog and writing it somewhere.

- ``session``: the pull side, resource by resource (``Session.read``), on a ``ReadContext``
  (``context``) that the readers share: ``reference``, ``full``, ``incremental``, ``deletions``.
- ``runner``: the push side, a Session's batches into a sink (``execute``, ``export``, ``sync``)
  through the ``pipeline``, with the run ``state`` committed with the data.
"""

from akeneo_sync.run.options import Deletes, ExportOptions, Report
from akeneo_sync.run.pipeline import NoProgress, Progress
from akeneo_sync.run.runner import execute, export, sync
from akeneo_sync.run.session import Batch, Session, StoredView

__all__ = [
    "Batch",
    "Deletes",
    "ExportOptions",
    "NoProgress",
    "Progress",
    "Report",
    "Session",
    "StoredView",
    "execute",
    "export",
    "sync",
]
