"""What people open and look at: a destination's syncs, read from the destination itself.

    snapshot.py   the state and run history of a destination, read-only; lag, last success,
                  health (``open_readonly``, ``Snapshot``, ``Watcher``)
    page.py       ``/``: an HTML page with an inline SVG chart
    metrics.py    ``/metrics``: Prometheus' text format
    app.py        the server (starlette on uvicorn): ``status_app``, ``serving``

Used by ``akeneo-sync state`` and ``akeneo-sync status``, and by ``sync --every --status-port``
(``cli/status.py``). See docs/status.md.
"""
