"""The one exception tree of akeneo-sync.

Every error says what failed, where, and what to do; none carries a secret. Callers decide by
class, not by message::

    AkeneoSyncError                 base; ``exit_code`` is what the CLI exits with
    ├── ConfigError                 bad flags, env or config file: fix the input (exit 2)
    │   └── SourceMismatchError     the destination mirrors another Akeneo or connection
    ├── AkeneoError                 the API answered something we cannot use (exit 3)
    │   ├── AuthError               credentials refused (401 after refresh, token endpoint 422)
    │   ├── NotFoundError           404 on a resource we asked for by code
    │   ├── ClientError             other 4xx: a request we should not have sent (400/403/405/422…)
    │   ├── RetryableError          408, 429, 500/502/503/504, transport errors, a truncated body:
    │   │                           retried, raised when out of tries
    │   ├── BadResponseError        a 2xx answer that is not the API's JSON (a login page, a proxy,
    │   │                           a PHP notice before the JSON): the URL or what is in front of it
    │   └── PaginationError         a listing that loops or whose links cannot be followed
    ├── SinkError                   the destination refused a write or cannot be opened (exit 4)
    │   └── MissingDependencyError  an optional driver is not installed; names the pip line
    └── LockedError                 another sync holds the destination's lock (exit 5)

A run stopped by a signal is not an error: it commits what it read and exits 128 + the signal
number (130 for SIGINT, 143 for SIGTERM), as shells expect.
"""

from __future__ import annotations

from typing import Any


class AkeneoSyncError(Exception):
    exit_code = 1


class ConfigError(AkeneoSyncError):
    exit_code = 2


class AkeneoError(AkeneoSyncError):
    """An answer from the API we cannot use; ``method``/``url``/``status`` say where."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        status: int | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        where = " ".join(str(p) for p in (method, url) if p)
        status_text = f" -> {status}" if status is not None else ""
        super().__init__(f"{where}{status_text}: {message}" if where else message)


class AuthError(AkeneoError):
    pass


class NotFoundError(AkeneoError):
    pass


class ClientError(AkeneoError):
    pass


class RetryableError(AkeneoError):
    """``retry_after``: the seconds the server asked us to wait (``Retry-After``), if it did."""

    def __init__(self, message: str, *, retry_after: float | None = None, **where: Any) -> None:
        super().__init__(message, **where)
        self.retry_after = retry_after


class BadResponseError(AkeneoError):
    pass


class PaginationError(AkeneoError):
    pass


class SinkError(AkeneoSyncError):
    exit_code = 4


class MissingDependencyError(SinkError):
    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"{module} is not installed; install it with: pip install 'akeneo-sync[{extra}]'"
        )


class LockedError(AkeneoSyncError):
    exit_code = 5


class SourceMismatchError(ConfigError):
    """The destination mirrors another Akeneo (or another connection): nothing was written."""
