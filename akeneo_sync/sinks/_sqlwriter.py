"""A single background thread that runs SqlSink's batch writes in order.

Building a batch's rows is Python work (JSON, ``product_value_tuples``, parameter tuples); storing
them is mostly database work (SQLite's B-trees outside the GIL, a PostgreSQL or MySQL server on
the other core). Handing the storing to one thread lets the next batch be built meanwhile. Jobs run
strictly in submission order on the same connection, at most ``depth`` wait (bounded memory), and
the first failure is kept and raised in the caller's thread at its next call; later jobs are
skipped, since the transaction they belong to is going to be rolled back.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

Job = Callable[[], None]


class BackgroundWriter:
    def __init__(self, name: str, depth: int = 2) -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._waited: tuple[float | None, float] = (None, 0.0)  # waiting since, waited before
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue ``job``; raises a previous job's error instead if there was one."""
        self.raise_error()
        self._jobs.put(job)

    def wait(self) -> None:
        """Return once every queued job ran; raise the first error any of them had."""
        self._jobs.join()
        self.raise_error()

    def drain(self) -> BaseException | None:
        """Like ``wait`` but returns the error instead (for cleanup paths)."""
        self._jobs.join()
        return self._error

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    @property
    def idle(self) -> float:
        """Seconds the thread waited for a job so far: whether the database has time to spare."""
        since, waited = self._waited
        return waited + (time.perf_counter() - since if since is not None else 0.0)

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            began, waited = time.perf_counter(), self._waited[1]
            self._waited = (began, waited)
            job = self._jobs.get()
            self._waited = (None, waited + time.perf_counter() - began)
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
            finally:
                self._jobs.task_done()
